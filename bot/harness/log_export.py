"""Log Service export: ask for a prefix's logs.zip and poll until it is ready.

The export is asynchronous: the same POST is repeated until `status` is
`success`. Every poll is a call against the key's 1,000 a minute, and the log
service says nothing of how long a job will take (no Retry-After; its statuses
are queued, in_progress, success, error), so the first poll waits as long as
exports have lately been taking (`ExportPace`), and later polls back off to a
ceiling: an export that takes its usual time costs two calls, its start and
the poll that finds it done.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from bot.domain import LogsLink
from bot.domain.kept import KeptValues
from bot.harness.client import HarnessClient
from bot.harness.endpoints import LOGS_EXPORT
from bot.harness.errors import ExportFailedError, ExportTimeoutError, HarnessBadResponseError
from bot.harness.models import ExportAnswer
from bot.singleflight import SingleFlight

PENDING = frozenset({"queued", "in_progress", "inprogress", "pending", "running", ""})
SAAS_HOST = "app.harness.io"


def poll_delays(first: float = 0.25, factor: float = 2.0, ceiling: float = 5.0) -> Iterator[float]:
    """0.25, 0.5, 1, 2, 4, 5, 5, ... seconds between polls."""
    delay = first
    while True:
        yield delay
        delay = min(ceiling, delay * factor)


log = logging.getLogger(__name__)


class ExportPace:
    """How long the log service has lately taken to make an export, learnt from the
    exports it made: the wait before the first poll.

    Each poll is a call against the key's budget, so the estimate errs late rather
    than early. An export not ready at its first poll shows that exports take longer
    than that (a lower bound, learnt at once, so the exports started meanwhile do not
    all look too early), and the one that found it ready shows by when it was (the
    estimate moves up to it). An export found ready at the first poll may have been
    ready sooner, so the estimate comes down a little, but not below the lower bound,
    which itself fades slowly in case exports got faster. It settles just above the
    service's usual time: most exports cost two calls (the start, one poll).
    """

    SHRINK = 0.99  # each export ready at its first poll (on time)
    FADE = 0.9995  # the lower bound, much more slowly
    MARGIN = 1.15  # how far above the lower bound the first poll comes
    CEILING = 10.0

    def __init__(self, first: float) -> None:
        self.floor = first
        self.expected = first
        self._lower = 0.0  # exports lately took longer than this

    def known(self) -> tuple[float, float]:
        """(the first poll's wait, the lower bound), to be kept for other processes."""
        return self.expected, self._lower

    def seed(self, expected: float, lower: float) -> None:
        """What another process learnt, for one that knows nothing yet."""
        self.expected = min(self.CEILING, max(self.floor, expected))
        self._lower = min(self.CEILING, max(0.0, lower))

    def pending(self, waited: float) -> None:
        """An export was not ready `waited` seconds after its start was answered."""
        self._lower = max(self._lower, waited)
        self.expected = min(self.CEILING, max(self.expected, waited * 1.5))

    def ready(self, first_look: float, waited: float, polls: int) -> None:
        """An export was ready at the `polls`-th call, `waited` seconds after its start
        was answered; the first poll came `first_look` seconds after that."""
        if polls > 2:
            self.expected = min(self.CEILING, max(self.floor, first_look * 1.1, waited))
            return
        if waited > first_look * 1.2:
            # A poll held back (for the key's budget) that found it done says nothing
            # of whether the export was ready when the poll was due.
            return
        self._lower *= self.FADE
        self.expected = max(self.floor, self._lower * self.MARGIN, self.expected * self.SHRINK)


PACE_KEY = "export-pace"
PACE_SHARED_EVERY = 10.0  # seconds between writes of the pace for other replicas
PACE_KEPT = 86400.0


class LogExporter:
    def __init__(
        self,
        client: HarnessClient,
        *,
        timeout: float,
        first_poll: float = 0.25,
        kept: KeptValues | None = None,
    ) -> None:
        """`kept`: where the pace is shared, so a replica that starts (or restarts)
        polls at the pace the others learnt instead of learning it again."""
        self._client = client
        self._timeout = timeout
        self._first_poll = first_poll
        self.pace = ExportPace(first_poll)
        self._flights: SingleFlight[LogsLink] = SingleFlight()
        self._kept = kept
        self._seeded = kept is None
        self._shared_at: float | None = None

    async def _seed(self) -> None:
        """The pace the other replicas learnt, read until this process has seen an
        export through itself (replicas that start together learn it once between them)."""
        if self._seeded or self._kept is None:
            return
        try:
            raw = await self._kept.get_value(PACE_KEY)
            if raw is not None:
                expected, lower = (float(x) for x in raw.split())
                if expected > self.pace.expected:
                    self.pace.seed(expected, lower)
        except Exception as exc:  # a help, not a dependency
            log.debug("no shared export pace: %r", exc)

    async def _share(self, *, at_once: bool = False) -> None:
        now = self._client.clock.monotonic()
        if self._kept is None or (
            not at_once
            and self._shared_at is not None
            and now - self._shared_at < PACE_SHARED_EVERY
        ):
            return
        self._shared_at = now
        expected, lower = self.pace.known()
        try:
            await self._kept.put_value(PACE_KEY, f"{expected:.3f} {lower:.3f}", PACE_KEPT)
        except Exception as exc:
            log.debug("export pace not shared: %r", exc)

    async def export(self, prefix: str) -> LogsLink:
        """The download link for everything logged under `prefix`, once it is ready.

        Concurrent requests for one prefix share a single export and its polling.
        """
        return await self._flights.run(prefix, lambda: self._export(prefix))

    async def _export(self, prefix: str) -> LogsLink:
        await self._seed()
        clock = self._client.clock
        began = clock.monotonic()
        started: float | None = None
        expected = self.pace.expected
        delays = itertools.chain([expected], poll_delays(max(self._first_poll, expected / 2)))
        polls = 0
        while True:
            answer = await self._request(prefix)
            polls += 1
            # The export runs from the start's answer on: time spent before it, waiting
            # for the key's budget, says nothing of how long the service takes.
            started = clock.monotonic() if started is None else started
            status = (answer.status or "").strip().lower()
            waited = clock.monotonic() - started
            if status == "success":
                if not answer.link:
                    raise HarnessBadResponseError("the export succeeded without a link")
                if polls > 1:  # one answered at once says nothing of how long exports take
                    self.pace.ready(expected, waited, polls)
                    self._seeded = True
                    await self._share()
                return LogsLink(reachable_link(answer.link, self._client.base_url), answer.expires)
            if status not in PENDING:
                raise ExportFailedError(answer.message or f"export ended as {status!r}")
            self.pace.pending(waited)
            if not self._seeded:
                await self._share(at_once=True)  # others starting now need not learn it
            # What other exports learnt meanwhile counts too: no poll before exports are
            # known to be ready.
            delay = max(next(delays), self.pace.expected - waited)
            spent = clock.monotonic() - began  # the deadline counts every wait
            if spent + delay > self._timeout:
                if spent + self._first_poll > self._timeout:
                    raise ExportTimeoutError(spent)
                delay = self._timeout - spent  # one last look at the deadline
            await asyncio.sleep(delay)

    async def _request(self, prefix: str) -> ExportAnswer:
        payload = await self._client.request_json(LOGS_EXPORT, params={"prefix": prefix})
        try:
            return ExportAnswer.model_validate(payload)
        except ValidationError:
            raise HarnessBadResponseError(
                "the log service answered in an unexpected shape"
            ) from None


def reachable_link(link: str, base_url: str) -> str:
    """Self-managed installs hand out links naming the SaaS host; point them home."""
    parts = urlsplit(link)
    ours = urlsplit(base_url)
    if (parts.hostname or "").lower() == SAAS_HOST and ours.hostname != SAAS_HOST:
        return urlunsplit((ours.scheme, ours.netloc, parts.path, parts.query, parts.fragment))
    return link
