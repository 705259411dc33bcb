"""A pipeline's recent runs, for "first failure", "failing since" and "recovered after".

One summary call per pipeline serves every channel and event for a minute (`KEEP`),
and the comparison with the last green run too: a failure fanned out to thirty
channels, or a StageFailed followed by its PipelineFailed, asks Harness once. The
cache holds at most `PIPELINES` pipelines. History is a nicety: when Harness cannot
say (or the Harness budget is short), the post goes out without it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from bot.clock import Clock
from bot.domain import Execution, History, Run
from bot.domain.triage import failures_before, history_of
from bot.harness.budget import Priority, priority
from bot.harness.errors import HarnessError
from bot.harness.executions import PipelineApi
from bot.singleflight import SingleFlight

log = logging.getLogger(__name__)

KEEP = 60.0  # seconds a pipeline's run list serves
PIPELINES = 256  # pipelines whose run lists are kept
RUNS = 20  # runs read per pipeline (the flapping window is 10)
FRESH = 2.0  # seconds within which a list serves even runs it does not show yet


class RunHistories:
    def __init__(self, pipelines: PipelineApi, clock: Clock, keep: float = KEEP) -> None:
        self._pipelines = pipelines
        self._clock = clock
        self._keep = keep
        self._kept: OrderedDict[tuple[str, str, str], tuple[float, list[Run]]] = OrderedDict()
        self._flights: SingleFlight[list[Run]] = SingleFlight()

    async def history(self, execution: Execution) -> History | None:
        """Where this failed run stands (None when Harness cannot say)."""
        runs = await self._runs(execution)
        return None if runs is None else history_of(runs, execution.run_sequence)

    async def runs_of(self, execution: Execution) -> list[Run] | None:
        """The pipeline's recent runs, newest first, as the history reads them (the same
        list serves the comparison with the last green run)."""
        return await self._runs(execution)

    async def failed_before(self, execution: Execution) -> int | None:
        """How many failed runs this (successful) run ended."""
        runs = await self._runs(execution)
        return None if runs is None else failures_before(runs, execution.run_sequence)

    async def _runs(self, execution: Execution) -> list[Run] | None:
        key = (execution.org, execution.project, execution.pipeline_identifier)
        kept = self._kept.get(key)
        if kept is not None:
            age = self._clock.monotonic() - kept[0]
            # A list from before this run was started says nothing of the runs just
            # before it (they may have been running then): read again, unless it was
            # just read (Harness may list a run a moment after notifying of it).
            current = any(r.run_sequence == execution.run_sequence for r in kept[1])
            if age < self._keep and (current or age < FRESH):
                self._kept.move_to_end(key)
                return kept[1]

        async def read() -> list[Run]:
            # A nice-to-have: skipped when the Harness budget is short.
            with priority(Priority.EXTRAS):
                runs = await self._pipelines.runs(execution.scope, key[2], size=RUNS)
            self._kept[key] = (self._clock.monotonic(), runs)
            self._kept.move_to_end(key)
            while len(self._kept) > PIPELINES:
                self._kept.popitem(last=False)
            return runs

        try:
            return await self._flights.run("/".join(key), read)
        except HarnessError as exc:
            log.warning("no run history for %s: %s", "/".join(key), exc)
            return None


__all__ = ["RunHistories"]
