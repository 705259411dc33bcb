"""What people ask for (targets) and what they get back (results), as plain data.

The edges turn what a person typed, a button or a webhook into a `Target`; the
use cases answer with a `LogsResult` or a `FullExcerpt`, or raise `TargetError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import (
    Execution,
    ExportProblem,
    Failure,
    LogScope,
    LogsLink,
    Reason,
    Scope,
)
from bot.domain.misses import Miss
from bot.excerpt import ExcerptSettings


@dataclass(frozen=True)
class NamedTarget:
    """What a person named: a pipeline, maybe a run number, stage, step and scope."""

    pipeline: str
    run: int | None = None
    stage: str | None = None
    step: str | None = None
    scope: Scope | None = None


@dataclass(frozen=True)
class UrlTarget:
    url: str


@dataclass(frozen=True)
class ExecutionTarget:
    """An execution known by id (a button, a webhook), optionally one stage or step in it."""

    scope: Scope
    plan_execution_id: str
    node_uuid: str | None = None


Target = NamedTarget | UrlTarget | ExecutionTarget


class TargetError(Exception):
    """The target cannot be resolved; `miss` says why, as data the Slack layer words."""

    def __init__(self, miss: Miss) -> None:
        super().__init__(miss)
        self.miss = miss


@dataclass(frozen=True)
class FullExcerpt:
    execution: Execution
    failure: Failure
    execution_url: str


@dataclass(frozen=True)
class ExcerptOptions:
    settings: ExcerptSettings = field(default_factory=ExcerptSettings)
    timeout: float = 120.0
    # Compare a failing step's log with the same step in the pipeline's last success.
    compare_last_success: bool = True
    compare_timeout: float = 20.0


@dataclass(frozen=True)
class Resolved:
    execution: Execution
    log_scope: LogScope


@dataclass(frozen=True)
class LogsResult:
    execution: Execution
    log_scope: LogScope
    execution_url: str
    failures: list[Failure] = field(default_factory=list)
    # The link, or why there is none; None while it is still being prepared (an alert
    # is posted before its export is ready, and updated when it is).
    export: LogsLink | ExportProblem | None = field(
        default_factory=lambda: ExportProblem(Reason.UNEXPECTED)
    )
    # Nice-to-haves skipped to keep the Harness key's budget for people and alerts
    # ("history", "comparison"): the post says it goes without them.
    left_out: frozenset[str] = frozenset()


__all__ = [
    "ExcerptOptions",
    "ExecutionTarget",
    "FullExcerpt",
    "LogsResult",
    "NamedTarget",
    "Resolved",
    "Target",
    "TargetError",
    "UrlTarget",
]
