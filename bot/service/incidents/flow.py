"""Harness notifications -> posts in subscribed channels, one thread per execution.

- A notification is recorded in the durable queue before Harness gets its 202
  (`accept`); its work fans out into one piece of work per subscribed channel
  (`fan_out`), each posted, retried and rate-limited on its own (`post`).
- The first post about an execution in a channel is its parent; later events (a
  StageFailed then PipelineFailed, a retry) reply in its thread and refresh the
  parent in place instead of adding top-level posts.
- A failure post says who started the run (and whose commit it built), whether it
  is the first failure or a streak, and whether the pipeline flaps; a
  PipelineSuccess after a failure says "recovered in run #N after K failed runs"
  in that failure's thread and marks its parent post recovered.
- A subscription's filters (branch and stage globs) and the channel's mute decide
  whether a channel hears of an event at all; the notification is recorded either
  way. A recovery ends an "until it recovers" mute, and says so.
- The same delivery twice (Harness retries, or two replicas behind a load
  balancer) acts once: the work's key is planExecutionId + event + stage + step,
  remembered for 24 h once it is done (and freed if it is given up, so a
  redelivery can try again). A claim per channel and execution keeps two
  different events from both posting a parent.
- A channel that removed or archived the bot marks its subscription broken; other
  channels still get their posts.

A failure's own post and its filling-in are alerts.py's; what a post looks like is
the edge's business: it implements `IncidentPosts`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from bot.clock import Clock
from bot.domain import (
    Execution,
    Mute,
    PipelineEvent,
    Subscription,
    ThreadRecord,
    Work,
    WorkKind,
)
from bot.service.access import Access
from bot.service.channels import ChannelUnavailable
from bot.service.history import RunHistories
from bot.service.incidents.alerts import ALERT_DEADLINE, Alerts
from bot.service.incidents.payloads import (
    delivery,
    event_from_json,
    event_to_json,
    sub_from,
    sub_json,
)
from bot.service.incidents.ports import IncidentPosts
from bot.service.incidents.results import EventResults
from bot.service.incidents.routing import Router, passing, stage_name
from bot.service.incidents.threads import Threads
from bot.service.logs import LogsService
from bot.service.mutes import Mutes
from bot.service.targets import ExecutionTarget, TargetError
from bot.service.workers import GiveUp, Later, Workers, backoff, to_the_end
from bot.store import Store

log = logging.getLogger(__name__)


class Incidents:
    def __init__(
        self,
        service: LogsService,
        store: Store,
        posts: IncidentPosts,
        workers: Workers,
        *,
        account: str,
        clock: Clock,
        mutes: Mutes,
        access: Access | None = None,
        on_broken: Callable[[], None] | None = None,
        histories: RunHistories | None = None,
        on_filled: Callable[[], None] | None = None,
    ) -> None:
        self._on_broken = on_broken or (lambda: None)
        self._histories = histories
        self._clock = clock
        self._service = service
        self._access = access or Access.open()
        self._store = store
        self._posts = posts
        self._workers = workers
        self._account = account
        self._results = EventResults(service, clock)
        self._router = Router(store, mutes, self._access, self._results.execution)
        self._threads = Threads(store)
        self._alerts = Alerts(
            service,
            store,
            posts,
            workers,
            results=self._results,
            threads=self._threads,
            access=self._access,
            clock=clock,
            refused_now=self._refused_now,
            histories=histories,
            on_filled=on_filled,
        )

    async def fill(self, work: Work) -> GiveUp | Later | None:
        """An alert's post filled in (bot/service/incidents/alerts.py)."""
        return await self._alerts.fill(work)

    async def accept(self, event: PipelineEvent) -> bool:
        """Record the notification (raises when the store cannot); False for a duplicate."""
        added = await self._workers.submit(
            Work(
                WorkKind.WEBHOOK,
                {"event": event_to_json(event)},
                deadline=self._workers.deadline_in(ALERT_DEADLINE),
                key=delivery(event),
            )
        )
        if not added:
            log.info("duplicate notification %s ignored", delivery(event))
        return added

    async def fan_out(self, work: Work) -> None:
        """A notification, turned into one post for each channel that wants it."""
        event = event_from_json(work.payload["event"])
        if event.account != self._account:
            log.info("ignored a notification for another account")
            return
        async for chosen in self._router.deliveries(event, work.key):
            channel = chosen.subscription.channel
            payload = {
                "event": work.payload["event"],
                "subscription": sub_json(chosen.subscription),
            }
            if chosen.unmuted is not None:
                payload["unmuted"] = {"by": chosen.unmuted.by, "at": chosen.unmuted.at}
            await self._workers.submit(
                Work(
                    WorkKind.INCIDENT_POST,
                    payload,
                    deadline=work.deadline,
                    key=f"{work.key}:{channel}",
                )
            )

    async def post(self, work: Work) -> GiveUp | Later | None:
        """An alert's first post in one channel (from the notification alone)."""
        event = event_from_json(work.payload["event"])
        subscription = sub_from(work.payload["subscription"])
        if (refused := await self._refused_now(subscription.channel, event)) is not None:
            return refused
        try:
            if event.is_failure:
                await self._alerts.post(subscription, event, work)
            else:
                unmuted = work.payload.get("unmuted")
                if unmuted is not None:
                    mute = Mute(str(unmuted["by"]), float(unmuted["at"]), None)
                    await self._posts.unmuted(subscription.channel, subscription, mute)
                await self._other(subscription, event)
        except ChannelUnavailable as exc:
            await self._store.mark_broken(subscription.channel, subscription.pipeline, exc.reason)
            self._on_broken()
            log.warning(
                "subscription of %s to %s is broken: %s",
                subscription.channel,
                subscription.pipeline,
                exc.reason,
            )
            return GiveUp(exc.reason)
        except TargetError as exc:
            if passing(exc):
                return Later(backoff(work.attempts + 1), why=str(exc.miss))
            log.warning("notification %s not posted: %s", work.key, exc.miss)
            return GiveUp(str(exc.miss))
        return None

    async def _refused_now(self, channel: str, event: PipelineEvent) -> GiveUp | None:
        """The gate asked again right before posting: queued work may have waited (the
        policy may have been narrowed meanwhile), and a store can be written by others."""
        if await self._router.refusal(channel, event) is not None:
            return GiveUp("the access policy does not allow it here")
        return None

    async def _other(self, subscription: Subscription, event: PipelineEvent) -> None:
        channel = subscription.channel
        execution = await self._results.execution(event)
        run = execution.run_sequence if execution else None
        if event.event_type == "PipelineSuccess":
            await self._recovered(subscription, event, execution)
            if subscription.events != "all":
                return
        named_stage = stage_name(execution, event)
        thread = await self._threads.thread_or_claim(channel, event.plan_execution_id)
        if thread is None:
            # The first we hear of this execution here: a one-line parent for its thread,
            # posted and recorded together (see _failure).
            status = execution.status if execution else event.event_type

            async def post_parent() -> None:
                async with self._threads.parent(channel, event.plan_execution_id):
                    ts = await self._posts.event(channel, event, run, named_stage, None)
                record = ThreadRecord(
                    channel, event.plan_execution_id, ts, subscription.pipeline, run or 0, status
                )
                await self._store.save_thread(record)

            await to_the_end(post_parent())
        else:
            await self._posts.event(channel, event, run, named_stage, thread.ts)

    async def _recovered(
        self, subscription: Subscription, event: PipelineEvent, execution: Execution | None
    ) -> None:
        channel, key = subscription.channel, subscription.pipeline
        last = await self._store.last_failure(channel, key)
        if last is None or last == event.plan_execution_id:
            return
        failed = await self._store.get_thread(channel, last)
        if failed is not None and execution is not None:
            url = self._service.execution_url(execution)
            count = await self._histories.failed_before(execution) if self._histories else None
            await self._posts.recovered(channel, failed.ts, execution, url, count)
            await self._mark_recovered(subscription, failed, execution, count)
        await self._store.set_last_failure(channel, key, None)

    async def _mark_recovered(
        self,
        subscription: Subscription,
        failed: ThreadRecord,
        green: Execution,
        count: int | None,
    ) -> None:
        """The failure's parent post, redrawn as recovered (its link and excerpts kept)."""
        target = ExecutionTarget(green.scope, failed.plan_execution_id)
        try:
            result = await self._service.fetch_logs(target)
        except TargetError as exc:
            log.info("parent of %s not marked recovered: %s", failed.plan_execution_id, exc.miss)
            return
        execution = result.execution
        # Who started the run is the execution's own to say (the post falls back to it).
        event = PipelineEvent(
            account=self._account,
            org=execution.org,
            project=execution.project,
            pipeline=execution.pipeline_identifier,
            plan_execution_id=execution.plan_execution_id,
            event_type="PipelineFailed",
            pipeline_name=execution.pipeline_name,
        )
        alert = await self._alerts.alert(
            subscription, result, event, None, (green.run_sequence, count)
        )
        await self._posts.refresh(subscription.channel, failed.ts, alert)
        await self._store.save_thread(replace(failed, status=execution.status))


__all__ = ["Incidents"]
