"""One call per key across every replica: the first process to claim a key makes the
call and keeps its answer in the store; the others wait for that answer there.

`SingleFlight` shares a call between the coroutines of one process. Replicas each
have their own: two replicas filling two channels' posts about the same failure
would read the same execution, export the same logs and read the same step log
twice, against one key's budget. Here the store decides who calls (a claim with a
short lease its holder renews while it works, so a replica killed mid-call holds
nobody up for longer than the lease, however long the call would have taken) and
carries the answer to the rest, who look for it at a growing interval (the store,
not Harness, is asked meanwhile). An answer not worth keeping (a running execution's)
still reaches those who were waiting for it, but nobody who asks after it was made.

The store is a help, not a dependency: when it cannot answer, the call is simply made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.clock import Clock
from bot.singleflight import SingleFlight

log = logging.getLogger(__name__)

__all__ = ["Claims", "SharedFlight"]

FIRST_LOOK = 0.05  # seconds before a waiter first looks for the answer
LAST_LOOK = 1.0  # the longest it waits between looks
LEASE = 10.0  # seconds a claim holds unless its holder renews it


class Claims(Protocol):
    """What the store offers for this (bot/store implements it)."""

    async def get_value(self, key: str) -> str | None: ...

    async def put_value(self, key: str, value: str, ttl_seconds: float) -> None: ...

    async def claim(self, key: str, ttl_seconds: float) -> bool: ...

    async def release(self, key: str) -> None: ...

    async def renew(self, key: str, ttl_seconds: float) -> None: ...


class SharedFlight:
    def __init__(
        self, store: Claims | None = None, clock: Clock | None = None, *, lease: float = LEASE
    ) -> None:
        """Without a store, calls are shared within this process only (no clock needed)."""
        if store is not None and clock is None:
            raise ValueError("a shared flight through a store needs the clock")
        self._store = store
        self._clock = clock
        self._lease = lease
        self._local: SingleFlight[str] = SingleFlight()
        self._holding: set[asyncio.Task[object]] = set()

    async def run(
        self,
        key: str,
        call: Callable[[], Awaitable[tuple[str, float]]],
        usable: Callable[[str], bool] | None = None,
    ) -> str:
        """The answer kept under `key` (when `usable` says it still serves), else the one
        `call` makes: (the answer, seconds to keep it; 0 keeps it only for those
        already waiting)."""
        return await self._local.run(key, lambda: self._run(key, call, usable))

    async def _run(
        self,
        key: str,
        call: Callable[[], Awaitable[tuple[str, float]]],
        usable: Callable[[str], bool] | None,
    ) -> str:
        store, clock = self._store, self._clock
        if store is None or clock is None:
            return (await call())[0]
        look = FIRST_LOOK
        asked = clock.time()
        stale: str | None = None  # a kept answer too old for this asker
        mine = False  # the claim is ours
        while True:
            try:
                kept = _answer(await store.get_value(f"shared:{key}"), asked)
                if kept is not None and kept != stale:
                    if usable is None or usable(kept):
                        if mine:  # answered between our look and our claim
                            await store.release(f"shared:{key}")
                        return kept
                    stale = kept
                if mine:
                    break
                mine = await store.claim(f"shared:{key}", self._lease)
            except Exception as exc:
                log.warning("shared answers unavailable: %r", exc)
                return (await call())[0]
            if mine:
                # Look once more before calling: the holder may have answered and let
                # go between our look and our claim.
                continue
            if stale is not None:
                usable = None  # someone is reading it afresh: what they read will do
            await asyncio.sleep(look)  # another process is making the call
            look = min(LAST_LOOK, look * 2)
        return await self._call(store, clock, key, call)

    async def _call(
        self,
        store: Claims,
        clock: Clock,
        key: str,
        call: Callable[[], Awaitable[tuple[str, float]]],
    ) -> str:
        keeper = asyncio.create_task(self._renew(store, key))
        me = asyncio.current_task()
        if me is not None:
            self._holding.add(me)
        try:
            answer, keep = await call()
            try:
                # Those who waited meanwhile read it even when it is not worth keeping.
                made = f"{clock.time():.3f} {'kept' if keep > 0 else 'now'}\n"
                await store.put_value(f"shared:{key}", made + answer, max(keep, 2 * LAST_LOOK))
            except Exception as exc:
                log.warning("shared answers unavailable: %r", exc)
            return answer
        finally:
            keeper.cancel()
            self._holding.discard(me)
            try:
                await store.release(f"shared:{key}")
            except Exception as exc:
                log.warning("shared answers unavailable: %r", exc)

    async def close(self) -> None:
        """Calls still under way (nobody waits for them any more: the process is
        stopping) end now and let their claims go, so other replicas take over at
        once instead of when the lease runs out."""
        holding = list(self._holding)
        for task in holding:
            task.cancel()
        await asyncio.gather(*holding, return_exceptions=True)

    async def _renew(self, store: Claims, key: str) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await store.renew(f"shared:{key}", self._lease)
            except Exception as exc:
                log.warning("could not renew a claim: %r", exc)


def _answer(raw: str | None, asked: float) -> str | None:
    """The answer in what the store holds, if it serves someone who asked at `asked`:
    kept answers serve everyone, others only those who asked before they were made."""
    if raw is None:
        return None
    head, _, answer = raw.partition("\n")
    made, _, how = head.partition(" ")
    try:
        at = float(made)
    except ValueError:
        return None
    return answer if how == "kept" or at >= asked else None
