"""Which channels hear about which pipelines: subscribe, unsubscribe, list.

The pipeline is checked against Harness (with suggestions) before anything is
stored. Unsubscribing matches the channel's own subscriptions, so a pipeline that
was deleted in Harness can still be let go. Whether the bot may post in the channel
is the edge's question, asked between `find` and `subscribe`. Who may do which is
the access policy's: subscribing is its `subscribe` rule for the pipeline's project,
unsubscribing and unmuting change a channel's alerts (the same rule, any project),
listing needs only the right to use the bot (`refusal`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain import Events, Filters, Mute, PipelineKey, PipelineRef, Scope, Subscription
from bot.domain.misses import NotSubscribed, SeveralSubscriptions
from bot.service.access import Access, Act, Asker, Refused
from bot.service.grammar import ListSubscriptions, Subscribe, Unmute, Unsubscribe
from bot.service.logs import LogsService
from bot.service.mutes import Mutes
from bot.service.targets import TargetError
from bot.store import Store
from bot.suggest import closest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listed:
    """A channel's subscription with its mute, if one is in force."""

    subscription: Subscription
    mute: Mute | None


SubscriptionCommand = Subscribe | Unsubscribe | Unmute | ListSubscriptions


class Subscriptions:
    def __init__(
        self,
        logs: LogsService,
        store: Store,
        *,
        account: str,
        clock: Clock,
        mutes: Mutes,
        access: Access | None = None,
    ) -> None:
        self._access = access or Access.open()
        self._logs = logs
        self._store = store
        self._account = account
        self._clock = clock
        self.mutes = mutes

    async def refusal(self, asker: Asker, command: SubscriptionCommand) -> Refused | None:
        """Why the policy does not let `asker` do this here, if it does not."""
        if isinstance(command, Subscribe):
            act, scope = Act.SUBSCRIBE, command.scope or self.default_scope
        elif isinstance(command, Unsubscribe | Unmute):
            act, scope = Act.MANAGE, None
        else:
            act, scope = Act.LIST, None
        return await self._access.refusal(asker, act, scope)

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
        self,
        channel: str,
        user: str,
        pipeline: PipelineRef,
        scope: Scope,
        events: Events,
        filters: Filters | None = None,
    ) -> tuple[Subscription, Subscription | None]:
        """Store it, as given; with the subscription it replaced (None: a new one)."""
        key = PipelineKey(self._account, scope.org, scope.project, pipeline.identifier)
        subscription = Subscription(
            channel,
            key,
            pipeline.name,
            events,
            user,
            self._clock.time(),
            filters=filters or Filters(),
        )
        before = await self.of(channel, key)
        await self._store.add_subscription(subscription)
        log.info("channel %s subscribed to %s (%s) by %s", channel, key, events, user)
        return subscription, before

    async def unsubscribe(
        self, channel: str, user: str, name: str, scope: Scope | None
    ) -> Subscription:
        match = await self._named(channel, name, scope)
        await self._store.remove_subscription(channel, match.pipeline)
        await self.mutes.end(channel, match.pipeline)
        log.info("channel %s unsubscribed from %s by %s", channel, match.pipeline, user)
        return match

    async def unmute(
        self, channel: str, user: str, name: str, scope: Scope | None
    ) -> tuple[Subscription, Mute | None]:
        """End the channel's mute of a subscribed pipeline (None: it was not muted)."""
        match = await self._named(channel, name, scope)
        mute = await self.mutes.end(channel, match.pipeline)
        if mute is not None:
            log.info("channel %s unmuted %s by %s", channel, match.pipeline, user)
        return match, mute

    async def _named(self, channel: str, name: str, scope: Scope | None) -> Subscription:
        """The channel's subscription a person named, or TargetError with the closest."""
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
        return match

    async def of(self, channel: str, pipeline: PipelineKey) -> Subscription | None:
        """The channel's subscription to the pipeline, if it has one."""
        subscriptions = await self._store.channel_subscriptions(channel)
        return next((s for s in subscriptions if s.pipeline == pipeline), None)

    async def of_channel(self, channel: str) -> list[Listed]:
        subscriptions = await self._store.channel_subscriptions(channel)
        return [Listed(s, await self.mutes.of(channel, s.pipeline)) for s in subscriptions]


__all__ = ["Listed", "SubscriptionCommand", "Subscriptions"]
