"""A failed step's excerpt read once: across people asking together, across replicas
through the store, and read again when what another process kept is not an excerpt."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import MovableClock
from bot.domain import ExcerptLine
from bot.excerpt import Excerpt, ExcerptSettings
from bot.service.excerpt_cache import ExcerptCache
from bot.sharedflight import SharedFlight
from bot.store import open_store
from tests.slack.views.test_logs import EXECUTION, STEP

FOUND = Excerpt(lines=(ExcerptLine("E   boom", number=7),), total_lines=9, error_lines=1)


async def test_people_asking_together_and_later_cost_one_read() -> None:
    reads = []

    async def read() -> Excerpt:
        reads.append(1)
        await asyncio.sleep(0)  # let the others arrive while the read is under way
        return FOUND

    cache = ExcerptCache(SharedFlight())
    settings = ExcerptSettings()
    together = await asyncio.gather(
        *(cache.excerpt(EXECUTION, STEP, settings, read=read, again=read) for _ in range(5))
    )
    later = await cache.excerpt(EXECUTION, STEP, settings, read=read, again=read)
    assert together == [FOUND] * 5 and later == FOUND
    assert len(reads) == 1


async def test_a_replica_finds_the_excerpt_another_one_read(
    store_url: str, clock: MovableClock
) -> None:
    first, second = await open_store(store_url, clock), await open_store(store_url, clock)
    try:
        reads: list[str] = []

        def reader(who: str) -> Callable[[], Awaitable[Excerpt]]:
            async def read() -> Excerpt:
                reads.append(who)
                return FOUND

            return read

        settings = ExcerptSettings()
        one = ExcerptCache(SharedFlight(first, clock))
        other = ExcerptCache(SharedFlight(second, clock))
        assert await one.excerpt(EXECUTION, STEP, settings, read=reader("one"), again=reader("one"))
        got = await other.excerpt(
            EXECUTION, STEP, settings, read=reader("other"), again=reader("other")
        )
        assert got == FOUND and reads == ["one"]
    finally:
        await first.close()
        await second.close()


class _Tampered(SharedFlight):
    """What another process left under the excerpt's name is not an excerpt."""

    async def run(self, key: str, call: Any, usable: Any = None) -> str:
        return '{"excerpt": {"lines": "not lines"}}'


async def test_what_is_not_an_excerpt_in_the_store_is_read_again() -> None:
    """The store is anyone's who can reach it: a value that does not read back as an
    excerpt is ignored, and the step is read alone."""
    fresh: list[str] = []

    async def read() -> Excerpt:
        raise AssertionError("the shared read is not the one to make here")

    async def again() -> Excerpt:
        fresh.append("again")
        return FOUND

    cache = ExcerptCache(_Tampered())
    assert await cache.excerpt(EXECUTION, STEP, ExcerptSettings(), read=read, again=again) == FOUND
    assert fresh == ["again"]
