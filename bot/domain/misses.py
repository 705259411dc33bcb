"""Why a target could not be resolved, as data: the Slack layer words each one.

Names from Harness or from the person travel as fields, never inside a sentence,
so whoever shows them can make them inert (a `<!channel>` in a pipeline name must
not ping anyone).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.domain.reasons import Reason


class LinkProblem(enum.StrEnum):
    TOO_LONG = "too_long"
    NOT_A_URL = "not_a_url"
    NOT_HTTP = "not_http"
    UNKNOWN_HOST = "unknown_host"  # `value`: the host
    NOT_AN_EXECUTION = "not_an_execution"
    BAD_IDENTIFIER = "bad_identifier"  # `value`: which part (account, org, ...)
    BAD_NODE_PARAMETER = "bad_node_parameter"  # `value`: the query parameter
    OTHER_ACCOUNT = "other_account"


@dataclass(frozen=True)
class BadLink:
    problem: LinkProblem
    value: str = ""


@dataclass(frozen=True)
class NoSuchProject:
    scope: str


@dataclass(frozen=True)
class NoSuchPipeline:
    name: str
    scope: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeveralPipelines:
    """Several pipelines share the display name; `identifiers` tell them apart."""

    name: str
    identifiers: tuple[str, ...]


@dataclass(frozen=True)
class NeverRan:
    pipeline: str


@dataclass(frozen=True)
class NoSuchRun:
    pipeline: str
    run: int
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoSuchStage:
    name: str
    run: int
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoSuchStep:
    name: str
    stage: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepWithoutStage:
    """A step was named without the stage that holds it."""


@dataclass(frozen=True)
class NoSuchExecution:
    execution: str
    scope: str


@dataclass(frozen=True)
class NodeNotInExecution:
    """A stage or step (from a link or a button) that the execution does not hold."""

    kind: str  # "stage" or "step"
    from_link: bool


@dataclass(frozen=True)
class ExecutionGone:
    """An execution a button or a post pointed at is no longer in Harness."""


@dataclass(frozen=True)
class NotSubscribed:
    name: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeveralSubscriptions:
    name: str
    scopes: tuple[str, ...]  # "org/project" of each


@dataclass(frozen=True)
class HarnessRefused:
    """Harness itself failed the lookup; `detail` is its own (redacted) words."""

    reason: Reason
    detail: str = ""

    @property
    def passing(self) -> bool:
        """Harness failing for now: asking again later may well work."""
        return self.reason.passing


Miss = (
    BadLink
    | NoSuchProject
    | NoSuchPipeline
    | SeveralPipelines
    | NeverRan
    | NoSuchRun
    | NoSuchStage
    | NoSuchStep
    | StepWithoutStage
    | NoSuchExecution
    | NodeNotInExecution
    | ExecutionGone
    | NotSubscribed
    | SeveralSubscriptions
    | HarnessRefused
)

__all__ = [
    "BadLink",
    "ExecutionGone",
    "HarnessRefused",
    "LinkProblem",
    "Miss",
    "NeverRan",
    "NoSuchExecution",
    "NoSuchPipeline",
    "NoSuchProject",
    "NoSuchRun",
    "NoSuchStage",
    "NoSuchStep",
    "NodeNotInExecution",
    "NotSubscribed",
    "SeveralPipelines",
    "SeveralSubscriptions",
    "StepWithoutStage",
]
