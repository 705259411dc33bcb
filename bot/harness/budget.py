"""The Harness API budget of the bot's key, shared by every replica and spent by priority.

Harness allows "1000 requests per API key per minute" in any sliding window
(developer.harness.io/docs/platform/rate-limits) and answers a 429, without
`Retry-After`, beyond it. The bot keeps under its own ceiling (`HARNESS_RATE_LIMIT`,
below Harness's) counted in a true sliding window: a leaky bucket that allows a
burst and then a steady rate lets more than the limit into some minute. Replicas
draw from one window kept in Redis, so two replicas spend one key's budget, not two.

What waits when the budget runs short is decided by priority, set by whoever makes
the call (`priority(...)`, a context variable, so no call signature carries it):
people asking (commands, buttons, unfurls) may fill the whole window; an alert's
fill-in waits once the window is 85 % full; extras (a run's history, the last green
run for comparison) are skipped, not waited for, once it is 60 % full, and the post
goes out without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Iterator
from contextvars import ContextVar

from bot.domain.windows import SlidingWindow

__all__ = [
    "Budget",
    "BudgetSkipped",
    "Priority",
    "current",
    "noting_left_out",
    "priority",
    "without_extras",
]


class Priority(enum.IntEnum):
    PEOPLE = 0  # someone is waiting: commands, buttons, unfurls
    ALERTS = 1  # an alert being filled in
    EXTRAS = 2  # history, comparison with the last green run: nice to have


# The share of the window each priority may fill; extras beyond theirs are skipped.
SHARES = {Priority.PEOPLE: 1.0, Priority.ALERTS: 0.85, Priority.EXTRAS: 0.6}

_current: ContextVar[Priority] = ContextVar("harness_priority", default=Priority.PEOPLE)
# What the calls made here are for (an extra's name, for saying it was left out).
_purpose: ContextVar[str | None] = ContextVar("harness_purpose", default=None)
# Where the extras skipped here are noted (None: nobody asked).
_left_out: ContextVar[set[str] | None] = ContextVar("harness_left_out", default=None)
# Extras are skipped here whatever the window holds (a backlog of alerts waits).
_no_extras: ContextVar[bool] = ContextVar("harness_no_extras", default=False)


@contextlib.contextmanager
def priority(level: Priority, purpose: str | None = None) -> Iterator[None]:
    """Calls to Harness made inside (and in tasks started inside) spend at `level`;
    `purpose` names what an extra is for, should it be left out (the outermost one:
    the run list read for a comparison is left out as the comparison)."""
    token = _current.set(level)
    named = _purpose.set(_purpose.get() or purpose)
    try:
        yield
    finally:
        _purpose.reset(named)
        _current.reset(token)


@contextlib.contextmanager
def noting_left_out() -> Iterator[set[str]]:
    """The purposes of extras skipped inside (in tasks started inside too), so a post can
    say what it goes without."""
    noted: set[str] = set()
    token = _left_out.set(noted)
    try:
        yield noted
    finally:
        _left_out.reset(token)


@contextlib.contextmanager
def without_extras(skip: bool = True) -> Iterator[None]:
    """Extras asked for inside are skipped (and noted as left out) before they reach
    the window: for whoever knows the budget is short although the window does not
    show it yet, such as alerts queueing up for their fill-ins."""
    token = _no_extras.set(skip or _no_extras.get())
    try:
        yield
    finally:
        _no_extras.reset(token)


def current() -> Priority:
    """The priority calls made here spend at."""
    return _current.get()


class BudgetSkipped(Exception):
    """An extra call was not made: the budget is kept for people and alerts."""


class Budget:
    def __init__(self, window: SlidingWindow, calls: int, period: float = 60.0) -> None:
        self._window = window
        self._calls = calls
        self._period = period
        self.used = 0  # calls in the window when last looked (for the metric)

    @property
    def left(self) -> int:
        return max(0, self._calls - self.used)

    async def spend(self) -> None:
        """Wait for a turn at the current priority; raises `BudgetSkipped` for extras
        when their share of the window is used up."""
        level = _current.get()
        ceiling = max(1, int(self._calls * SHARES[level]))
        if level is Priority.EXTRAS and _no_extras.get():
            _skip()
        while True:
            wait, self.used = await self._window.take(ceiling, self._period)
            if wait <= 0:
                return
            if level is Priority.EXTRAS:
                _skip()
            await asyncio.sleep(min(wait, self._period))  # a turn comes when calls age out

    async def spend_now(self) -> bool:
        """A turn now, or False (for retries: a retry is not worth waiting for a turn)."""
        level = _current.get()
        ceiling = max(1, int(self._calls * SHARES[level]))
        wait, self.used = await self._window.take(ceiling, self._period)
        return wait <= 0


def _skip() -> None:
    noted, purpose = _left_out.get(), _purpose.get()
    if noted is not None and purpose is not None:
        noted.add(purpose)
    raise BudgetSkipped("the Harness budget is kept for people and alerts")
