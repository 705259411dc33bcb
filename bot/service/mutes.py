"""Mutes: a channel pauses one pipeline's posts for a while, or until it recovers.

A mute is a value in the store under the channel and pipeline, kept as long as it
lasts, so every replica sees it and it ends by itself. "Until it recovers" is
still bounded (`LONGEST`): a mute nobody remembers must not hide a pipeline for
ever. Ending one takes the value, so a recovery seen by two replicas (or an
unmute racing one) ends it once.
"""

from __future__ import annotations

import json
import logging

from bot.clock import Clock
from bot.domain import Mute, PipelineKey
from bot.store import Store

log = logging.getLogger(__name__)

LONGEST = 30 * 86400.0  # "until it recovers" ends after this all the same
DURATIONS = {"1h": 3600.0, "24h": 86400.0}


def _key(channel: str, pipeline: PipelineKey) -> str:
    return f"mute:{channel}:{pipeline.account}/{pipeline}"


class Mutes:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def mute(self, channel: str, pipeline: PipelineKey, user: str, how: str) -> Mute:
        """`how`: "1h", "24h" or "recovery"; replaces any mute in force."""
        now = self._clock.time()
        lasts = DURATIONS.get(how)
        mute = Mute(user, now, None if lasts is None else now + lasts)
        kept = {"by": mute.by, "at": mute.at, "until": mute.until}
        await self._store.put_value(_key(channel, pipeline), json.dumps(kept), lasts or LONGEST)
        log.info("%s muted %s in %s (%s)", user, pipeline, channel, how)
        return mute

    async def of(self, channel: str, pipeline: PipelineKey) -> Mute | None:
        """The mute in force, if any."""
        return self._in_force(await self._store.get_value(_key(channel, pipeline)))

    async def end(self, channel: str, pipeline: PipelineKey) -> Mute | None:
        """End the mute; it is returned to the one caller that ended it."""
        return self._in_force(await self._store.take_value(_key(channel, pipeline)))

    def _in_force(self, raw: str | None) -> Mute | None:
        """The kept mute, unless it is unreadable or over (a store keeps it a little past
        its end: Redis expires keys lazily, SQLite on the next read)."""
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            until = data.get("until")
            by, at = str(data["by"]), float(data["at"])
            mute = Mute(by, at, None if until is None else float(until))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return mute if mute.active(self._clock.time()) else None


__all__ = ["DURATIONS", "LONGEST", "Mutes"]
