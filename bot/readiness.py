"""`/readyz`: Slack, Harness and the store reachable with our credentials.

The answer is cached briefly, and callers that arrive together share one round
of checks, so a burst of probes (or of anonymous requests) costs one call to
each dependency, not one per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.singleflight import SingleFlight

log = logging.getLogger(__name__)

TTL = 5.0
PROBE_TIMEOUT = 5.0

Check = Callable[[], Awaitable[object]]


class Readiness:
    def __init__(self, checks: dict[str, Check], clock: Clock, ttl: float = TTL) -> None:
        self._checks = checks
        self._clock = clock
        self._ttl = ttl
        self._answer: tuple[float, int, dict[str, str]] | None = None
        self._flight: SingleFlight[tuple[int, dict[str, str]]] = SingleFlight()
        self.stopping = False

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check
        self._answer = None

    async def status(self) -> tuple[int, dict[str, str]]:
        """(200 or 503, "ok" or "error: <kind>" per dependency)."""
        if self.stopping:
            # Load balancers stop sending work here while it drains.
            return 503, {"process": "stopping"}
        if self._answer and self._clock.monotonic() - self._answer[0] < self._ttl:
            return self._answer[1], self._answer[2]
        return await self._flight.run("readiness", self._check_all)

    async def _check_all(self) -> tuple[int, dict[str, str]]:
        names = list(self._checks)
        results = await asyncio.gather(*(_probe(n, self._checks[n]()) for n in names))
        checks = dict(zip(names, results, strict=True))
        status = 200 if all(v == "ok" for v in checks.values()) else 503
        self._answer = (self._clock.monotonic(), status, checks)
        return status, checks


async def _probe(name: str, check: Awaitable[object]) -> str:
    """ "ok", or "error: <kind>" (never a message that could carry a secret)."""
    try:
        await asyncio.wait_for(check, PROBE_TIMEOUT)
    except Exception as exc:  # any failure means "not ready"; the reason is logged
        log.warning("readiness: %s check failed: %s", name, type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"


__all__ = ["Readiness"]
