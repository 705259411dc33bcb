"""Harness notifications -> posts in subscribed channels, one thread per execution.

- The first post about an execution in a channel is its parent; later events (a
  StageFailed then PipelineFailed, a retry) reply in its thread and refresh the
  parent in place instead of adding top-level posts.
- A PipelineSuccess after a failure says "recovered in run #N" in that failure's
  thread.
- The same delivery twice (Harness retries, or two replicas behind a load
  balancer) acts once: a claim on planExecutionId + event + stage + step, kept 24 h
  in the shared store. A second claim per channel and execution keeps two different
  events from both posting a parent.
- A channel that removed or archived the bot marks its subscription broken; other
  channels still get their posts.

What a post looks like is the edge's business: it implements `IncidentPosts`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Protocol

from bot.domain import (
    Execution,
    PipelineEvent,
    PipelineKey,
    Subscription,
    ThreadRecord,
)
from bot.service.logs import LogsService
from bot.service.targets import ExecutionTarget, LogsResult, TargetError
from bot.store import Store

log = logging.getLogger(__name__)

DEDUP_TTL = 24 * 3600.0
PARENT_LOCK_TTL = 120.0
PARENT_WAIT = 15.0  # how long to wait for another handler's parent post


class ChannelUnavailable(Exception):
    """The bot may not post in the channel any more (removed, archived)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IncidentPosts(Protocol):
    """How the edge shows incidents; each call returns the ts of what it posted."""

    async def failure(self, channel: str, result: LogsResult, event: PipelineEvent) -> str: ...

    async def failure_again(
        self,
        channel: str,
        thread_ts: str,
        result: LogsResult,
        event: PipelineEvent,
        stage_name: str | None,
    ) -> None:
        """A later failure of the same execution: a reply, and the parent refreshed."""

    async def event(
        self,
        channel: str,
        event: PipelineEvent,
        run: int | None,
        stage_name: str | None,
        thread_ts: str | None,
    ) -> str: ...

    async def recovered(
        self, channel: str, thread_ts: str, execution: Execution, execution_url: str
    ) -> None: ...


@dataclass
class _Context:
    """What one event needs from Harness, fetched at most once for all channels."""

    event: PipelineEvent
    service: LogsService
    _result: LogsResult | None = None
    _execution: Execution | None = None
    _fetched: bool = False

    async def result(self) -> LogsResult:
        if self._result is None:
            self._result = await self.service.fetch_logs(
                ExecutionTarget(self.event.scope, self.event.plan_execution_id)
            )
            self._execution = self._result.execution
        return self._result

    async def execution(self) -> Execution | None:
        if self._execution is None and not self._fetched:
            self._fetched = True
            try:
                self._execution = await self.service.execution(
                    self.event.scope, self.event.plan_execution_id
                )
            except TargetError as exc:
                log.warning("execution %s not readable: %s", self.event.plan_execution_id, exc.miss)
        return self._execution


class Incidents:
    def __init__(
        self, service: LogsService, store: Store, posts: IncidentPosts, *, account: str
    ) -> None:
        self._service = service
        self._store = store
        self._posts = posts
        self._account = account

    async def handle(self, event: PipelineEvent) -> None:
        if event.account != self._account:
            log.info("ignored a notification for another account")
            return
        key = PipelineKey(event.account, event.org, event.project, event.pipeline)
        dedup = ":".join(
            (
                "webhook",
                event.plan_execution_id,
                event.event_type,
                event.stage or "",
                event.step or "",
            )
        )
        if not await self._store.claim(dedup, DEDUP_TTL):
            log.info("duplicate notification %s ignored", dedup)
            return
        subscriptions = await self._store.pipeline_subscriptions(key)
        if event.is_failure or event.event_type == "PipelineSuccess":
            targets = subscriptions
        else:
            targets = [s for s in subscriptions if s.events == "all"]
        if not targets:
            return
        context = _Context(event, self._service)
        if event.is_failure:
            try:
                await context.result()  # starts the export now, so the link is ready in time
            except TargetError as exc:
                # Nothing was posted: let a redelivery try again.
                await self._store.release(dedup)
                log.warning("notification %s not posted: %s", dedup, exc.miss)
                return
        for subscription in targets:
            try:
                if event.is_failure:
                    await self._failure(subscription, context)
                else:
                    await self._other(subscription, context)
            except ChannelUnavailable as exc:
                await self._store.mark_broken(subscription.channel, key, exc.reason)
                log.warning(
                    "subscription of %s to %s is broken: %s", subscription.channel, key, exc.reason
                )
            except Exception:
                log.exception("posting %s to %s failed", event.event_type, subscription.channel)

    async def _failure(self, subscription: Subscription, context: _Context) -> None:
        event, channel = context.event, subscription.channel
        result = await context.result()
        execution = result.execution
        thread = await self._thread_or_claim(channel, event.plan_execution_id)
        if thread is None:
            ts = await self._posts.failure(channel, result, event)
            thread = ThreadRecord(
                channel,
                event.plan_execution_id,
                ts,
                subscription.pipeline,
                execution.run_sequence,
                execution.status,
            )
        else:
            stage_name = _stage_name(execution, event)
            await self._posts.failure_again(channel, thread.ts, result, event, stage_name)
            thread = replace(thread, status=execution.status)
        await self._store.save_thread(thread)
        await self._store.set_last_failure(channel, subscription.pipeline, event.plan_execution_id)

    async def _other(self, subscription: Subscription, context: _Context) -> None:
        event, channel = context.event, subscription.channel
        execution = await context.execution()
        run = execution.run_sequence if execution else None
        if event.event_type == "PipelineSuccess":
            await self._recovered(subscription, event, execution)
            if subscription.events != "all":
                return
        stage_name = _stage_name(execution, event)
        thread = await self._thread_or_claim(channel, event.plan_execution_id)
        if thread is None:
            # The first we hear of this execution here: a one-line parent for its thread.
            ts = await self._posts.event(channel, event, run, stage_name, None)
            status = execution.status if execution else event.event_type
            await self._store.save_thread(
                ThreadRecord(
                    channel, event.plan_execution_id, ts, subscription.pipeline, run or 0, status
                )
            )
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
            await self._posts.recovered(channel, failed.ts, execution, url)
        await self._store.set_last_failure(channel, key, None)

    async def _thread_or_claim(self, channel: str, plan_execution_id: str) -> ThreadRecord | None:
        """The execution's thread here, or None when this handler should post the parent."""
        thread = await self._store.get_thread(channel, plan_execution_id)
        if thread is not None:
            return thread
        if await self._store.claim(f"parent:{channel}:{plan_execution_id}", PARENT_LOCK_TTL):
            return None
        # Another event (here or on another replica) is posting the parent: wait for it.
        deadline = time.monotonic() + PARENT_WAIT
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            thread = await self._store.get_thread(channel, plan_execution_id)
            if thread is not None:
                return thread
        log.warning("no parent appeared for %s in %s; posting one", plan_execution_id, channel)
        return None


def _stage_name(execution: Execution | None, event: PipelineEvent) -> str | None:
    if execution is None or not event.stage:
        return None
    stage = next((s for s in execution.stages() if s.identifier == event.stage), None)
    return stage.name if stage else None


__all__ = ["ChannelUnavailable", "IncidentPosts", "Incidents"]
