"""One notification's Harness reads, made once for every channel it goes to: the
execution alone (`preview`, for filters and the first fill) and the logs result with
its link and excerpts (`result`), kept a minute in this process (the store shares
the reads between replicas underneath)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.domain import Execution, PipelineEvent
from bot.service.incidents.payloads import delivery
from bot.service.incidents.routing import passing
from bot.service.logs import LogsService
from bot.service.targets import ExecutionTarget, LogsResult, TargetError
from bot.singleflight import SingleFlight

log = logging.getLogger(__name__)

__all__ = ["RESULT_TTL", "EventResults"]

RESULT_TTL = 60.0  # one execution's logs result serves every channel's post


class EventResults:
    def __init__(self, service: LogsService, clock: Clock) -> None:
        self._service = service
        self._clock = clock
        self._results: dict[str, tuple[float, LogsResult]] = {}
        self._fetching: SingleFlight[LogsResult] = SingleFlight()

    async def result(self, event: PipelineEvent) -> LogsResult:
        """The event's logs result (link, excerpts), fetched once for all its channels;
        the excerpts come out of the link's export, at no calls of their own."""
        return await self._shared(
            "result", event, functools.partial(self._service.fetch_logs, from_export=True)
        )

    async def preview(self, event: PipelineEvent) -> LogsResult:
        """What failed, from the execution alone: fetched once for all its channels."""
        return await self._shared("preview", event, self._service.preview)

    def kept(self, what: str, event: PipelineEvent) -> LogsResult | None:
        """The event's result if this process fetched it a moment ago (no fetch now)."""
        cached = self._results.get(f"{what}:{delivery(event)}")
        if cached is not None and self._clock.monotonic() - cached[0] < RESULT_TTL:
            return cached[1]
        return None

    async def _shared(
        self,
        what: str,
        event: PipelineEvent,
        fetch: Callable[[ExecutionTarget], Awaitable[LogsResult]],
    ) -> LogsResult:
        key = f"{what}:{delivery(event)}"
        if (kept := self.kept(what, event)) is not None:
            return kept

        async def once() -> LogsResult:
            result = await fetch(ExecutionTarget(event.scope, event.plan_execution_id))
            now = self._clock.monotonic()
            self._results[key] = (now, result)
            for stale in [k for k, (at, _r) in self._results.items() if now - at >= RESULT_TTL]:
                del self._results[stale]
            return result

        return await self._fetching.run(key, once)

    async def execution(self, event: PipelineEvent) -> Execution | None:
        """The event's execution, read once for the fan-out and every channel's post."""
        try:
            return (await self.preview(event)).execution
        except TargetError as exc:
            if passing(exc):
                raise
            log.warning("execution %s not readable: %s", event.plan_execution_id, exc.miss)
            return None
