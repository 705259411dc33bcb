"""A failure alert in a channel: posted at once from Harness's notification, then
filled in place as work of its own (the run, its history; then the excerpts and the
link), each read once for every channel; history and the comparison are left out
while the key's budget is short, and the post says so."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.clock import Clock
from bot.domain import (
    Execution,
    History,
    Lane,
    PipelineEvent,
    Subscription,
    ThreadRecord,
    Work,
    WorkKind,
)
from bot.harness.budget import noting_left_out, without_extras
from bot.service.access import Access
from bot.service.channels import ChannelUnavailable
from bot.service.history import RunHistories
from bot.service.incidents.payloads import (
    event_from_json,
    history_from_json,
    history_to_json,
    sub_from,
)
from bot.service.incidents.ports import Alert, IncidentPosts
from bot.service.incidents.results import EventResults
from bot.service.incidents.routing import passing, stage_name
from bot.service.incidents.threads import Threads
from bot.service.logs import LogsService
from bot.service.targets import LogsResult, TargetError
from bot.service.workers import GiveUp, Later, Workers, backoff, to_the_end
from bot.store import Store

log = logging.getLogger(__name__)

__all__ = ["ALERT_DEADLINE", "Alerts"]

ALERT_DEADLINE = 6 * 3600.0  # an alert older than this helps nobody
# Fill-ins waiting longer than this to be done mean the Harness budget is short.
BACKLOG_AGE = 5.0


class Alerts:
    def __init__(
        self,
        service: LogsService,
        store: Store,
        posts: IncidentPosts,
        workers: Workers,
        *,
        results: EventResults,
        threads: Threads,
        access: Access,
        clock: Clock,
        refused_now: Callable[[str, PipelineEvent], Awaitable[GiveUp | None]],
        histories: RunHistories | None = None,
        on_filled: Callable[[], None] | None = None,
    ) -> None:
        """`refused_now`: the access policy asked again right before a post."""
        self._service = service
        self._store = store
        self._posts = posts
        self._workers = workers
        self._results = results
        self._threads = threads
        self._access = access
        self._clock = clock
        self._refused_now = refused_now
        self._histories = histories
        self._on_filled = on_filled or (lambda: None)

    async def post(self, subscription: Subscription, event: PipelineEvent, work: Work) -> None:
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
            preview = self._results.kept("preview", event)
            found, left_out = (
                await self._history(preview.execution) if preview is not None else (None, [])
            )
            history = history_to_json(found)
            stage = "run" if preview is None else "logs"
            result = preview or self._service.from_event(event)
            alert = await self.alert(subscription, result, event, found, left_out=left_out)
            thread = await self._threads.thread_or_claim(channel, event.plan_execution_id)
            # Posting and recording what was posted go together: a shutdown in between
            # would leave a post nobody knows of (and its claim held), so it waits.
            ts = await to_the_end(self._post_alert(subscription, alert, thread, progress))
        await self._workers.submit(
            Work(
                WorkKind.INCIDENT_FILL,
                {
                    **work.payload,
                    "ts": ts,
                    "history": history,
                    "left_out": left_out,
                    "fill": stage,
                },
                deadline=work.deadline,
                key=f"{work.key}:fill" if work.key else None,
            )
        )

    async def alert(
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
            async with self._threads.parent(channel, event.plan_execution_id):
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
            named_stage = stage_name(execution, event)
            run = execution.run_sequence or thread.run_sequence or None
            await self._posts.event(channel, event, run, named_stage, thread.ts)
            ts = thread.ts
        await self._store.put_value(progress, ts, ALERT_DEADLINE)
        await self._store.set_last_failure(channel, subscription.pipeline, event.plan_execution_id)
        return ts

    async def fill(self, work: Work) -> GiveUp | Later | None:
        """The posted alert, refreshed in place: first with the run (its number, what
        failed, its history), then with the excerpts and the link."""
        event = event_from_json(work.payload["event"])
        subscription = sub_from(work.payload["subscription"])
        channel = subscription.channel
        if (refused := await self._refused_now(channel, event)) is not None:
            return refused
        try:
            with without_extras(await self._backlog()):
                if work.payload.get("fill") == "run":
                    await self._fill_run(work, subscription, event)
                    return None
                result = await self._results.result(event)
            history = history_from_json(work.payload.get("history"))
            left_out = [str(x) for x in work.payload.get("left_out") or []]
            alert = await self.alert(subscription, result, event, history, left_out=left_out)
            await self._posts.refresh(channel, work.payload["ts"], alert)
            self._on_filled()
        except ChannelUnavailable as exc:
            return GiveUp(exc.reason)
        except TargetError as exc:
            if passing(exc):
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
        preview = await self._results.preview(event)
        found, left_out = await self._history(preview.execution)
        await self._posts.refresh(
            channel, ts, await self.alert(subscription, preview, event, found, left_out=left_out)
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
                WorkKind.INCIDENT_FILL,
                payload,
                deadline=work.deadline,
                key=f"{work.key}:logs" if work.key else None,
            )
        )
