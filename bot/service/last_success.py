"""The same step in the pipeline's last successful run: what it printed, for comparison.

A failing step's lines that the last green run printed too are usually not why it
failed. This finds that run (in the pipeline's run list, which the alert's history
reads too, so one call serves both) and that step, reads its log into a bounded set
of line digests once per (pipeline, step, green run), shares the read between
concurrent askers and replicas (through the store, where it is kept an hour: a
green run's log does not change) and keeps what was read in a cache bounded in
bytes, not entries, so thousands of pipelines each keep theirs; a comparison that
cannot be made in time (or while the Harness budget is short) is simply left out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.domain import Execution, GreenLog, Node, Run, normalise_status
from bot.harness.budget import Priority, priority
from bot.harness.errors import HarnessError
from bot.harness.pipeline_api import PipelineApi
from bot.service.steplogs import StepLogReader
from bot.sharedflight import SharedFlight

log = logging.getLogger(__name__)

COMPARISON = "comparison"  # what is left out when the budget skips the green run
LOOKBACK = 20  # runs looked through for the last success (the history's run list)
CACHE_BYTES = 64 << 20  # green logs remembered, as the memory their digests take
_ENTRY = 200  # bytes an entry costs besides its digests
_DIGEST = 48  # bytes a digest costs in a frozenset (the bytes object and its slot)
SHARED_GREEN = 3600.0  # seconds replicas share a green log's digests through the store

RunList = Callable[[Execution], Awaitable[list[Run] | None]]


class LastSuccess:
    def __init__(
        self,
        pipelines: PipelineApi,
        reader: StepLogReader,
        *,
        timeout: float,
        runs: RunList | None = None,
        cache_bytes: int = CACHE_BYTES,
        shared: SharedFlight | None = None,
    ) -> None:
        self._pipelines = pipelines
        self._log_reader = reader
        self._timeout = timeout
        self._runs = runs
        self._cache_bytes = cache_bytes
        self._held = 0
        self._shared = shared or SharedFlight()
        self._cache: OrderedDict[tuple[str, ...], GreenLog | None] = OrderedDict()

    async def of(self, execution: Execution, node: Node) -> GreenLog | None:
        """What the same step printed in the pipeline's last successful run before this one.

        Read once per (pipeline, step, green run), shared by concurrent askers, kept in
        a small cache; a comparison that cannot be made in time is simply left out.
        """
        try:
            # A nice-to-have: skipped when the Harness budget is short (bot/harness/budget.py).
            with priority(Priority.EXTRAS, COMPARISON):
                return await self._of(execution, node)
        except (HarnessError, TimeoutError) as exc:
            log.info("no comparison with the last success for %s: %r", node.fqn, exc)
            return None

    async def _of(self, execution: Execution, node: Node) -> GreenLog | None:
        async with asyncio.timeout(self._timeout):
            if self._runs is not None:
                runs = await self._runs(execution) or []
            else:
                runs = await self._pipelines.runs(
                    execution.scope, execution.pipeline_identifier, size=LOOKBACK
                )
            green = next(
                (
                    r
                    for r in runs
                    if normalise_status(r.status) == "success"
                    and r.run_sequence < execution.run_sequence
                ),
                None,
            )
            if green is None:
                return None
            pipeline = (str(execution.scope), execution.pipeline_identifier)
            key = (*pipeline, node.fqn, green.plan_execution_id)
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            found = _green_from(
                await self._shared.run(
                    "green:" + "|".join(key), lambda: self._kept_read(execution, node, green)
                )
            )
        if key not in self._cache:
            self._cache[key] = found
            self._held += _size(found)
            while self._held > self._cache_bytes and self._cache:
                _key, dropped = self._cache.popitem(last=False)
                self._held -= _size(dropped)
        return found

    async def _kept_read(self, execution: Execution, node: Node, green: Run) -> tuple[str, float]:
        return _green_to(await self._read(execution, node, green)), SHARED_GREEN

    async def _read(self, execution: Execution, node: Node, green: Run) -> GreenLog | None:
        assert self._log_reader is not None
        green_execution = await self._pipelines.execution(execution.scope, green.plan_execution_id)
        twin = next((n for n in green_execution.steps() if n.fqn == node.fqn), None)
        if twin is None or normalise_status(twin.status) != "success":
            return None
        shapes = await self._log_reader.shapes(green_execution, twin)
        if shapes is None or shapes.lines == 0:
            return None
        return GreenLog(green.run_sequence, shapes.shapes)


def _green_to(green: GreenLog | None) -> str:
    if green is None:
        return "null"
    shapes = sorted(base64.b64encode(shape).decode() for shape in green.shapes)
    return json.dumps({"run": green.run_sequence, "shapes": shapes})


def _green_from(kept: str) -> GreenLog | None:
    """What `_green_to` wrote; anything else (another version's) reads as no comparison."""
    try:
        data = json.loads(kept)
        if data is None:
            return None
        shapes = frozenset(base64.b64decode(shape) for shape in data["shapes"])
        return GreenLog(int(data["run"]), shapes)
    except (ValueError, KeyError, TypeError):
        return None


def _size(green: GreenLog | None) -> int:
    return _ENTRY + (len(green.shapes) * _DIGEST if green is not None else 0)


__all__ = ["COMPARISON", "LastSuccess"]
