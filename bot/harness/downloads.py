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

import httpx

from bot.harness.errors import HarnessError

MAX_REDIRECTS = 3


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
    http: httpx.AsyncClient, url: str, harness_host: str
) -> AsyncIterator[httpx.Response]:
    """GET a pre-signed link (no credentials sent), following only allowed redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        if not download_allowed(url, harness_host):
            raise DownloadRefusedError(
                f"refused to fetch logs from {urlsplit(url).hostname or 'that link'}"
            )
        request = http.build_request("GET", url, headers={"accept-encoding": "gzip, identity"})
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            raise HarnessError(f"could not download the logs: {type(exc).__name__}") from None
        if response.is_redirect and "location" in response.headers:
            url = urljoin(url, response.headers["location"])
            await response.aclose()
            continue
        try:
            if response.status_code >= 400:
                raise HarnessError(
                    f"the log download answered HTTP {response.status_code}",
                    status=response.status_code,
                )
            yield response
        finally:
            await response.aclose()
        return
    raise DownloadRefusedError("too many redirects on the log download")
