"""Which channels hear of an event (`Router`): the subscriptions to its pipeline that
asked for its kind of event, whose branch and stage filters let it through, whose
channel the access policy lets read it, and that are not muted (a recovery ends a
mute kept until it). Also what a notification names, and whether Harness is only
failing for now."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.domain import Execution, Filters, Mute, PipelineEvent, PipelineKey, Subscription
from bot.domain.misses import HarnessRefused
from bot.service.access import Access, Act, Asker, Refused
from bot.service.mutes import Mutes
from bot.service.targets import TargetError
from bot.store import Store

__all__ = ["Delivery", "Router", "passing", "stage_name", "wanted"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """A channel that gets the event, and the mute the event has just ended there."""

    subscription: Subscription
    unmuted: Mute | None = None


class Router:
    def __init__(
        self,
        store: Store,
        mutes: Mutes,
        access: Access,
        execution_of: Callable[[PipelineEvent], Awaitable[Execution | None]],
    ) -> None:
        self._store = store
        self._mutes = mutes
        self._access = access
        # The event's run, read only when a filter needs its branch or stages.
        self._execution_of = execution_of

    async def deliveries(self, event: PipelineEvent, label: str | None) -> AsyncIterator[Delivery]:
        """The channels that get `event`, each as soon as it is decided, so its post is
        queued while the next channel is looked at (`label` names the notification in
        the log)."""
        key = PipelineKey(event.account, event.org, event.project, event.pipeline)
        subscriptions = await self._store.pipeline_subscriptions(key)
        if event.is_failure or event.event_type == "PipelineSuccess":
            targets = subscriptions
        else:
            targets = [s for s in subscriptions if s.events == "all"]
        execution = None
        if any(s.filters.branches or s.filters.stages for s in targets):
            execution = await self._execution_of(event)
        for subscription in targets:
            channel = subscription.channel
            if not wanted(subscription.filters, event, execution):
                log.info("notification %s filtered out for %s", label, channel)
                continue
            if await self.refusal(channel, event) is not None:
                continue
            mute = await self._mutes.of(channel, key)
            unmuted = None
            if mute is not None:
                if not (event.event_type == "PipelineSuccess" and mute.until_recovery):
                    log.info("notification %s not posted in %s: muted", label, channel)
                    if event.event_type == "PipelineSuccess":
                        # Recovered while muted: nothing to announce once the mute ends.
                        await self._store.set_last_failure(channel, key, None)
                    continue
                unmuted = await self._mutes.end(channel, key)
            yield Delivery(subscription, unmuted)

    async def refusal(self, channel: str, event: PipelineEvent) -> Refused | None:
        """Why the channel may not read the event's project, if it may not (logged)."""
        refused = await self._access.refusal(Asker(None, channel), Act.READ, event.scope)
        if refused is not None:
            log.warning(
                "notification for %s not posted in %s: the access policy refuses it (%s)",
                event.scope,
                channel,
                refused.rule,
            )
        return refused


def wanted(filters: Filters, event: PipelineEvent, execution: Execution | None) -> bool:
    """Whether a subscription's branch and stage filters let this event through."""
    if filters.branches:
        origin = execution.origin if execution else None
        if not filters.wants_branch(origin.branch if origin else None):
            return False
    if filters.stages:
        if event.stage:
            stages = [event.stage]
            if execution is not None:
                stages += [s.name for s in execution.stages() if s.identifier == event.stage]
        elif event.is_failure and execution is not None:
            stages = [n for s in execution.failed_stages() for n in (s.identifier, s.name)]
        else:
            return True  # a pipeline-level event (a start, a success) concerns every stage
        return filters.wants_stages(stages)
    return True


def passing(exc: TargetError) -> bool:
    """Harness failing for now (down, rate limiting): worth another try later."""
    return isinstance(exc.miss, HarnessRefused) and exc.miss.passing


def stage_name(execution: Execution | None, event: PipelineEvent) -> str | None:
    if execution is None or not event.stage:
        return None
    stage = next((s for s in execution.stages() if s.identifier == event.stage), None)
    return stage.name if stage else None
