"""Plain data shared by every layer; it imports nothing else of ours.

Harness responses are validated by pydantic models at the edge (bot/harness/models.py)
and turned into these frozen dataclasses, so nothing past the edge depends on the
shape of a Harness payload.
"""

from __future__ import annotations

from bot.domain.excerpt import (
    FULL_CHARS,
    MESSAGE_CHARS,
    MESSAGE_LINE_CHARS,
    Excerpt,
    ExcerptLine,
    Gap,
    Kind,
    Piece,
    fit_lines,
)
from bot.domain.executions import (
    FAILED_STATUSES,
    ChildRun,
    Events,
    Execution,
    ExecutionRef,
    Failure,
    GreenLog,
    LogScope,
    LogsLink,
    Node,
    NodeRef,
    PipelineEvent,
    PipelineRef,
    Run,
    Scope,
    ScopeKind,
    normalise_status,
)
from bot.domain.filters import Filters, Mention
from bot.domain.history import History, Standing
from bot.domain.mutes import Mute
from bot.domain.origins import Origin, Person
from bot.domain.reasons import ExcerptUnavailable, ExportProblem, ReadStop, Reason, StopKind
from bot.domain.subscriptions import PipelineKey, Subscription, ThreadRecord
from bot.domain.work import Lane, Work, WorkKind

__all__ = [
    "FAILED_STATUSES",
    "FULL_CHARS",
    "MESSAGE_CHARS",
    "MESSAGE_LINE_CHARS",
    "ChildRun",
    "Events",
    "Excerpt",
    "ExcerptLine",
    "ExcerptUnavailable",
    "Execution",
    "ExecutionRef",
    "ExportProblem",
    "Failure",
    "Filters",
    "Gap",
    "GreenLog",
    "History",
    "Kind",
    "Lane",
    "LogScope",
    "LogsLink",
    "Mention",
    "Mute",
    "Node",
    "NodeRef",
    "Origin",
    "Person",
    "Piece",
    "PipelineEvent",
    "PipelineKey",
    "PipelineRef",
    "ReadStop",
    "Reason",
    "Run",
    "Scope",
    "ScopeKind",
    "Standing",
    "StopKind",
    "Subscription",
    "ThreadRecord",
    "Work",
    "WorkKind",
    "fit_lines",
    "normalise_status",
]
