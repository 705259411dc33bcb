"""The one place the bot reads the time.

Wall time stamps what is recorded (subscriptions, threads, leases, deadlines) and is
compared with the dates Harness and Slack hand out (an export link's expiry, a
request's timestamp); monotonic time measures ages and durations (caches, pacing,
waits), which must not jump when the wall clock is set. The composition root makes
one clock and passes it to everything that needs either, so a test that is about
time moves that clock instead of waiting for it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["Clock", "MovableClock"]


class Clock:
    """The system's clocks."""

    def time(self) -> float:
        """Wall time, in seconds since the epoch."""
        return time.time()

    def now(self) -> datetime:
        """Wall time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never go back: for ages and durations."""
        return time.monotonic()


class MovableClock(Clock):
    """The system's clocks moved forward by however far `advance` was asked to.

    Time keeps flowing (timeouts and polls behave as in production); a test jumps
    over the hour a mute lasts, or the day a link lives, without waiting for it. Both
    clocks move together, as they do when time really passes.
    """

    def __init__(self) -> None:
        self._ahead = 0.0

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._ahead += seconds

    def time(self) -> float:
        return super().time() + self._ahead

    def monotonic(self) -> float:
        return super().monotonic() + self._ahead
