"""Workers for the durable queue: take due work, run its handler, record the outcome.

- Each lane has its own capacity, so commands and buttons never wait behind a
  webhook backlog.
- A handler returns `Done` once its result was delivered (only then is the work
  finished and its key remembered), `Later` to run again (after a failure, with
  backoff; or because Slack asked to wait, which costs no attempt), or `GiveUp`.
  An exception is a failure; a `SlowDown` raised by a port is Slack's Retry-After.
- Work past its deadline is given up: its kind's `expired` callback tells whoever
  waits, and the key is freed so a redelivery may try again.
- While a handler runs, its lease is extended; a worker that dies leaves work
  that another process (or the next one) takes over when the lease runs out.
- `stop(grace)` takes no new work, lets running work finish within the grace and
  puts the rest back in the queue at once, for the next process or a replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from bot.clock import Clock
from bot.domain import Lane, Work
from bot.harness.budget import Priority, priority
from bot.store import WorkQueue

log = logging.getLogger(__name__)

T = TypeVar("T")

REMEMBER_DONE = 24 * 3600.0
LEASE = 30.0


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Later:
    """Run again in `seconds`; `failed` counts an attempt (and grows the backoff)."""

    seconds: float
    failed: bool = True
    why: str = ""


@dataclass(frozen=True)
class GiveUp:
    why: str


Outcome = Done | Later | GiveUp


class SlowDown(Exception):
    """A port asks the work to wait (Slack's Retry-After); not a failure."""

    def __init__(self, seconds: float, why: str = "rate limited") -> None:
        super().__init__(why)
        self.seconds = max(0.0, seconds)
        self.why = why


Handler = Callable[[Work], Awaitable[Outcome | None]]
Expired = Callable[[Work], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """A kind of work: the lane its work waits in, what carries it out, and what tells
    whoever waits when it is given up (its deadline passed)."""

    kind: str
    lane: Lane
    run: Handler
    expired: Expired | None = None


def backoff(attempts: int, first: float = 1.0, ceiling: float = 60.0) -> float:
    """1, 2, 4, ... seconds after each failed attempt, at most a minute."""
    return float(min(ceiling, first * 2.0 ** max(0, attempts - 1)))


async def to_the_end(step: Awaitable[T]) -> T:
    """Run `step` to its end even when the work is cancelled meanwhile (a shutdown); the
    cancellation is passed on once it is done. For steps that must not stop halfway
    (a post and the record of it; a run started in Harness and the record of it)."""
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Workers:
    def __init__(
        self,
        queue: WorkQueue,
        capacity: dict[Lane, int],
        *,
        clock: Clock,
        owner: str | None = None,
        lease: float = LEASE,
        poll: float = 0.5,
        remember: float = REMEMBER_DONE,
        first_retry: float = 1.0,
        on_wait: Callable[[str, float], None] | None = None,
        yield_to: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._on_wait = on_wait
        # Awaited before taking new work: requests still being acknowledged go first.
        self._yield_to = yield_to
        self._queue = queue
        self._clock = clock
        self._capacity = capacity
        self.owner = owner or worker_name()
        self._lease = lease
        self._poll = poll
        self._remember = remember
        self._first_retry = first_retry
        self._jobs: dict[str, Job] = {}
        self._wake = {lane: asyncio.Event() for lane in capacity}
        self._running: dict[Lane, set[asyncio.Task[None]]] = {lane: set() for lane in capacity}
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self._changed = asyncio.Event()  # work started or ended somewhere
        self._works: dict[asyncio.Task[None], Work] = {}
        self._returned: set[str] = set()  # ids of work put back while shutting down

    def take_on(self, *jobs: Job) -> None:
        """The kinds of work these workers run (each kind once)."""
        for job in jobs:
            if job.kind in self._jobs:
                raise ValueError(f"work of kind {job.kind!r} has a job already")
            if job.lane not in self._capacity:
                raise ValueError(f"no workers in the {job.lane} lane for {job.kind!r}")
            self._jobs[job.kind] = job

    def deadline_in(self, seconds: float) -> float:
        """The deadline of work that may take `seconds` from now (epoch seconds)."""
        return self._clock.time() + seconds

    @property
    def in_flight(self) -> int:
        return sum(len(tasks) for tasks in self._running.values())

    @property
    def accepting(self) -> bool:
        return not self._stopping

    async def submit(self, work: Work) -> bool:
        """Record the work in its job's lane (raises when the store cannot); False for a
        duplicate key."""
        job = self._jobs.get(work.kind)
        if job is None:
            raise ValueError(f"no job for work of kind {work.kind!r}")
        stamped = replace(work, lane=job.lane, created_at=work.created_at or self._clock.time())
        added = await self._queue.enqueue(stamped)
        if added:
            self._wake[job.lane].set()
        return added

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(self._lane_loop(lane), name=f"workers:{lane}")
            for lane in self._capacity
        ]

    async def idle(self) -> None:
        """Until nothing runs and nothing waits in the queue (for tests and benchmarks)."""
        while True:
            self._changed.clear()
            tasks = [t for running in self._running.values() for t in running]
            if tasks:
                await asyncio.wait(tasks)
                continue
            waiting = [await self._queue.queued(lane) for lane in self._capacity]
            if not any(waiting):
                return
            for event in self._wake.values():
                event.set()
            with contextlib.suppress(TimeoutError):  # work due later: look again in a while
                await asyncio.wait_for(self._changed.wait(), self._poll)

    async def stop(self, grace: float) -> None:
        """Take nothing new; finish what completes within `grace`; put back the rest."""
        self._stopping = True
        for event in self._wake.values():
            event.set()
        # The lane loops end by themselves: a `take` in progress is not cut off, or the
        # work it leased would sit unclaimed until its lease ran out.
        await asyncio.gather(*self._loops, return_exceptions=True)
        running = [t for tasks in self._running.values() for t in tasks]
        if not running:
            return
        log.info("waiting up to %.0fs for %d piece(s) of work", grace, len(running))
        _done, pending = await asyncio.wait(running, timeout=grace)
        for task in pending:
            task.cancel()
        if not pending:
            return
        await asyncio.wait(pending)
        # Work cancelled before its handler began never reached its own hand-back.
        for task in pending:
            work = self._works.get(task)
            if work is not None and work.id not in self._returned:
                with contextlib.suppress(Exception):
                    await self._queue.retry(work.again(self._clock.time(), failed=False))
        log.info("%d piece(s) of work put back in the queue", len(pending))

    async def _lane_loop(self, lane: Lane) -> None:
        wake, running, capacity = self._wake[lane], self._running[lane], self._capacity[lane]
        while not self._stopping:
            wake.clear()
            free = capacity - len(running)
            if free > 0:
                if self._yield_to is not None:
                    await self._yield_to()
                try:
                    taken = await self._queue.take(lane, self.owner, self._lease, free)
                except Exception as exc:
                    log.warning("could not take work from the %s queue: %r", lane, exc)
                    taken = []
                for work in taken:
                    task = asyncio.create_task(self._run(work), name=f"work:{work.kind}")
                    running.add(task)
                    self._works[task] = work
                    self._changed.set()
                    task.add_done_callback(functools.partial(self._finished, lane))
                if len(taken) == free:
                    continue  # there may be more: look again at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._poll)

    def _finished(self, lane: Lane, task: asyncio.Task[None]) -> None:
        self._running[lane].discard(task)
        if not self._stopping:
            self._works.pop(task, None)
        self._wake[lane].set()  # a slot is free
        self._changed.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("work failed outside its handler", exc_info=task.exception())

    async def _run(self, work: Work) -> None:
        job = self._jobs.get(work.kind)
        if job is None:
            log.error("no job for work of kind %r; dropped", work.kind)
            await self._queue.drop(work)
            return
        expired = job.expired
        now = self._clock.time()
        if self._on_wait is not None:
            self._on_wait(work.lane.value, max(0.0, now - max(work.not_before, work.created_at)))
        left = work.deadline - now
        if left <= 0:
            await self._give_up(work, expired, "deadline passed")
            return
        keeper = asyncio.create_task(self._keep_lease(work))
        # Someone waits on interactive work: its Harness calls come first in the budget.
        level = Priority.PEOPLE if work.lane is Lane.INTERACTIVE else Priority.ALERTS
        try:
            async with asyncio.timeout(left):
                with priority(level):
                    outcome = await job.run(work) or Done()
        except SlowDown as slow:
            outcome = Later(slow.seconds, failed=False, why=slow.why)
        except TimeoutError:
            outcome = GiveUp("deadline passed")
        except asyncio.CancelledError:
            # Shutting down: the work goes back at once for whoever runs next.
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self._queue.retry(work.again(self._clock.time(), failed=False))
                )
                self._returned.add(work.id)
            raise
        except Exception:
            log.exception("%s work failed (attempt %d)", work.kind, work.attempts + 1)
            outcome = Later(backoff(work.attempts + 1, self._first_retry))
        finally:
            keeper.cancel()
        await self._record(work, outcome, expired)

    async def _record(self, work: Work, outcome: Outcome, expired: Expired | None) -> None:
        try:
            if isinstance(outcome, Done):
                await self._queue.finish(work, self._remember)
            elif isinstance(outcome, GiveUp):
                await self._give_up(work, expired, outcome.why)
            elif self._clock.time() + outcome.seconds >= work.deadline:
                await self._give_up(work, expired, outcome.why or "deadline passed")
            else:
                at = self._clock.time() + outcome.seconds
                await self._queue.retry(work.again(at, failed=outcome.failed))
                self._wake_later(work.lane, outcome.seconds)
        except Exception as exc:
            # The lease runs out and the work is taken again: at least once.
            log.warning("could not record the outcome of %s work: %r", work.kind, exc)

    async def _give_up(self, work: Work, expired: Expired | None, why: str) -> None:
        log.warning("%s work given up: %s", work.kind, why)
        if expired is not None:
            try:
                await expired(work)
            except Exception:
                log.exception("telling about expired %s work failed", work.kind)
        await self._queue.drop(work)

    def _wake_later(self, lane: Lane, seconds: float) -> None:
        """Look again when the work is due, not at the next poll: paced posts depend on it."""
        if seconds <= 3600:
            asyncio.get_running_loop().call_later(seconds, self._wake[lane].set)

    async def _keep_lease(self, work: Work) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._queue.extend(work, self.owner, self._lease)
            except Exception as exc:
                log.warning("could not extend a lease: %r", exc)


__all__ = [
    "Done",
    "Expired",
    "GiveUp",
    "Handler",
    "Job",
    "Later",
    "Outcome",
    "SlowDown",
    "Workers",
    "backoff",
]
