"""The workers of the durable queue, on both store backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.clock import Clock, MovableClock
from bot.domain import Lane, Work
from bot.service.workers import Done, GiveUp, Job, Later, SlowDown, Workers
from bot.store import Store, open_store

INTERACTIVE, BACKGROUND = Lane.INTERACTIVE, Lane.BACKGROUND


@pytest.fixture
async def store(store_url: str, clock: MovableClock) -> AsyncIterator[Store]:
    opened = await open_store(store_url, clock)
    yield opened
    await opened.close()


def workers(store: Store, clock: Clock | None = None, **options: Any) -> Workers:
    settings: dict[str, Any] = {"poll": 0.05, "first_retry": 0.01, "lease": 5.0}
    settings.update(options)
    return Workers(store, {INTERACTIVE: 2, BACKGROUND: 2}, clock=clock or Clock(), **settings)


@asynccontextmanager
async def running(store: Store, *jobs: Job) -> AsyncIterator[Workers]:
    """Workers taking on `jobs`, started, and stopped afterwards."""
    pool = workers(store)
    pool.take_on(*jobs)
    pool.start()
    try:
        yield pool
    finally:
        await pool.stop(1)


def job(kind: str = "job", *, key: str | None = None, **data: Any) -> Work:
    return Work(kind, dict(data), deadline=Clock().time() + 60, key=key)


async def test_submitted_work_runs_once_and_its_key_is_remembered(store: Store) -> None:
    ran: list[int] = []

    async def handler(work: Work) -> None:
        ran.append(work.payload["n"])

    async with running(store, Job("job", BACKGROUND, handler)) as pool:
        assert await pool.submit(job(key="k", n=1)) is True
        await asyncio.wait_for(pool.idle(), 5)
        assert ran == [1]
        assert await pool.submit(job(key="k", n=2)) is False  # done already
        await asyncio.wait_for(pool.idle(), 5)
        assert ran == [1]


async def test_failures_are_retried_with_backoff_until_done(store: Store) -> None:
    attempts: list[int] = []

    async def flaky(work: Work) -> Later | None:
        attempts.append(work.attempts)
        if len(attempts) == 1:
            raise RuntimeError("Slack said 500")
        if len(attempts) == 2:
            return Later(0.01)
        return None

    async with running(store, Job("job", BACKGROUND, flaky)) as pool:
        await pool.submit(job())
        await asyncio.wait_for(pool.idle(), 5)
    assert attempts == [0, 1, 2]


async def test_a_slow_down_waits_without_counting_an_attempt(store: Store) -> None:
    seen: list[tuple[int, float]] = []

    async def rate_limited(work: Work) -> None:
        seen.append((work.attempts, Clock().monotonic()))
        if len(seen) < 3:
            raise SlowDown(0.05)

    async with running(store, Job("job", BACKGROUND, rate_limited)) as pool:
        await pool.submit(job())
        await asyncio.wait_for(pool.idle(), 5)
    assert [attempt for attempt, _ in seen] == [0, 0, 0]
    assert seen[2][1] - seen[0][1] >= 0.1  # it waited as asked, twice


async def test_work_past_its_deadline_is_given_up_told_and_its_key_freed(
    store: Store, clock: MovableClock
) -> None:
    told: list[str] = []

    async def never(work: Work) -> Later:
        clock.advance(30)  # each attempt takes half a minute
        return Later(0.01)

    async def expired(work: Work) -> None:
        told.append(work.payload["who"])

    pool = workers(store, clock)
    pool.take_on(Job("job", BACKGROUND, never, expired))
    pool.start()
    try:
        late = Work("job", {"who": "alice"}, deadline=pool.deadline_in(60), key="k")
        await pool.submit(late)
        await asyncio.wait_for(pool.idle(), 5)
        assert told == ["alice"]
        assert await store.queued(BACKGROUND) == 0
        assert await store.enqueue(late) is True  # a redelivery may try again
    finally:
        await pool.stop(1)


async def test_give_up_drops_the_work(store: Store) -> None:
    async def refuse(work: Work) -> GiveUp:
        return GiveUp("not for us")

    async with running(store, Job("job", BACKGROUND, refuse)) as pool:
        await pool.submit(job(key="k"))
        await asyncio.wait_for(pool.idle(), 5)
        assert await store.enqueue(job(key="k")) is True


async def test_people_never_wait_behind_a_background_backlog(store: Store) -> None:
    release = asyncio.Event()
    answered = asyncio.Event()

    async def slow(work: Work) -> Done:
        await release.wait()
        return Done()

    async def command(work: Work) -> None:
        answered.set()

    async with running(
        store, Job("webhook", BACKGROUND, slow), Job("command", INTERACTIVE, command)
    ) as pool:
        for n in range(20):
            await pool.submit(job("webhook", n=n))
        await pool.submit(job("command"))
        await asyncio.wait_for(answered.wait(), 5)
        assert await store.queued(BACKGROUND) == 20  # all still waiting
        release.set()
        await asyncio.wait_for(pool.idle(), 10)


async def test_stopping_puts_unfinished_work_back_for_the_next_process(store: Store) -> None:
    started = asyncio.Event()
    finished: list[int] = []

    async def long_export(work: Work) -> None:
        started.set()
        await asyncio.Event().wait()  # never finishes in this process

    first = workers(store)
    first.take_on(Job("job", BACKGROUND, long_export))
    first.start()
    await first.submit(job(key="k", n=1))
    await asyncio.wait_for(started.wait(), 5)
    await first.stop(0.05)

    async def quick(work: Work) -> None:
        finished.append(work.payload["n"])

    second = workers(store)
    second.take_on(Job("job", BACKGROUND, quick))
    second.start()
    try:
        await asyncio.wait_for(second.idle(), 5)  # taken at once, not after a lease
    finally:
        await second.stop(1)
    assert finished == [1]


async def test_work_waits_in_the_lane_of_its_job(store: Store) -> None:
    """The job decides the lane, whatever the submitter wrote: a person's command never
    lands behind the alerts."""
    pool = workers(store)
    pool.take_on(Job("command", INTERACTIVE, _nothing))
    await pool.submit(Work("command", {}, deadline=pool.deadline_in(60), lane=BACKGROUND))
    assert await store.queued(INTERACTIVE) == 1
    assert await store.queued(BACKGROUND) == 0


def test_a_kind_of_work_has_one_job(store: Store) -> None:
    pool = workers(store)
    pool.take_on(Job("command", INTERACTIVE, _nothing))
    with pytest.raises(ValueError, match="has a job already"):
        pool.take_on(Job("command", BACKGROUND, _nothing))


async def _nothing(work: Work) -> None:
    return None


async def test_submit_refuses_an_unknown_kind(store: Store) -> None:
    pool = workers(store)
    with pytest.raises(ValueError, match="no job"):
        await pool.submit(job("nobody"))
