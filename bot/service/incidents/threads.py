"""One thread per execution in a channel: its parent post is made by whoever claims
it first (here or on another replica); the others reply in its thread once it is
there, without holding a worker while they wait."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.service.workers import SlowDown
from bot.store import Store, ThreadRecord

__all__ = ["Threads"]

PARENT_LOCK_TTL = 120.0
PARENT_WAIT = 1.0  # seconds before looking again for another post's parent


class Threads:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def thread_or_claim(self, channel: str, plan_execution_id: str) -> ThreadRecord | None:
        """The execution's thread here, or None when this work should post the parent."""
        thread = await self._store.get_thread(channel, plan_execution_id)
        if thread is not None:
            return thread
        if await self._store.claim(f"parent:{channel}:{plan_execution_id}", PARENT_LOCK_TTL):
            return None
        # Another event (here or on another replica) is posting the parent: come back
        # when it is there, without holding a worker meanwhile.
        raise SlowDown(PARENT_WAIT, "waiting for the thread's parent post")

    @contextlib.asynccontextmanager
    async def parent(self, channel: str, plan_execution_id: str) -> AsyncIterator[None]:
        """Posting the parent we claimed; if it fails, the claim goes so a retry can post."""
        try:
            yield
        except BaseException:
            await self._store.release(f"parent:{channel}:{plan_execution_id}")
            raise
