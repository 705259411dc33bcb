"""What the bot remembers, and the one interface both backends implement.

Subscriptions (which channel hears about which pipeline), the thread of each
execution's first post per channel, the last failure per channel and pipeline
(for "recovered" replies), and claims: keys taken once with an expiry, which
make webhook deliveries and Slack retries act once even across replicas.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.subscriptions import PipelineKey, Subscription, ThreadRecord

__all__ = ["PipelineKey", "Store", "Subscription", "ThreadRecord"]


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
