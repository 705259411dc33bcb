"""One in-flight call per key: concurrent callers with the same key share its result.

People in an incident all ask for the same logs at once; each asking for its
own export (and download) would multiply the load on Harness for nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(call())
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: one caller giving up (a timeout) must not cancel the others' call.
        return await asyncio.shield(future)

    def _forget(self, key: Hashable, done: asyncio.Future[T]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved here so an unawaited failure is not reported twice
