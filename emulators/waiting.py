"""Waiting on what an emulator records, instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Changes:
    """Wakes waiters whenever the owner records something new."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()

    async def notify(self) -> None:
        async with self._condition:
            self._condition.notify_all()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float = 10.0) -> T:
        """Wait until `probe()` returns something truthy, re-checking on every change."""

        async def until() -> T:
            async with self._condition:
                while True:
                    value = probe()
                    if value:
                        return value
                    await self._condition.wait()

        return await asyncio.wait_for(until(), timeout)
