"""The emulators' idea of now.

A stand-in hands out times (an export link's expiry, a run's start, a message's
`ts`) relative to the wall clock it is given, never a fixed date. Tests give the
emulators and the bot one clock, so moving it moves the whole world.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["SYSTEM", "SystemClock", "WallClock"]


class WallClock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def time(self) -> float:
        return time.time()


SYSTEM = SystemClock()
