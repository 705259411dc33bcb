"""Use cases, between the edges (Slack, webhooks, the terminal) and Harness.

`logs`: a named target or execution URL -> the execution, its log scope, a link and
the failures with their excerpts. `steplogs`: one step's log, streamed from Harness
into the excerpt scanner. Nothing here knows Slack payloads or HTTP details.
"""

from __future__ import annotations

from bot.service.logs import (
    MAX_EXCERPTS,
    ExcerptOptions,
    ExecutionTarget,
    FullExcerpt,
    LogsResult,
    LogsService,
    NamedTarget,
    Resolved,
    Target,
    TargetError,
    UrlTarget,
    describe_scope,
    failed_nodes,
    harness_errors_explained,
)
from bot.service.steplogs import StepLogReader

__all__ = [
    "MAX_EXCERPTS",
    "ExcerptOptions",
    "ExecutionTarget",
    "FullExcerpt",
    "LogsResult",
    "LogsService",
    "NamedTarget",
    "Resolved",
    "StepLogReader",
    "Target",
    "TargetError",
    "UrlTarget",
    "describe_scope",
    "failed_nodes",
    "harness_errors_explained",
]
