"""The Harness key's budget: a true sliding window, shared through Redis by replicas,
spent by priority (people, then alerts, then extras, which are skipped, not queued)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from bot.clock import Clock, MovableClock
from bot.domain.windows import LocalWindow
from bot.harness.budget import (
    Budget,
    BudgetSkipped,
    Priority,
    noting_left_out,
    priority,
    without_extras,
)
from bot.store.windows import RedisWindow
from emulators.harness import HarnessEmulator, RateLimits
from tests.harness.test_client import client_for


async def test_a_sliding_window_never_holds_more_than_its_ceiling() -> None:
    clock = MovableClock()
    window = LocalWindow(clock.monotonic)
    for _ in range(10):
        assert (await window.take(10, 60))[0] == 0
    wait, count = await window.take(10, 60)
    assert count == 10 and 59 < wait <= 60  # the first call leaves the window in a minute
    clock.advance(30)
    assert (await window.take(10, 60))[0] > 0  # half a minute on: all ten still in it
    clock.advance(30.1)
    assert (await window.take(10, 60)) == (0, 1)  # a minute on: the window is empty again


async def test_extras_are_skipped_and_alerts_wait_while_people_go_first() -> None:
    clock = MovableClock()
    budget = Budget(LocalWindow(clock.monotonic), calls=10)
    for _ in range(6):  # 60 %: the extras' share
        with priority(Priority.EXTRAS):
            await budget.spend()
    with priority(Priority.EXTRAS), pytest.raises(BudgetSkipped):
        await budget.spend()
    with priority(Priority.ALERTS):
        for _ in range(2):  # up to 85 %
            await budget.spend()
        assert not await budget.spend_now()
    for _ in range(2):  # people may fill the window
        assert await budget.spend_now()
    assert not await budget.spend_now()
    assert budget.left == 0


async def test_extras_are_skipped_while_alerts_queue_up_even_in_an_empty_window() -> None:
    budget = Budget(LocalWindow(MovableClock().monotonic), calls=10)
    with (
        noting_left_out() as left_out,
        without_extras(),
        priority(Priority.EXTRAS, "history"),
        pytest.raises(BudgetSkipped),
    ):
        await budget.spend()
    assert left_out == {"history"}
    assert budget.left == 10  # nothing was spent
    with without_extras(False), priority(Priority.EXTRAS):
        await budget.spend()  # no backlog: the extra goes ahead
    with without_extras(), priority(Priority.ALERTS):
        await budget.spend()  # alerts themselves are never skipped


async def test_replicas_share_one_window_in_redis(redis_url: str) -> None:
    first, second = (redis.asyncio.Redis.from_url(redis_url) for _ in range(2))
    try:
        windows = [RedisWindow(first, "hl:window:t"), RedisWindow(second, "hl:window:t")]
        taken = await asyncio.gather(*(windows[n % 2].take(25, 60) for n in range(60)))
        assert sum(wait == 0 for wait, _count in taken) == 25  # one budget, not two
        wait, count = await windows[0].take(25, 60)
        assert count == 25 and wait > 59
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_burst_within_the_budget_meets_no_429(harness: HarnessEmulator) -> None:
    """Harness counts calls in a sliding minute: a budget under its limit, also counted
    in a sliding window, is never answered 429 (here 30 calls against 20 a window of
    1 s, the budget 12: the margin absorbs the time a call takes to arrive, as 100 of
    1,000 a minute do in production; it is wide enough for a loaded CI machine)."""
    import httpx

    from bot.harness.endpoints import PIPELINES_LIST

    harness.rate_limits = RateLimits(calls=20, window=1.0)
    async with httpx.AsyncClient() as http:
        client = client_for(harness, http, deadline=10)
        client.budget = Budget(LocalWindow(Clock().monotonic), calls=12, period=1.0)
        params = {"orgIdentifier": "default", "projectIdentifier": "shop"}
        await asyncio.gather(
            *(client.request_json(PIPELINES_LIST, params=params) for _ in range(30))
        )
    assert len(harness.calls("pipelines.list")) == 30
    assert harness.rate_limited == 0
