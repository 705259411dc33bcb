"""`/readyz`: can this replica accept and queue work, and how are the services it uses?

Readiness is about the replica itself: it is ready while it is not stopping and its
store (where every request is recorded before it is acknowledged) answers. Slack and
Harness (and, in Socket Mode, the connection) are checked too, but only reported: when
Harness is down for everyone, a replica that still records webhooks and commands in
the queue is exactly what is wanted, and marking every replica unready would make the
load balancer refuse them instead. So an outside outage shows in the body
(`"status": "degraded"`), in a gauge per dependency and in one log line when it
starts and one when it ends, while the probe stays 200.

The answer is cached briefly, and callers that arrive together share one round
of checks, so a burst of probes (or of anonymous requests) costs one call to
each dependency, not one per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.singleflight import SingleFlight

log = logging.getLogger(__name__)

TTL = 5.0
PROBE_TIMEOUT = 5.0

Check = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Answer:
    """What `/readyz` says: its status code and its JSON body."""

    code: int  # 200 or 503
    body: dict[str, str]


class Readiness:
    """`required` checks decide the answer; `reported` ones only appear in it.

    `on_check(name, up)` hears the outcome of every check in every round (the
    metrics' gauges).
    """

    def __init__(
        self,
        required: dict[str, Check],
        reported: dict[str, Check],
        clock: Clock,
        ttl: float = TTL,
        on_check: Callable[[str, bool], None] | None = None,
    ) -> None:
        self._required = dict(required)
        self._reported = dict(reported)
        self._clock = clock
        self._ttl = ttl
        self._on_check = on_check
        self._answer: tuple[float, Answer] | None = None
        self._flight: SingleFlight[Answer] = SingleFlight()
        self._down: set[str] = set()  # for logging changes, not every probe
        self.stopping = False

    def report(self, name: str, check: Check) -> None:
        """Check `name` too, without making readiness depend on it."""
        self._reported[name] = check
        self._answer = None

    async def status(self) -> Answer:
        if self.stopping:
            # Load balancers stop sending work here while it drains.
            return Answer(503, {"status": "not ready", "process": "stopping"})
        if self._answer and self._clock.monotonic() - self._answer[0] < self._ttl:
            return self._answer[1]
        return await self._flight.run("readiness", self._check_all)

    async def _check_all(self) -> Answer:
        checks = {**self._required, **self._reported}
        names = list(checks)
        results = await asyncio.gather(*(_probe(checks[n]()) for n in names))
        found = dict(zip(names, results, strict=True))
        for name, result in found.items():
            self._note(name, result)
        if any(found[name] != "ok" for name in self._required):
            status, code = "not ready", 503
        elif any(result != "ok" for result in found.values()):
            status, code = "degraded", 200
        else:
            status, code = "ready", 200
        answer = Answer(code, {"status": status, **found})
        self._answer = (self._clock.monotonic(), answer)
        return answer

    def _note(self, name: str, result: str) -> None:
        up = result == "ok"
        if self._on_check is not None:
            self._on_check(name, up)
        if not up and name not in self._down:
            self._down.add(name)
            if name in self._required:
                log.error("readiness: %s is down (%s): not ready", name, result)
            else:
                log.warning(
                    "readiness: %s is down (%s); work is still accepted and queued",
                    name,
                    result,
                )
        elif up and name in self._down:
            self._down.discard(name)
            log.info("readiness: %s is back", name)


async def _probe(check: Awaitable[object]) -> str:
    """ "ok", or "error: <kind>" (never a message that could carry a secret)."""
    try:
        await asyncio.wait_for(check, PROBE_TIMEOUT)
    except Exception as exc:  # any failure counts as down; its kind is what is shown
        return f"error: {type(exc).__name__}"
    return "ok"


__all__ = ["Answer", "Readiness"]
