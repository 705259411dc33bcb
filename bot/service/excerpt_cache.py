"""A failed step's excerpt, read once: however many people ask at the same time, and
however many replicas fill in posts about the same failure.

A finished step's log no longer changes, so its excerpt is kept in memory (the most
recent first) and, for a while, in the store, where another replica finds it (one
of them reads while the others wait on its claim: bot/sharedflight.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from pydantic import TypeAdapter, ValidationError

from bot.domain import ExcerptUnavailable, Execution, Node
from bot.excerpt import Excerpt, ExcerptSettings
from bot.sharedflight import SharedFlight

__all__ = ["KEPT_EXCERPTS", "SHARED_EXCERPT", "ExcerptCache"]

log = logging.getLogger(__name__)

KEPT_EXCERPTS = 128  # finished steps' excerpts kept in memory, most recent first
# Seconds a finished step's excerpt is kept in the store for other replicas: enough
# for every channel's post about a failure, short enough that an upgrade's redaction
# soon applies to every excerpt shown.
SHARED_EXCERPT = 600.0
_EXCERPT = TypeAdapter(Excerpt)
_UNAVAILABLE = TypeAdapter(ExcerptUnavailable)

Found = Excerpt | ExcerptUnavailable
Read = Callable[[], Awaitable[Found]]


class ExcerptCache:
    def __init__(self, shared: SharedFlight) -> None:
        self._shared = shared
        self._kept: OrderedDict[tuple[str, str, ExcerptSettings], Excerpt] = OrderedDict()

    async def excerpt(
        self,
        execution: Execution,
        node: Node,
        settings: ExcerptSettings,
        *,
        read: Read,
        again: Read,
    ) -> Found:
        """The step's excerpt with `settings`: kept, or shared, or `read` (`again` reads
        it alone when what another process kept cannot be read back)."""
        key = (execution.plan_execution_id, node.uuid, settings)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        digest = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
        name = f"excerpt:{execution.plan_execution_id}:{node.uuid}:{digest}"

        async def shared_read() -> tuple[str, float]:
            found = await read()
            if isinstance(found, Excerpt):
                keep = SHARED_EXCERPT if execution.finished else 0.0
                return '{"excerpt":' + _EXCERPT.dump_json(found).decode() + "}", keep
            return '{"unavailable":' + _UNAVAILABLE.dump_json(found).decode() + "}", 0.0

        excerpt = _decoded(await self._shared.run(name, shared_read))
        if excerpt is None:
            log.warning("a shared excerpt that cannot be read was ignored")
            excerpt = await again()
        # A finished run's log no longer changes: its excerpt serves whoever asks next.
        if execution.finished and isinstance(excerpt, Excerpt):
            self._kept[key] = excerpt
            while len(self._kept) > KEPT_EXCERPTS:
                self._kept.popitem(last=False)
        return excerpt


def _decoded(raw: str) -> Found | None:
    """An excerpt (or why there is none) as another process kept it; None when it is
    not one (the store is anyone's who can reach it)."""
    try:
        data = json.loads(raw)
        if "excerpt" in data:
            return _EXCERPT.validate_python(data["excerpt"])
        return _UNAVAILABLE.validate_python(data["unavailable"])
    except (ValueError, TypeError, KeyError, ValidationError):
        return None
