"""Counting calls in a sliding window, wherever the count is kept (the store decides)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

__all__ = ["LocalWindow", "SlidingWindow"]


class SlidingWindow(Protocol):
    """Calls made in the last `period` seconds, for one key, by every process that
    shares the window."""

    async def take(self, ceiling: int, period: float) -> tuple[float, int]:
        """Count one call if fewer than `ceiling` were made in the window: (0, calls in
        the window now); else (seconds until one may be, calls in the window)."""
        ...


class LocalWindow:
    """The window of this process alone (one replica, or no store at all)."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._now = monotonic
        self._calls: deque[float] = deque()

    async def take(self, ceiling: int, period: float) -> tuple[float, int]:
        now = self._now()
        while self._calls and self._calls[0] <= now - period:
            self._calls.popleft()
        if len(self._calls) < ceiling:
            self._calls.append(now)
            return 0.0, len(self._calls)
        return self._calls[0] + period - now, len(self._calls)
