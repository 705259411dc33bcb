"""Finished exports' links, kept in the store (so shared by replicas) until shortly
before they expire.

Fifty people asking for the same finished run need one export, not fifty; a
running execution still logs, so its links are never kept. The cache is a
bonus: when the store cannot answer, the export simply runs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain import LogsLink
from bot.store import Store

log = logging.getLogger(__name__)

MARGIN = 300.0  # a kept link is not handed out in its last five minutes
MIN_TTL = 30.0  # not worth keeping for less


class LinkCache:
    def __init__(self, store: Store, clock: Clock, margin: float = MARGIN) -> None:
        self._store = store
        self._clock = clock
        self._margin = margin

    async def get(self, prefix: str) -> LogsLink | None:
        try:
            raw = await self._store.get_value(_key(prefix))
        except Exception as exc:
            log.warning("link cache unavailable: %r", exc)
            return None
        if raw is None:
            return None
        link = _read(raw)
        if link is None:
            # Not what this cache writes: someone else's value, so a miss (and gone).
            log.warning("a kept link that cannot be read was dropped")
            await self._store.take_value(_key(prefix))
            return None
        # The store's own expiry runs on its clock (Redis's); the link's is what counts.
        if (link.expires_at - self._clock.now()).total_seconds() < self._margin:
            return None
        return LogsLink(link.url, link.expires_at)

    async def put(self, prefix: str, link: LogsLink) -> None:
        if link.expires_at is None:
            return  # without an expiry it cannot be known to stay good
        ttl = (link.expires_at - self._clock.now()).total_seconds() - self._margin
        if ttl < MIN_TTL:
            return
        value = json.dumps({"url": link.url, "expires": link.expires_at.isoformat()})
        try:
            await self._store.put_value(_key(prefix), value, ttl)
        except Exception as exc:
            log.warning("link cache unavailable: %r", exc)


@dataclass(frozen=True)
class _Kept:
    url: str
    expires_at: datetime


def _read(raw: str) -> _Kept | None:
    try:
        data = json.loads(raw)
        url, expires = data["url"], datetime.fromisoformat(data["expires"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(url, str) or expires.tzinfo is None:
        return None
    return _Kept(url, expires)


def _key(prefix: str) -> str:
    return f"link:{prefix}"


__all__ = ["LinkCache"]
