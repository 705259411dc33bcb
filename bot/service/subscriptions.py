"""Which channels hear about which pipelines: subscribe, unsubscribe, list.

The pipeline is checked against Harness (with suggestions) before anything is
stored. Unsubscribing matches the channel's own subscriptions, so a pipeline that
was deleted in Harness can still be let go. Whether the bot may post in the channel
is the edge's question, asked between `find` and `subscribe`.
"""

from __future__ import annotations

import logging
import time

from bot.domain import Events, PipelineKey, PipelineRef, Scope, Subscription
from bot.domain.misses import NotSubscribed, SeveralSubscriptions
from bot.service.logs import LogsService
from bot.service.targets import TargetError
from bot.store import Store
from bot.suggest import closest

log = logging.getLogger(__name__)


class Subscriptions:
    def __init__(self, logs: LogsService, store: Store, *, account: str) -> None:
        self._logs = logs
        self._store = store
        self._account = account

    @property
    def default_scope(self) -> Scope:
        return self._logs.default_scope

    async def everywhere(self, limit: int) -> list[Subscription]:
        """The workspace's subscriptions, by channel (for App Home)."""
        return await self._store.all_subscriptions(limit)

    async def find(self, pipeline: str, scope: Scope | None) -> tuple[PipelineRef, Scope]:
        """The pipeline a person named, or TargetError with the closest names."""
        return await self._logs.find_pipeline(pipeline, scope)

    async def subscribe(
        self, channel: str, user: str, pipeline: PipelineRef, scope: Scope, events: Events
    ) -> tuple[Subscription, bool]:
        """Store it; the flag says whether it is new (else its events were changed)."""
        key = PipelineKey(self._account, scope.org, scope.project, pipeline.identifier)
        subscription = Subscription(channel, key, pipeline.name, events, user, time.time())
        new = await self._store.add_subscription(subscription)
        log.info("channel %s subscribed to %s (%s) by %s", channel, key, events, user)
        return subscription, new

    async def unsubscribe(
        self, channel: str, user: str, name: str, scope: Scope | None
    ) -> Subscription:
        current = await self._store.channel_subscriptions(channel)
        wanted = name.casefold()
        matches = [
            s
            for s in current
            if wanted in (s.pipeline.pipeline.casefold(), s.pipeline_name.casefold())
            and (
                scope is None or (s.pipeline.org, s.pipeline.project) == (scope.org, scope.project)
            )
        ]
        if not matches:
            names = [s.pipeline_name for s in current] + [s.pipeline.pipeline for s in current]
            raise TargetError(NotSubscribed(name, tuple(closest(name, names))))
        if len(matches) > 1:
            scopes = tuple(f"{s.pipeline.org}/{s.pipeline.project}" for s in matches)
            raise TargetError(SeveralSubscriptions(name, scopes))
        (match,) = matches
        await self._store.remove_subscription(channel, match.pipeline)
        log.info("channel %s unsubscribed from %s by %s", channel, match.pipeline, user)
        return match

    async def of_channel(self, channel: str) -> list[Subscription]:
        return await self._store.channel_subscriptions(channel)


__all__ = ["Subscriptions"]
