"""Executions, their nodes, log scopes, links, failures and pipeline events.

Harness responses are validated by pydantic models at the edge (bot/harness/models.py)
and turned into these frozen dataclasses, so nothing past the edge depends on the
shape of a Harness payload.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.domain.excerpt import Excerpt
from bot.domain.reasons import ExcerptUnavailable

if TYPE_CHECKING:
    from bot.domain.origins import Origin

# What a channel subscription posts: failures only, or every pipeline event.
Events = Literal["failures", "all"]

# Statuses that mean "this node is why the run did not succeed".
FAILED_STATUSES = frozenset(
    {"failed", "errored", "aborted", "expired", "abortedbyfreeze", "approvalrejected"}
)

# Statuses after which nothing more is logged.
FINISHED_STATUSES = FAILED_STATUSES | {"success", "succeeded", "ignorefailed", "skipped"}

# Graph nodes that are structure, not work a person would call a stage or a step.
_STRUCTURAL_STEP_TYPES = frozenset(
    {
        "PIPELINE_SECTION",
        "NG_EXECUTION",
        "STAGES_STEP",
        "NG_SECTION",
        "NG_FORK",
        "FORK",
        "STEP_GROUP",
        "NG_SECTION_WITH_ROLLBACK_INFO",
    }
)
_STEP_PARENTS = frozenset({"steps", "rollbackSteps"})


def normalise_status(status: str | None) -> str:
    """Harness spells statuses in several cases (`Failed`, `FAILED`, `failed`)."""
    return re.sub(r"[^a-z]", "", (status or "").lower())


@dataclass(frozen=True)
class Scope:
    org: str
    project: str

    def __str__(self) -> str:
        return f"{self.org}/{self.project}"


@dataclass(frozen=True)
class Node:
    """One node of an execution graph (a stage, a step, or structure between them)."""

    uuid: str
    identifier: str
    name: str
    fqn: str
    status: str
    step_type: str = ""
    log_key: str | None = None
    failure_message: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.fqn.split(".")) if self.fqn else ()

    @property
    def is_stage(self) -> bool:
        path = self.path
        return len(path) == 3 and path[:2] == ("pipeline", "stages")

    @property
    def stage_identifier(self) -> str | None:
        path = self.path
        if len(path) >= 3 and path[:2] == ("pipeline", "stages"):
            return path[2]
        return None

    @property
    def is_step(self) -> bool:
        path = self.path
        return (
            len(path) > 3
            and path[-2] in _STEP_PARENTS
            and self.stage_identifier is not None
            and self.step_type not in _STRUCTURAL_STEP_TYPES
        )

    @property
    def failed(self) -> bool:
        return normalise_status(self.status) in FAILED_STATUSES

    @property
    def finished(self) -> bool:
        """Nothing more will be logged under it."""
        return normalise_status(self.status) in FINISHED_STATUSES


@dataclass(frozen=True)
class ChildRun:
    """The run a Pipeline stage started, which may be in another org or project."""

    org: str
    project: str
    plan_execution_id: str

    @property
    def scope(self) -> Scope:
        return Scope(self.org, self.project)


@dataclass(frozen=True)
class Execution:
    """One run of a pipeline with its graph."""

    account: str
    org: str
    project: str
    pipeline_identifier: str
    pipeline_name: str
    run_sequence: int
    plan_execution_id: str
    status: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    failure_message: str | None = None
    simplified_log_keys: bool = True
    nodes: tuple[Node, ...] = ()
    # (layout key, stage identifier): UI links name stages by their layout key.
    stage_layout: tuple[tuple[str, str], ...] = ()
    # Layout keys of stages that run another pipeline (pipeline chaining), and where
    # their runs are when Harness says so in the stage's step details.
    pipeline_stages: frozenset[str] = frozenset()
    child_runs: tuple[tuple[str, ChildRun], ...] = ()
    origin: Origin | None = None  # who started it, which branch and commit
    modules: tuple[str, ...] = ()  # Harness modules the run belongs to ("cd", "ci", ...)

    def layout_key(self, stage: Node) -> str | None:
        return next((key for key, ident in self.stage_layout if ident == stage.identifier), None)

    def runs_child_pipeline(self, stage: Node) -> bool:
        key = self.layout_key(stage)
        return key is not None and key in self.pipeline_stages

    def child_run(self, stage_layout_key: str) -> ChildRun | None:
        return dict(self.child_runs).get(stage_layout_key)

    @property
    def scope(self) -> Scope:
        return Scope(self.org, self.project)

    @property
    def failed(self) -> bool:
        return normalise_status(self.status) in FAILED_STATUSES

    @property
    def finished(self) -> bool:
        """Nothing more will be logged (so an export of it stays right)."""
        return normalise_status(self.status) in FINISHED_STATUSES

    def node_by_uuid(self, uuid: str) -> Node | None:
        return next((n for n in self.nodes if n.uuid == uuid), None)

    def stages(self) -> list[Node]:
        return [n for n in self.nodes if n.is_stage]

    def steps(self, stage: Node | None = None) -> list[Node]:
        steps = [n for n in self.nodes if n.is_step]
        if stage is None:
            return steps
        return [n for n in steps if n.stage_identifier == stage.identifier]

    def stage_of(self, node: Node) -> Node | None:
        wanted = node.stage_identifier
        return next((s for s in self.stages() if s.identifier == wanted), None)

    def failed_steps(self, stage: Node | None = None) -> list[Node]:
        return [n for n in self.steps(stage) if n.failed]

    def failed_stages(self) -> list[Node]:
        return [n for n in self.stages() if n.failed]


class ScopeKind(enum.StrEnum):
    PIPELINE = "pipeline"
    STAGE = "stage"
    STEP = "step"


@dataclass(frozen=True)
class LogScope:
    """What a log export covers: the whole run, one stage or one step."""

    kind: ScopeKind
    prefix: str
    stage: Node | None = None
    step: Node | None = None


@dataclass(frozen=True)
class LogsLink:
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class NodeRef:
    """Where a graph node lives: enough to find it again later without kept state."""

    org: str
    project: str
    plan_execution_id: str
    node_uuid: str


@dataclass(frozen=True)
class Failure:
    """A failed stage or step as people should read it, with its log excerpt if read."""

    stage_name: str | None
    step_name: str | None
    message: str | None
    # The failed node (in a chained pipeline's own run, for failures inside one).
    node: NodeRef | None = None
    # The excerpt of its log, or why there is none (None: not read, e.g. a stage).
    excerpt: Excerpt | ExcerptUnavailable | None = None
    # For a failure inside a chained pipeline's run: the parent's Pipeline stage.
    via: str | None = None
    # Set instead of the rest when that run is in an org/project ("org/project") the
    # channel may not read: the failure is named by the parent's stage only.
    hidden_in: str | None = None


@dataclass(frozen=True)
class PipelineEvent:
    """A Harness pipeline notification, validated at the edge (bot/webhooks.py)."""

    account: str
    org: str
    project: str
    pipeline: str
    plan_execution_id: str
    event_type: str
    pipeline_name: str | None = None
    execution_url: str | None = None
    node_status: str | None = None
    triggered_by: str | None = None
    triggered_by_email: str | None = None
    trigger_type: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error_message: str | None = None
    stage: str | None = None
    step: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.org, self.project)

    @property
    def is_failure(self) -> bool:
        return self.event_type in ("PipelineFailed", "StageFailed", "StepFailed")


@dataclass(frozen=True)
class PipelineRef:
    identifier: str
    name: str


@dataclass(frozen=True)
class Run:
    """One entry of a pipeline's run history."""

    plan_execution_id: str
    run_sequence: int
    status: str


@dataclass(frozen=True)
class GreenLog:
    """What the last successful run of a step printed, for comparing a failure with it."""

    run_sequence: int
    shapes: frozenset[bytes]


@dataclass(frozen=True)
class ExecutionRef:
    """An execution named by a Harness UI URL."""

    account: str
    org: str
    project: str
    pipeline: str
    plan_execution_id: str
    stage_node: str | None = None
    step_node: str | None = None
