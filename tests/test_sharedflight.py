"""One call per key across replicas, through the store (both backends): two stores
opened on one URL stand for two replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.clock import MovableClock
from bot.sharedflight import SharedFlight
from bot.store import Store, open_store
from tests.store.test_store import outlive


@pytest.fixture
async def replicas(store_url: str, clock: MovableClock) -> AsyncIterator[tuple[Store, Store]]:
    one, two = await open_store(store_url, clock), await open_store(store_url, clock)
    yield one, two
    await one.close()
    await two.close()


class Calls:
    """A call that counts itself and, when gated, waits for the test to let it finish."""

    def __init__(self, answer: str = "answer", keep: float = 60.0) -> None:
        self.made = 0
        self.answer = answer
        self.keep = keep
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self) -> tuple[str, float]:
        self.made += 1
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return f"{self.answer} {self.made}", self.keep


async def test_two_replicas_asking_at_once_make_one_call(
    replicas: tuple[Store, Store], clock: MovableClock
) -> None:
    one, two = (SharedFlight(store, clock) for store in replicas)
    call = Calls()
    call.gate = asyncio.Event()
    first = asyncio.create_task(one.run("export:run42", call))
    await call.started.wait()
    second = asyncio.create_task(two.run("export:run42", call))  # waits for the first
    call.gate.set()
    assert list(await asyncio.wait_for(asyncio.gather(first, second), 10)) == ["answer 1"] * 2
    assert call.made == 1


async def test_an_answer_made_between_a_look_and_a_claim_is_not_made_again(
    replicas: tuple[Store, Store], clock: MovableClock
) -> None:
    one, two = replicas
    call = Calls()

    class Late:
        """Replica two's store: the holder answers and lets go just after two looked."""

        def __getattr__(self, name: str) -> Any:
            return getattr(two, name)

        async def claim(self, key: str, ttl_seconds: float) -> bool:
            assert await SharedFlight(one, clock).run("export:run42", call) == "answer 1"
            return await two.claim(key, ttl_seconds)

    assert await SharedFlight(Late(), clock).run("export:run42", call) == "answer 1"
    assert call.made == 1


async def test_a_kept_answer_serves_later_askers_and_a_passing_one_only_those_waiting(
    replicas: tuple[Store, Store], clock: MovableClock
) -> None:
    one, two = (SharedFlight(store, clock) for store in replicas)
    kept = Calls(keep=60)
    assert await one.run("execution:finished", kept) == "answer 1"
    assert await two.run("execution:finished", kept) == "answer 1"
    assert kept.made == 1
    passing = Calls(keep=0)  # a running execution: whoever asks later reads it afresh
    assert await one.run("execution:running", passing) == "answer 1"
    clock.advance(0.5)
    assert await two.run("execution:running", passing) == "answer 2"


async def test_an_answer_too_old_for_an_asker_is_made_again(
    replicas: tuple[Store, Store], clock: MovableClock
) -> None:
    one, two = (SharedFlight(store, clock) for store in replicas)
    call = Calls()
    await one.run("runs:shop/deploy", call)
    assert await two.run("runs:shop/deploy", call, usable=lambda kept: False) == "answer 2"
    assert await one.run("runs:shop/deploy", call) == "answer 2"  # the newer one is kept


async def test_a_replica_that_died_holding_a_claim_holds_the_others_up_for_its_lease_only(
    replicas: tuple[Store, Store], store_url: str, clock: MovableClock
) -> None:
    dead, alive = replicas
    assert await dead.claim("shared:export:run42", 0.3)  # and then it was killed
    refused = asyncio.Event()

    class Watched:
        """The live replica's store, telling when it was refused the claim."""

        def __getattr__(self, name: str) -> Any:
            return getattr(alive, name)

        async def claim(self, key: str, ttl_seconds: float) -> bool:
            won = await alive.claim(key, ttl_seconds)
            if not won:
                refused.set()
            return won

    call = Calls()
    asking = asyncio.create_task(SharedFlight(Watched(), clock).run("export:run42", call))
    await asyncio.wait_for(refused.wait(), 10)
    assert call.made == 0  # waiting for the holder
    await outlive(store_url, clock, 0.4)
    assert await asyncio.wait_for(asking, 10) == "answer 1"


async def test_a_stopping_replica_lets_its_claims_go_at_once(
    replicas: tuple[Store, Store], clock: MovableClock
) -> None:
    stopping = SharedFlight(replicas[0], clock, lease=3600)
    other = SharedFlight(replicas[1], clock, lease=3600)
    stuck = Calls()
    stuck.gate = asyncio.Event()  # never set: the call is under way when the process stops
    asking = asyncio.create_task(stopping.run("export:run42", stuck))
    await stuck.started.wait()
    await stopping.close()
    with pytest.raises(asyncio.CancelledError):
        await asking
    # Without the release the other replica would wait an hour (the lease).
    assert await asyncio.wait_for(other.run("export:run42", Calls("fresh")), 10) == "fresh 1"


async def test_a_store_that_cannot_answer_still_lets_the_call_through(clock: MovableClock) -> None:
    class Down:
        async def get_value(self, key: str) -> Any:
            raise ConnectionError("redis is down")

        put_value = claim = release = renew = get_value

    call = Calls()
    assert await SharedFlight(Down(), clock).run("execution:x", call) == "answer 1"  # type: ignore[arg-type]
