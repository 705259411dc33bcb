"""Subscriptions and incident threads as plain data: what the store keeps, what posts show."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.executions import Events
from bot.domain.filters import Filters


@dataclass(frozen=True)
class PipelineKey:
    account: str
    org: str
    project: str
    pipeline: str

    def __str__(self) -> str:
        return f"{self.org}/{self.project}/{self.pipeline}"


@dataclass(frozen=True)
class Subscription:
    channel: str
    pipeline: PipelineKey
    pipeline_name: str
    events: Events = "failures"
    created_by: str = ""
    created_at: float = 0.0
    broken: str | None = None  # why posting there failed, once it has
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class ThreadRecord:
    """An execution's parent post in a channel, to thread later events under it."""

    channel: str
    plan_execution_id: str
    ts: str
    pipeline: PipelineKey
    run_sequence: int
    status: str


__all__ = ["PipelineKey", "Subscription", "ThreadRecord"]
