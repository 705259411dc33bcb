"""What the bot remembers, and the one interface both backends implement.

Subscriptions (which channel hears about which pipeline), the thread of each
execution's first post per channel, the last failure per channel and pipeline
(for "recovered" replies), claims: keys taken once with an expiry, which make
webhook deliveries and Slack retries act once even across replicas, and the
durable work queue (`WorkQueue`): every accepted piece of work until it is done.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.subscriptions import PipelineKey, Subscription, ThreadRecord
from bot.domain.windows import SlidingWindow
from bot.domain.work import Lane, Work

__all__ = ["PipelineKey", "Store", "Subscription", "ThreadRecord", "WorkQueue"]


class WorkQueue(Protocol):
    """At-least-once delivery of `Work`, with leases so a dead worker's work comes back.

    `owner` names a worker process; work whose lease was not extended within
    `lease` seconds may be taken by any process. Every worker uses the same lease.
    """

    async def enqueue(self, work: Work) -> bool:
        """Record it; False when work with its key is queued or done already."""

    async def take(self, lane: Lane, owner: str, lease: float, limit: int) -> list[Work]:
        """Up to `limit` pieces of due work, leased to `owner` (oldest first)."""

    async def extend(self, work: Work, owner: str, lease: float) -> None:
        """Keep the lease of work still being worked on."""

    async def finish(self, work: Work, remember: float) -> None:
        """Done: gone from the queue; its key is remembered for `remember` seconds."""

    async def retry(self, work: Work) -> None:
        """Back in the queue as given (due at `work.not_before`), the lease returned."""

    async def drop(self, work: Work) -> None:
        """Given up: gone from the queue, and its key free for a redelivery."""

    async def queued(self, lane: Lane) -> int:
        """How much work waits in the lane (taken or not)."""

    async def oldest(self, lane: Lane) -> float | None:
        """When the longest-waiting due work of the lane was accepted (epoch seconds;
        None when nothing is due)."""


class Store(WorkQueue, Protocol):
    async def add_subscription(self, subscription: Subscription) -> bool:
        """Store it; False when the channel was already subscribed (events are updated)."""

    async def remove_subscription(self, channel: str, pipeline: PipelineKey) -> bool: ...

    async def channel_subscriptions(self, channel: str) -> list[Subscription]: ...

    async def pipeline_subscriptions(self, pipeline: PipelineKey) -> list[Subscription]: ...

    async def all_subscriptions(self, limit: int) -> list[Subscription]:
        """Up to `limit` subscriptions of the workspace, by channel then pipeline name."""

    async def mark_broken(self, channel: str, pipeline: PipelineKey, reason: str) -> None: ...

    async def get_thread(self, channel: str, plan_execution_id: str) -> ThreadRecord | None: ...

    async def save_thread(self, record: ThreadRecord) -> None: ...

    async def last_failure(self, channel: str, pipeline: PipelineKey) -> str | None:
        """The execution id of the channel's last unrecovered failure of the pipeline."""

    async def set_last_failure(
        self, channel: str, pipeline: PipelineKey, plan_execution_id: str | None
    ) -> None: ...

    async def put_value(self, key: str, value: str, ttl_seconds: float) -> None:
        """Keep `value` under `key` for `ttl_seconds` (a cache shared by replicas)."""

    async def get_value(self, key: str) -> str | None: ...

    async def take_value(self, key: str) -> str | None:
        """The value, removed; whoever takes it first gets it (None: none was kept)."""

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """True for the first caller within `ttl_seconds`, False for every other."""

    async def release(self, key: str) -> None: ...

    async def renew(self, key: str, ttl_seconds: float) -> None:
        """A claim held a further `ttl_seconds` from now (its holder is still at work)."""

    def window(self, name: str) -> SlidingWindow:
        """A sliding window of calls shared by every process using this store."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
