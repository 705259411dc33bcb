"""Links to a prefix's logs: a kept one when the logs are final, else one export
however many ask for it, in this process or any replica.

The link for a run and the zip an excerpt is read from are both exports; each poll
of one is a call against the key's budget. A finished run's link is kept in the
store until shortly before it expires (`LinkCache`); an export under way is made by
whichever process claimed it first, and the others wait for its link in the store.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.domain import LogsLink
from bot.harness.log_export import LogExporter
from bot.service.link_cache import LinkCache
from bot.sharedflight import SharedFlight

log = logging.getLogger(__name__)

__all__ = ["Exports"]


class Exports:
    def __init__(
        self, exporter: LogExporter, links: LinkCache | None, shared: SharedFlight | None
    ) -> None:
        self._exporter = exporter
        self._links = links
        self._shared = shared or SharedFlight()

    async def kept(self, prefix: str) -> LogsLink | None:
        """The link kept for finished logs under `prefix`, if any is still good."""
        return await self._links.get(prefix) if self._links is not None else None

    async def export(self, prefix: str, *, final: bool, fresh: bool = False) -> LogsLink:
        """The link to everything under `prefix`, exported now (or by whoever is already
        exporting it); `final` logs no longer change, so their link is kept (and a kept
        one is used, unless `fresh`)."""
        if final and not fresh and (kept := await self.kept(prefix)) is not None:
            return kept

        async def export() -> tuple[str, float]:
            link = await self._exporter.export(prefix)
            if final and self._links is not None:
                await self._links.put(prefix, link)
            expires = link.expires_at.isoformat() if link.expires_at else None
            # Kept only for those waiting now: later askers find the LinkCache's.
            return json.dumps({"url": link.url, "expires": expires}), 0.0

        answer = _read(await self._shared.run(f"export:{prefix}", export))
        if answer is None:
            log.warning("a shared export answer that cannot be read was ignored")
            return await self._exporter.export(prefix)
        return answer


def _read(raw: str) -> LogsLink | None:
    try:
        data = json.loads(raw)
        url, expires = data["url"], data["expires"]
        at = datetime.fromisoformat(expires) if expires is not None else None
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(url, str) or (at is not None and at.tzinfo is None):
        return None
    return LogsLink(url, at)
