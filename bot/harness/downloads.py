"""Fetching export links safely: only from hosts that serve Harness logs.

An export link comes from Harness, but it is still a URL the bot will fetch (and
a pre-signed link people may be shown), so it is checked like any outside input
(server-side request forgery): the exact scheme, host and port of the Harness
base URL or of a vanity host the operator declared (the log service may sign links
on the account's vanity host: log-service `handler/store.go`), and Google Cloud
Storage and S3 over https on port 443. Every redirect is checked again; nothing
else is ever contacted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from urllib.parse import urljoin, urlsplit

from bot.harness.errors import HarnessError
from bot.harness.streaming import ByteStream, StreamOpener, StreamTransportError

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class DownloadRefusedError(HarnessError):
    """The link points somewhere the bot will not fetch from."""


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without credentials, else None."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port  # raises on a malformed port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def download_allowed(url: str, harness_origins: Collection[str]) -> bool:
    """Whether the bot may fetch `url` (and show it): one of `harness_origins` exactly
    (the base URL, declared vanity hosts), else GCS or S3 over https."""
    link = _origin(url)
    if link is None:
        return False
    if any(link == _origin(origin) for origin in harness_origins):
        return True  # Harness itself, as the operator declared it
    scheme, host, port = link
    if scheme != "https" or port != 443:
        return False
    return (
        host == "storage.googleapis.com"
        or host.endswith(".storage.googleapis.com")
        or host.endswith(".amazonaws.com")
    )


@asynccontextmanager
async def open_download(
    streams: StreamOpener, url: str, harness_origins: Collection[str]
) -> AsyncIterator[ByteStream]:
    """GET a pre-signed link (no credentials sent), following only allowed redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        if not download_allowed(url, harness_origins):
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
