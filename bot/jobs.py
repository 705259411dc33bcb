"""Background jobs started after Slack has been acknowledged.

Tracking the tasks gives clean shutdown (in-flight work gets a grace period
instead of being dropped) and one place where an escaped exception is logged.
At most `concurrency` jobs run at once; the rest wait their turn without using
the loop, so a burst of requests in an incident neither starves the loop that
answers Slack within 3 s nor hammers Harness with hundreds of exports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, concurrency: int = 16) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._closed = False

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        if self._closed:
            coro.close()
            log.warning("job %s refused: shutting down", name)
            return None
        task = asyncio.create_task(self._when_free(coro), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    async def _when_free(self, coro: Coroutine[Any, Any, Any]) -> Any:
        started = False
        try:
            async with self._slots:
                started = True
                return await coro
        finally:
            if not started:
                coro.close()  # cancelled while waiting: never ran

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s failed", task.get_name(), exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until no job is running, including jobs that running ones start."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, grace: float) -> None:
        """Let running jobs finish for up to `grace` seconds, then cancel the rest."""
        self._closed = True
        if not self._tasks:
            return
        log.info("waiting up to %.0fs for %d job(s) to finish", grace, len(self._tasks))
        _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
