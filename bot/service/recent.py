"""Each person's last few requests, kept in the store (so replicas agree), for App Home."""

from __future__ import annotations

import json
import logging

from bot.store import Store

log = logging.getLogger(__name__)

RECENT = 5
KEEP_RECENT = 30 * 86400.0


class RecentRequests:
    """Each person's last few requests, kept in the store (so replicas agree)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, user: str, text: str) -> None:
        if not user or not text:
            return
        try:
            previous = await self.of(user)
            latest = [text, *(t for t in previous if t != text)][:RECENT]
            await self._store.put_value(f"recent:{user}", json.dumps(latest), KEEP_RECENT)
        except Exception as exc:
            log.warning("could not remember a recent request: %r", exc)

    async def of(self, user: str) -> list[str]:
        raw = await self._store.get_value(f"recent:{user}")
        return [str(t) for t in json.loads(raw)] if raw else []


__all__ = ["RecentRequests"]
