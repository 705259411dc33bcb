"""The durable work queue: the same contract on a SQLite file and on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import Clock, MovableClock
from bot.domain import Lane, Work
from bot.store import Store, open_store

LEASE = 30.0
BACKGROUND, INTERACTIVE = Lane.BACKGROUND, Lane.INTERACTIVE


@pytest.fixture
async def store(store_url: str, clock: MovableClock) -> AsyncIterator[Store]:
    opened = await open_store(store_url, clock)
    yield opened
    await opened.close()


def work(n: int = 1, *, key: str | None = None, lane: Lane = BACKGROUND, **extra: object) -> Work:
    return Work(
        kind="post",
        payload={"n": n, "text": "ünïcode <!channel>"},
        deadline=Clock().time() + 600,
        lane=lane,
        key=key,
        **extra,  # type: ignore[arg-type]
    )


async def test_work_comes_back_as_it_went_in_oldest_first(store: Store) -> None:
    for n in range(3):
        assert await store.enqueue(work(n)) is True
    taken = await store.take(BACKGROUND, "w1", LEASE, 10)
    assert [w.payload["n"] for w in taken] == [0, 1, 2]
    assert taken[0].payload["text"] == "ünïcode <!channel>"
    assert all(w.id for w in taken)
    assert await store.take(BACKGROUND, "w2", LEASE, 10) == []  # leased to w1
    assert await store.queued(BACKGROUND) == 3


async def test_lanes_are_apart(store: Store) -> None:
    await store.enqueue(work(1))
    await store.enqueue(work(2, lane=INTERACTIVE))
    assert [w.payload["n"] for w in await store.take(INTERACTIVE, "w", LEASE, 10)] == [2]
    assert [w.payload["n"] for w in await store.take(BACKGROUND, "w", LEASE, 10)] == [1]


async def test_take_respects_its_limit(store: Store) -> None:
    for n in range(5):
        await store.enqueue(work(n))
    first = await store.take(BACKGROUND, "w", LEASE, 2)
    second = await store.take(BACKGROUND, "w", LEASE, 10)
    assert [w.payload["n"] for w in first + second] == [0, 1, 2, 3, 4]


async def test_finished_work_is_gone_and_its_key_remembered(store: Store) -> None:
    assert await store.enqueue(work(1, key="webhook:x1:PipelineFailed")) is True
    assert await store.enqueue(work(2, key="webhook:x1:PipelineFailed")) is False  # queued
    (taken,) = await store.take(BACKGROUND, "w", LEASE, 10)
    await store.finish(taken, remember=3600)
    assert await store.queued(BACKGROUND) == 0
    assert await store.take(BACKGROUND, "w", 0.001, 10) == []
    assert await store.enqueue(work(3, key="webhook:x1:PipelineFailed")) is False  # done
    assert await store.enqueue(work(4, key="webhook:x1:StageFailed")) is True


async def test_dropped_work_frees_its_key_for_a_redelivery(store: Store) -> None:
    await store.enqueue(work(1, key="k"))
    (taken,) = await store.take(BACKGROUND, "w", LEASE, 10)
    await store.drop(taken)
    assert await store.queued(BACKGROUND) == 0
    assert await store.enqueue(work(2, key="k")) is True


async def test_a_retry_waits_until_it_is_due_and_keeps_its_key(store: Store) -> None:
    await store.enqueue(work(1, key="k"))
    (taken,) = await store.take(BACKGROUND, "w", LEASE, 10)
    await store.retry(taken.again(Clock().time() + 3600, failed=True))
    assert await store.take(BACKGROUND, "w", LEASE, 10) == []  # not due yet
    assert await store.enqueue(work(2, key="k")) is False  # still queued
    assert await store.queued(BACKGROUND) == 1
    await store.enqueue(work(3))
    (other,) = await store.take(BACKGROUND, "w", LEASE, 10)
    await store.retry(other.again(Clock().time() - 1, failed=False))
    (again,) = await store.take(BACKGROUND, "w2", LEASE, 10)
    assert again.payload["n"] == 3 and again.attempts == 0


async def test_a_due_retry_comes_back_with_its_attempts(store: Store) -> None:
    await store.enqueue(work(1, not_before=Clock().time() + 3600))
    assert await store.take(BACKGROUND, "w", LEASE, 10) == []
    await store.enqueue(work(2))
    (taken,) = await store.take(BACKGROUND, "w", LEASE, 10)
    await store.retry(taken.again(Clock().time(), failed=True))
    (again,) = await store.take(BACKGROUND, "w", LEASE, 10)
    assert (again.payload["n"], again.attempts) == (2, 1)


async def test_work_of_a_worker_that_stopped_extending_its_lease_is_taken_over(
    store: Store, store_url: str, clock: MovableClock
) -> None:
    lease = 0.2  # every worker uses the same lease
    await store.enqueue(work(1))
    await store.enqueue(work(2))
    held = await store.take(BACKGROUND, "dying", lease, 10)
    assert len(held) == 2
    if store_url.startswith("sqlite"):
        clock.advance(lease)  # SQLite leases run on the bot's clock
    taken: list[Work] = []
    # Redis counts a lease as the entry's idle time, on its own clock: poll until it ends.
    deadline = Clock().monotonic() + 5
    while not taken:
        assert Clock().monotonic() < deadline, "the lease never ran out"
        await store.extend(held[1], "dying", lease)  # still working on this one
        taken = await store.take(BACKGROUND, "alive", lease, 10)
    assert [w.payload["n"] for w in taken] == [1]


async def test_the_queue_survives_a_reopen(store_url: str) -> None:
    first = await open_store(store_url, Clock())
    await first.enqueue(work(1, key="k"))
    await first.close()
    second = await open_store(store_url, Clock())
    try:
        (taken,) = await second.take(BACKGROUND, "w", LEASE, 10)
        assert taken.payload["n"] == 1 and taken.key == "k"
    finally:
        await second.close()


async def test_a_burst_is_recorded_once_each_and_a_key_wins_once(
    store: Store, clock: MovableClock
) -> None:
    """Commands that arrive together are recorded in one round trip (group commit);
    each still learns its own outcome."""
    await store.enqueue(work(0, key="cmd:done"))
    await store.finish((await store.take(BACKGROUND, "w", LEASE, 1))[0], remember=600)
    burst = [work(n, key=f"cmd:{n % 30}") for n in range(40)]  # 10 keys twice
    burst.append(work(99, key="cmd:done"))  # finished a moment ago: not again
    burst.append(work(100, not_before=clock.time() + 60))  # due later
    added = await asyncio.gather(*(store.enqueue(w) for w in burst))
    assert added == [True] * 30 + [False] * 10 + [False, True]
    taken = await store.take(BACKGROUND, "w", 3600, 100)
    assert sorted(w.payload["n"] for w in taken) == list(range(30))
    clock.advance(61)
    assert [w.payload["n"] for w in await store.take(BACKGROUND, "w", LEASE, 100)] == [100]
