"""Group commit: writes that arrive together are recorded in one round trip.

Every command is recorded in the store before Slack is acknowledged, so a burst of
commands would otherwise queue one store round trip (one SQLite transaction, one
Redis exchange) per command in front of its ack. Here the first write goes out at
once, alone (no timer: a lone command waits for nothing); writes that arrive while
it is under way wait for it and then go out together, in one transaction or one
pipeline. Each caller still learns its own outcome, and a failed round trip fails
every write in it (none of them was recorded, so each caller's redelivery may try
again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")

MAX_GROUP = 256  # writes in one round trip (SQLite's bound parameters, Redis's reply size)


class GroupCommit(Generic[T, R]):
    def __init__(
        self, commit: Callable[[Sequence[T]], Awaitable[Sequence[R]]], limit: int = MAX_GROUP
    ) -> None:
        """`commit` records its items in one round trip and gives each one's outcome,
        in order."""
        self._commit = commit
        self._limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, item: T) -> R:
        outcome: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, outcome))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        # Shielded: a caller that gives up must not cancel the others' round trip.
        return await asyncio.shield(outcome)

    async def _write_all(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
            try:
                outcomes = await self._commit([item for item, _ in group])
            except asyncio.CancelledError:  # the process is stopping: nobody was recorded
                for _, outcome in group + self._waiting:
                    outcome.cancel()
                self._waiting = []
                raise
            except Exception as exc:  # every caller in the group hears it
                for _, outcome in group:
                    if not outcome.done():
                        outcome.set_exception(exc)
                continue
            for (_, outcome), result in zip(group, outcomes, strict=True):
                if not outcome.done():
                    outcome.set_result(result)
