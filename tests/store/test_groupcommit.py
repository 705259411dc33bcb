"""Group commit: a lone write goes at once; writes that arrive meanwhile go together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.store.groupcommit import GroupCommit


class Recorder:
    """A store's round trip: records each group, and waits for the test when gated."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()
        self.fail_next = False

    async def commit(self, items: Sequence[int]) -> list[int]:
        # Writes made while this one is under way queue up (their tasks run first).
        self.groups.append(list(items))
        self.started.set()
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("store down")
        return [item * 10 for item in items]


async def test_a_lone_write_goes_at_once_and_later_ones_go_together() -> None:
    store = Recorder()
    writes = GroupCommit(store.commit)
    assert await writes.write(1) == 10  # nothing waits for a group to form
    store.gate.clear()
    store.started.clear()
    first = asyncio.create_task(writes.write(2))
    await store.started.wait()
    later = [asyncio.create_task(writes.write(n)) for n in (3, 4, 5)]
    store.gate.set()
    assert await first == 20
    assert [await task for task in later] == [30, 40, 50]
    assert store.groups == [[1], [2], [3, 4, 5]]


async def test_a_failed_round_trip_fails_its_group_only() -> None:
    store = Recorder()
    writes = GroupCommit(store.commit)
    store.gate.clear()
    store.fail_next = True
    doomed = [asyncio.create_task(writes.write(n)) for n in (1, 2)]
    await store.started.wait()
    after = asyncio.create_task(writes.write(3))
    store.gate.set()
    for task in doomed:
        with pytest.raises(ConnectionError):
            await task
    assert await after == 30


async def test_groups_are_bounded() -> None:
    store = Recorder()
    writes = GroupCommit(store.commit, limit=2)
    store.gate.clear()
    tasks = [asyncio.create_task(writes.write(n)) for n in range(5)]
    await store.started.wait()
    store.gate.set()
    assert await asyncio.gather(*tasks) == [0, 10, 20, 30, 40]
    assert store.groups == [[0, 1], [2, 3], [4]]
