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

What a post looks like is the edge's business: it implements `IncidentPosts`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain import (
    Execution,
    Filters,
    History,
    Lane,
    Mute,
    PipelineEvent,
    PipelineKey,
    Reason,
    Standing,
    Subscription,
    ThreadRecord,
    Work,
)
from bot.domain.misses import HarnessRefused
from bot.harness.budget import noting_left_out, without_extras
from bot.service.access import Access, Act, Asker, ChannelFacts, Refused
from bot.service.events import event_from_json, event_to_json
from bot.service.history import RunHistories
from bot.service.logs import LogsService
from bot.service.mutes import Mutes
from bot.service.targets import ExecutionTarget, LogsResult, TargetError
from bot.service.workers import GiveUp, Later, SlowDown, Workers, backoff, to_the_end
from bot.singleflight import SingleFlight
from bot.store import Store

log = logging.getLogger(__name__)

PARENT_LOCK_TTL = 120.0
PARENT_WAIT = 1.0  # seconds before looking again for another post's parent
ALERT_DEADLINE = 6 * 3600.0  # an alert older than this helps nobody
RESULT_TTL = 60.0  # one execution's logs result serves every channel's post
# Fill-ins waiting longer than this to be done mean the Harness budget is short.
BACKLOG_AGE = 5.0
WEBHOOK, POST, FILL = "webhook", "incident_post", "incident_fill"


class ChannelUnavailable(Exception):
    """The bot may not post in the channel any more (removed, archived)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Alert:
    """Everything a failure post shows."""

    result: LogsResult  # `export` is None while the export is prepared
    event: PipelineEvent
    history: History | None = None
    mention: bool = True  # name people as Slack mentions where Slack knows them
    retry: bool = False  # offer "Retry failed stages" (the policy lets someone)
    # Once the pipeline recovered: (the green run, how many failed runs it ended).
    recovered: tuple[int, int | None] | None = None
    # Nice-to-haves skipped to keep the Harness key's budget ("history", "comparison").
    left_out: frozenset[str] = frozenset()


class IncidentPosts(Protocol):
    """How the edge shows incidents; each call returns the ts of what it posted."""

    async def failure(self, channel: str, alert: Alert) -> str:
        """The parent post of a failure."""

    async def refresh(self, channel: str, ts: str, alert: Alert) -> None:
        """The parent post again, in place (the link and excerpts came, or it recovered)."""

    async def event(
        self,
        channel: str,
        event: PipelineEvent,
        run: int | None,
        stage_name: str | None,
        thread_ts: str | None,
    ) -> str: ...

    async def recovered(
        self,
        channel: str,
        thread_ts: str,
        execution: Execution,
        execution_url: str,
        failed_runs: int | None,
    ) -> None: ...

    async def unmuted(self, channel: str, subscription: Subscription, mute: Mute) -> None:
        """The channel's mute of the pipeline ended because it recovered."""


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
        access: Access | None = None,
        on_broken: Callable[[], None] | None = None,
        histories: RunHistories | None = None,
        on_filled: Callable[[], None] | None = None,
    ) -> None:
        self._on_broken = on_broken or (lambda: None)
        self._on_filled = on_filled or (lambda: None)
        self._histories = histories
        self._clock = clock
        self._mutes = Mutes(store, clock)
        self._service = service
        self._access = access or Access(None, _no_facts, _no_members)
        self._store = store
        self._posts = posts
        self._workers = workers
        self._account = account
        self._results: dict[str, tuple[float, LogsResult]] = {}
        self._fetching: SingleFlight[LogsResult] = SingleFlight()
        workers.handle(WEBHOOK, self._fan_out)
        workers.handle(POST, self._post)
        workers.handle(FILL, self._fill)

    async def accept(self, event: PipelineEvent) -> bool:
        """Record the notification (raises when the store cannot); False for a duplicate."""
        added = await self._workers.submit(
            Work(
                WEBHOOK,
                {"event": event_to_json(event)},
                deadline=self._workers.deadline_in(ALERT_DEADLINE),
                key=_delivery(event),
            )
        )
        if not added:
            log.info("duplicate notification %s ignored", _delivery(event))
        return added

    async def _fan_out(self, work: Work) -> None:
        event = event_from_json(work.payload["event"])
        if event.account != self._account:
            log.info("ignored a notification for another account")
            return
        key = PipelineKey(event.account, event.org, event.project, event.pipeline)
        subscriptions = await self._store.pipeline_subscriptions(key)
        if event.is_failure or event.event_type == "PipelineSuccess":
            targets = subscriptions
        else:
            targets = [s for s in subscriptions if s.events == "all"]
        execution = None
        if any(s.filters.branches or s.filters.stages for s in targets):
            execution = await self._execution(event)
        for subscription in targets:
            channel = subscription.channel
            if not _wanted(subscription.filters, event, execution):
                log.info("notification %s filtered out for %s", work.key, channel)
                continue
            decision = await self._access.decide(Asker(None, channel), Act.READ, event.scope)
            if isinstance(decision, Refused):
                log.warning(
                    "notification for %s not posted in %s: the access policy refuses it (%s)",
                    event.scope,
                    channel,
                    decision.rule,
                )
                continue
            payload = {"event": work.payload["event"], "subscription": _sub_json(subscription)}
            mute = await self._mutes.of(channel, key)
            if mute is not None:
                if not (event.event_type == "PipelineSuccess" and mute.until_recovery):
                    log.info("notification %s not posted in %s: muted", work.key, channel)
                    if event.event_type == "PipelineSuccess":
                        # Recovered while muted: nothing to announce once the mute ends.
                        await self._store.set_last_failure(channel, key, None)
                    continue
                ended = await self._mutes.end(channel, key)
                if ended is not None:
                    payload["unmuted"] = {"by": ended.by, "at": ended.at}
            await self._workers.submit(
                Work(POST, payload, deadline=work.deadline, key=f"{work.key}:{channel}")
            )

    async def _post(self, work: Work) -> GiveUp | Later | None:
        event = event_from_json(work.payload["event"])
        subscription = _sub_from(work.payload["subscription"])
        if (refused := await self._refused_now(subscription.channel, event)) is not None:
            return refused
        try:
            if event.is_failure:
                await self._failure(subscription, event, work)
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
            if _passing(exc):
                return Later(backoff(work.attempts + 1), why=str(exc.miss))
            log.warning("notification %s not posted: %s", work.key, exc.miss)
            return GiveUp(str(exc.miss))
        return None

    async def _refused_now(self, channel: str, event: PipelineEvent) -> GiveUp | None:
        """The gate asked again right before posting: queued work may have waited (the
        policy may have been narrowed meanwhile), and a store can be written by others."""
        decision = await self._access.decide(Asker(None, channel), Act.READ, event.scope)
        if isinstance(decision, Refused):
            log.warning("alert for %s not posted in %s: %s", event.scope, channel, decision.rule)
            return GiveUp("the access policy does not allow it here")
        return None

    async def _result(self, event: PipelineEvent) -> LogsResult:
        """The event's logs result (link, excerpts), fetched once for all its channels;
        the excerpts come out of the link's export, at no calls of their own."""
        return await self._shared(
            "result", event, functools.partial(self._service.fetch_logs, from_export=True)
        )

    async def _preview(self, event: PipelineEvent) -> LogsResult:
        """What failed, from the execution alone: fetched once for all its channels."""
        return await self._shared("preview", event, self._service.preview)

    def _kept(self, what: str, event: PipelineEvent) -> LogsResult | None:
        """The event's result if this process fetched it a moment ago (no fetch now)."""
        cached = self._results.get(f"{what}:{_delivery(event)}")
        if cached is not None and self._clock.monotonic() - cached[0] < RESULT_TTL:
            return cached[1]
        return None

    async def _shared(
        self,
        what: str,
        event: PipelineEvent,
        fetch: Callable[[ExecutionTarget], Awaitable[LogsResult]],
    ) -> LogsResult:
        key = f"{what}:{_delivery(event)}"
        if (kept := self._kept(what, event)) is not None:
            return kept

        async def once() -> LogsResult:
            result = await fetch(ExecutionTarget(event.scope, event.plan_execution_id))
            now = self._clock.monotonic()
            self._results[key] = (now, result)
            for stale in [k for k, (at, _r) in self._results.items() if now - at >= RESULT_TTL]:
                del self._results[stale]
            return result

        return await self._fetching.run(key, once)

    async def _execution(self, event: PipelineEvent) -> Execution | None:
        """The event's execution, read once for the fan-out and every channel's post."""
        try:
            return (await self._preview(event)).execution
        except TargetError as exc:
            if _passing(exc):
                raise
            log.warning("execution %s not readable: %s", event.plan_execution_id, exc.miss)
            return None

    async def _failure(self, subscription: Subscription, event: PipelineEvent, work: Work) -> None:
        """Post first, from Harness's notification alone (what failed, who triggered it):
        no Harness call stands in front of it. The run (its number, steps, history) and
        then the excerpts and the link fill it in, as work of their own, so this worker
        is free for the next post at once."""
        channel = subscription.channel
        progress = f"alert-posted:{work.key or work.id}"  # the parent this work posted under
        ts = await self._store.get_value(progress)
        history = work.payload.get("history")
        left_out = work.payload.get("left_out", [])
        stage = work.payload.get("fill") or "run"
        if ts is None:
            # The run may have been read already (a subscription's filters needed it).
            preview = self._kept("preview", event)
            found, left_out = (
                await self._history(preview.execution) if preview is not None else (None, [])
            )
            history = history_to_json(found)
            stage = "run" if preview is None else "logs"
            result = preview or self._service.from_event(event)
            alert = await self._alert(subscription, result, event, found, left_out=left_out)
            thread = await self._thread_or_claim(channel, event.plan_execution_id)
            # Posting and recording what was posted go together: a shutdown in between
            # would leave a post nobody knows of (and its claim held), so it waits.
            ts = await to_the_end(self._post_alert(subscription, alert, thread, progress))
        await self._workers.submit(
            Work(
                FILL,
                {
                    **work.payload,
                    "ts": ts,
                    "history": history,
                    "left_out": left_out,
                    "fill": stage,
                },
                deadline=work.deadline,
                lane=Lane.FILL,
                key=f"{work.key}:fill" if work.key else None,
            )
        )

    async def _alert(
        self,
        subscription: Subscription,
        result: LogsResult,
        event: PipelineEvent,
        history: History | None,
        recovered: tuple[int, int | None] | None = None,
        *,
        left_out: list[str] | None = None,
    ) -> Alert:
        """The alert as this channel may see it (a chained run in a project the channel
        may not read is named, not shown: the result is shared by every channel)."""
        return Alert(
            await self._access.shown_in(subscription.channel, result),
            event,
            history,
            mention=subscription.filters.mention == "author",
            retry=recovered is None and self._access.offers_retry(event.scope),
            recovered=recovered,
            left_out=result.left_out | frozenset(left_out or ()),
        )

    async def _history(self, execution: Execution) -> tuple[History | None, list[str]]:
        """The run's history, and what was left out for the Harness budget (it, or not)."""
        if self._histories is None or not execution.failed:
            return None, []
        with noting_left_out() as left_out:
            found = await self._histories.history(execution)
        return found, sorted(left_out)

    async def _post_alert(
        self,
        subscription: Subscription,
        alert: Alert,
        thread: ThreadRecord | None,
        progress: str,
    ) -> str:
        """The alert (a parent post, or a line in the execution's thread), recorded."""
        channel, execution, event = subscription.channel, alert.result.execution, alert.event
        if thread is None:
            async with self._parent(channel, event.plan_execution_id):
                ts = await self._posts.failure(channel, alert)
            await self._store.save_thread(
                ThreadRecord(
                    channel,
                    event.plan_execution_id,
                    ts,
                    subscription.pipeline,
                    execution.run_sequence,
                    execution.status,
                )
            )
        else:
            # A later failure of the same execution: a line in its thread now.
            stage_name = _stage_name(execution, event)
            run = execution.run_sequence or thread.run_sequence or None
            await self._posts.event(channel, event, run, stage_name, thread.ts)
            ts = thread.ts
        await self._store.put_value(progress, ts, ALERT_DEADLINE)
        await self._store.set_last_failure(channel, subscription.pipeline, event.plan_execution_id)
        return ts

    async def _fill(self, work: Work) -> GiveUp | Later | None:
        """The posted alert, refreshed in place: first with the run (its number, what
        failed, its history), then with the excerpts and the link."""
        event = event_from_json(work.payload["event"])
        subscription = _sub_from(work.payload["subscription"])
        channel = subscription.channel
        if (refused := await self._refused_now(channel, event)) is not None:
            return refused
        try:
            with without_extras(await self._backlog()):
                if work.payload.get("fill") == "run":
                    await self._fill_run(work, subscription, event)
                    return None
                result = await self._result(event)
            history = history_from_json(work.payload.get("history"))
            left_out = [str(x) for x in work.payload.get("left_out") or []]
            alert = await self._alert(subscription, result, event, history, left_out=left_out)
            await self._posts.refresh(channel, work.payload["ts"], alert)
            self._on_filled()
        except ChannelUnavailable as exc:
            return GiveUp(exc.reason)
        except TargetError as exc:
            if _passing(exc):
                return Later(backoff(work.attempts + 1), why=str(exc.miss))
            return GiveUp(str(exc.miss))
        thread = await self._store.get_thread(channel, event.plan_execution_id)
        if thread is not None and thread.status != result.execution.status:
            await self._store.save_thread(replace(thread, status=result.execution.status))
        return None

    async def _backlog(self) -> bool:
        """Whether alerts queue up for their fill-ins: then the key's budget is short,
        and what is nice to have (history, comparison) is left out so the links come
        sooner, before the window shows it."""
        try:
            oldest = await self._store.oldest(Lane.FILL)
        except Exception as exc:  # a metric-grade question: the fill goes on
            log.debug("no queue age: %r", exc)
            return False
        return oldest is not None and self._clock.time() - oldest > BACKLOG_AGE

    async def _fill_run(self, work: Work, subscription: Subscription, event: PipelineEvent) -> None:
        """The alert with what reading the run adds (a few calls, quick); the excerpts and
        the link (the slow part) come next, as work of their own."""
        channel, ts = subscription.channel, work.payload["ts"]
        preview = await self._preview(event)
        found, left_out = await self._history(preview.execution)
        await self._posts.refresh(
            channel, ts, await self._alert(subscription, preview, event, found, left_out=left_out)
        )
        thread = await self._store.get_thread(channel, event.plan_execution_id)
        if thread is not None and thread.ts == ts and not thread.run_sequence:
            execution = preview.execution
            await self._store.save_thread(
                replace(thread, run_sequence=execution.run_sequence, status=execution.status)
            )
        payload = {
            **work.payload,
            "history": history_to_json(found),
            "left_out": left_out,
            "fill": "logs",
        }
        await self._workers.submit(
            Work(
                FILL,
                payload,
                deadline=work.deadline,
                lane=Lane.FILL,
                key=f"{work.key}:logs" if work.key else None,
            )
        )

    async def _other(self, subscription: Subscription, event: PipelineEvent) -> None:
        channel = subscription.channel
        execution = await self._execution(event)
        run = execution.run_sequence if execution else None
        if event.event_type == "PipelineSuccess":
            await self._recovered(subscription, event, execution)
            if subscription.events != "all":
                return
        stage_name = _stage_name(execution, event)
        thread = await self._thread_or_claim(channel, event.plan_execution_id)
        if thread is None:
            # The first we hear of this execution here: a one-line parent for its thread,
            # posted and recorded together (see _failure).
            status = execution.status if execution else event.event_type

            async def post_parent() -> None:
                async with self._parent(channel, event.plan_execution_id):
                    ts = await self._posts.event(channel, event, run, stage_name, None)
                record = ThreadRecord(
                    channel, event.plan_execution_id, ts, subscription.pipeline, run or 0, status
                )
                await self._store.save_thread(record)

            await to_the_end(post_parent())
        else:
            await self._posts.event(channel, event, run, stage_name, thread.ts)

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
        alert = await self._alert(subscription, result, event, None, (green.run_sequence, count))
        await self._posts.refresh(subscription.channel, failed.ts, alert)
        await self._store.save_thread(replace(failed, status=execution.status))

    async def _thread_or_claim(self, channel: str, plan_execution_id: str) -> ThreadRecord | None:
        """The execution's thread here, or None when this work should post the parent."""
        thread = await self._store.get_thread(channel, plan_execution_id)
        if thread is not None:
            return thread
        if await self._store.claim(f"parent:{channel}:{plan_execution_id}", PARENT_LOCK_TTL):
            return None
        # Another event (here or on another replica) is posting the parent: come back
        # when it is there, without holding a worker meanwhile.
        raise SlowDown(PARENT_WAIT, "waiting for the thread's parent post")

    @contextlib.asynccontextmanager
    async def _parent(self, channel: str, plan_execution_id: str) -> AsyncIterator[None]:
        """Posting the parent we claimed; if it fails, the claim goes so a retry can post."""
        try:
            yield
        except BaseException:
            await self._store.release(f"parent:{channel}:{plan_execution_id}")
            raise


async def _no_facts(_channel: str) -> ChannelFacts | None:
    return None


async def _no_members(_handle: str) -> frozenset[str]:
    return frozenset()


def _wanted(filters: Filters, event: PipelineEvent, execution: Execution | None) -> bool:
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


def history_to_json(history: History | None) -> dict[str, Any] | None:
    if history is None:
        return None
    return {
        "standing": history.standing.value,
        "failed_runs": history.failed_runs,
        "since_run": history.since_run,
        "last_green": history.last_green,
        "flapping": history.flapping,
    }


def history_from_json(data: Any) -> History | None:
    if not isinstance(data, dict):
        return None
    try:
        return History(
            Standing(data["standing"]),
            int(data["failed_runs"]),
            data.get("since_run"),
            data.get("last_green"),
            bool(data.get("flapping")),
        )
    except (KeyError, ValueError, TypeError):
        return None


def _delivery(event: PipelineEvent) -> str:
    parts = (event.plan_execution_id, event.event_type, event.stage or "", event.step or "")
    return "webhook:" + ":".join(parts)


def _passing(exc: TargetError) -> bool:
    """Harness failing for now (down, rate limiting): worth another try later."""
    miss = exc.miss
    return isinstance(miss, HarnessRefused) and miss.reason in (Reason.UNAVAILABLE, Reason.TIMEOUT)


def _sub_json(subscription: Subscription) -> dict[str, Any]:
    key = subscription.pipeline
    return {
        "channel": subscription.channel,
        "pipeline": [key.account, key.org, key.project, key.pipeline],
        "pipeline_name": subscription.pipeline_name,
        "events": subscription.events,
        "filters": subscription.filters.as_dict(),
    }


def _sub_from(data: dict[str, Any]) -> Subscription:
    return Subscription(
        channel=data["channel"],
        pipeline=PipelineKey(*data["pipeline"]),
        pipeline_name=data["pipeline_name"],
        events="all" if data["events"] == "all" else "failures",
        filters=Filters.from_dict(data.get("filters")),
    )


def _stage_name(execution: Execution | None, event: PipelineEvent) -> str | None:
    if execution is None or not event.stage:
        return None
    stage = next((s for s in execution.stages() if s.identifier == event.stage), None)
    return stage.name if stage else None


__all__ = ["Alert", "ChannelUnavailable", "IncidentPosts", "Incidents"]
