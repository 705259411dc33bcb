"""Log Service export: ask for a prefix's logs.zip and poll until it is ready.

The export is asynchronous: the same POST is repeated until `status` is
`success`. Polling starts fast (most exports of a step finish in a second or
two) and backs off to a ceiling so a long export does not hammer Harness.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from bot.domain import LogsLink
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


class LogExporter:
    def __init__(self, client: HarnessClient, *, timeout: float, first_poll: float = 0.25) -> None:
        self._client = client
        self._timeout = timeout
        self._first_poll = first_poll
        self._flights: SingleFlight[LogsLink] = SingleFlight()

    async def export(self, prefix: str) -> LogsLink:
        """The download link for everything logged under `prefix`, once it is ready.

        Concurrent requests for one prefix share a single export and its polling.
        """
        return await self._flights.run(prefix, lambda: self._export(prefix))

    async def _export(self, prefix: str) -> LogsLink:
        clock = self._client.clock
        started = clock.monotonic()
        delays = poll_delays(self._first_poll)
        while True:
            answer = await self._request(prefix)
            status = (answer.status or "").strip().lower()
            if status == "success":
                if not answer.link:
                    raise HarnessBadResponseError("the export succeeded without a link")
                return LogsLink(reachable_link(answer.link, self._client.base_url), answer.expires)
            if status not in PENDING:
                raise ExportFailedError(answer.message or f"export ended as {status!r}")
            waited = clock.monotonic() - started
            delay = next(delays)
            if waited + delay > self._timeout:
                raise ExportTimeoutError(waited)
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
