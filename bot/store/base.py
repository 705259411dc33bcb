"""What the bot remembers, and the one interface both backends implement.

Subscriptions (which channel hears about which pipeline), the thread of each
execution's first post per channel, the last failure per channel and pipeline
(for "recovered" replies), and claims: keys taken once with an expiry, which
make webhook deliveries and Slack retries act once even across replicas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.domain import Events


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


@dataclass(frozen=True)
class ThreadRecord:
    """An execution's parent post in a channel, to thread later events under it."""

    channel: str
    plan_execution_id: str
    ts: str
    pipeline: PipelineKey
    run_sequence: int
    status: str
    message: dict[str, Any] = field(default_factory=dict)  # the parent, to edit in place


class Store(Protocol):
    async def add_subscription(self, subscription: Subscription) -> bool:
        """Store it; False when the channel was already subscribed (events are updated)."""

    async def remove_subscription(self, channel: str, pipeline: PipelineKey) -> bool: ...

    async def channel_subscriptions(self, channel: str) -> list[Subscription]: ...

    async def pipeline_subscriptions(self, pipeline: PipelineKey) -> list[Subscription]: ...

    async def mark_broken(self, channel: str, pipeline: PipelineKey, reason: str) -> None: ...

    async def get_thread(self, channel: str, plan_execution_id: str) -> ThreadRecord | None: ...

    async def save_thread(self, record: ThreadRecord) -> None: ...

    async def last_failure(self, channel: str, pipeline: PipelineKey) -> str | None:
        """The execution id of the channel's last unrecovered failure of the pipeline."""

    async def set_last_failure(
        self, channel: str, pipeline: PipelineKey, plan_execution_id: str | None
    ) -> None: ...

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """True for the first caller within `ttl_seconds`, False for every other."""

    async def release(self, key: str) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
