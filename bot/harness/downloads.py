"""Fetching export links safely: only from hosts that serve Harness logs.

An export link comes from Harness, but it is still a URL the bot will fetch,
so it is checked like any outside input (server-side request forgery): the
configured Harness host, Google Cloud Storage and S3 are allowed, every
redirect is checked again, and nothing else is ever contacted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urljoin, urlsplit

from bot.harness.errors import HarnessError
from bot.harness.streaming import ByteStream, StreamOpener, StreamTransportError

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class DownloadRefusedError(HarnessError):
    """The link points somewhere the bot will not fetch from."""


def download_allowed(url: str, harness_host: str) -> bool:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    if host == harness_host.lower():
        return parts.scheme in ("https", "http")
    if parts.scheme != "https":
        return False
    return (
        host == "storage.googleapis.com"
        or host.endswith(".storage.googleapis.com")
        or host.endswith(".amazonaws.com")
    )


@asynccontextmanager
async def open_download(
    streams: StreamOpener, url: str, harness_host: str
) -> AsyncIterator[ByteStream]:
    """GET a pre-signed link (no credentials sent), following only allowed redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        if not download_allowed(url, harness_host):
            raise DownloadRefusedError(
                f"refused to fetch logs from {urlsplit(url).hostname or 'that link'}"
            )
        try:
            async with streams.get(url, headers={"accept-encoding": "gzip, identity"}) as response:
                if response.status in _REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status >= 400:
                    raise HarnessError(
                        f"the log download answered HTTP {response.status}",
                        status=response.status,
                    )
                yield response
                return
        except StreamTransportError as exc:
            raise HarnessError(f"could not download the logs: {exc}") from None
    raise DownloadRefusedError("too many redirects on the log download")
