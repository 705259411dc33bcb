"""A pipeline's recent runs, for "first failure", "failing since" and "recovered after".

One summary call per pipeline serves every channel, event and replica for a minute
(`KEEP`, in the store), and the comparison with the last green run too: a failure
fanned out to thirty channels, or a StageFailed followed by its PipelineFailed, asks
Harness once. History is a nicety: when Harness cannot say (or the Harness budget is
short), the post goes out without it.
"""

from __future__ import annotations

import json
import logging

from bot.clock import Clock
from bot.domain import Execution, History, Run
from bot.domain.history import failures_before, history_of
from bot.harness.budget import Priority, priority
from bot.harness.errors import HarnessError
from bot.harness.pipeline_api import PipelineApi
from bot.sharedflight import SharedFlight

log = logging.getLogger(__name__)

HISTORY = "history"  # what is left out when the budget skips the run list
KEEP = 60.0  # seconds a pipeline's run list serves
RUNS = 20  # runs read per pipeline (the flapping window is 10)
FRESH = 2.0  # seconds within which a list serves even runs it does not show yet


class RunHistories:
    def __init__(
        self,
        pipelines: PipelineApi,
        clock: Clock,
        keep: float = KEEP,
        shared: SharedFlight | None = None,
    ) -> None:
        self._pipelines = pipelines
        self._clock = clock
        self._keep = keep
        self._shared = shared or SharedFlight()

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
        key = "/".join((execution.org, execution.project, execution.pipeline_identifier))

        def usable(kept: str) -> bool:
            read = _read(kept)
            if read is None:
                return False
            age = self._clock.time() - read[0]
            # A list from before this run was started says nothing of the runs just
            # before it (they may have been running then): read again, unless it was
            # just read (Harness may list a run a moment after notifying of it).
            current = any(r.run_sequence == execution.run_sequence for r in read[1])
            return age < self._keep and (current or age < FRESH)

        async def read() -> tuple[str, float]:
            # A nice-to-have: skipped when the Harness budget is short.
            with priority(Priority.EXTRAS, HISTORY):
                runs = await self._pipelines.runs(
                    execution.scope, execution.pipeline_identifier, size=RUNS
                )
            rows = [[r.plan_execution_id, r.run_sequence, r.status] for r in runs]
            return json.dumps({"at": self._clock.time(), "runs": rows}), self._keep

        try:
            found = _read(await self._shared.run(f"runs:{key}", read, usable))
        except HarnessError as exc:
            log.warning("no run history for %s: %s", key, exc)
            return None
        return None if found is None else found[1]


def _read(kept: str) -> tuple[float, list[Run]] | None:
    """A kept run list; None when it is not one (the store is anyone's who can reach it)."""
    try:
        data = json.loads(kept)
        runs = [Run(str(i), int(n), str(s)) for i, n, s in data["runs"]]
        return float(data["at"]), runs
    except (ValueError, TypeError, KeyError):
        return None


__all__ = ["HISTORY", "RunHistories"]
