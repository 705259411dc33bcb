"""Export links are fetched only from hosts that serve Harness logs, redirects included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.harness.downloads import DownloadRefusedError, download_allowed, open_download
from bot.harness.streaming import StreamOpener

HOST = "harness.acme.internal"
BASE = f"https://{HOST}"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{HOST}/storage/harness-download/a/1/logs.zip?sig=1",
        f"https://{HOST}:443/storage/x/logs.zip",
        f"HTTPS://{HOST.upper()}/storage/x/logs.zip",
        "https://storage.googleapis.com/harness-logs/a/logs.zip?X-Goog-Signature=1",
        "https://harness-logs.storage.googleapis.com/a/logs.zip",
        "https://harness-logs.s3.us-east-1.amazonaws.com/a/logs.zip?X-Amz-Signature=1",
        "https://s3.amazonaws.com/bucket/logs.zip",
    ],
)
def test_harness_gcs_and_s3_links_are_allowed(url: str) -> None:
    assert download_allowed(url, [BASE])


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/logs.zip",
        "http://storage.googleapis.com/x/logs.zip",  # plain http to a cloud host
        "https://storage.googleapis.com.evil.example/x",
        "https://amazonaws.com.evil.example/x",
        f"https://{HOST}@evil.example/x",
        f"https://user:pw@{HOST}/x",
        "https://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:6379/",
        "file:///etc/passwd",
        "https://[::1/x",
        f"ftp://{HOST}/x",
        f"http://{HOST}/storage/x/logs.zip",  # the Harness host, but plain http
        f"https://{HOST}:8443/storage/x/logs.zip",  # the Harness host, another port
        "https://storage.googleapis.com:8443/x",  # a storage host, another port
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not download_allowed(url, [BASE])


def test_plain_http_only_when_harness_itself_is_plain_http() -> None:
    assert download_allowed(f"http://{HOST}:8080/x/logs.zip", [f"http://{HOST}:8080"])
    assert not download_allowed(f"http://{HOST}:8081/x/logs.zip", [f"http://{HOST}:8080"])
    assert not download_allowed(f"https://{HOST}/x/logs.zip", [f"http://{HOST}:8080"])


@pytest.fixture
async def redirector() -> AsyncIterator[str]:
    app = web.Application()

    async def to_self(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/final")

    async def to_evil(_request: web.Request) -> web.Response:
        raise web.HTTPFound("https://evil.example/steal")

    async def final(_request: web.Request) -> web.Response:
        return web.Response(body=b"zip bytes")

    app.router.add_get("/to-self", to_self)
    app.router.add_get("/to-evil", to_evil)
    app.router.add_get("/final", final)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_redirects_are_followed_only_to_allowed_hosts(redirector: str) -> None:
    streams = StreamOpener()
    async with open_download(streams, f"{redirector}/to-self", [redirector]) as response:
        assert await response.read() == b"zip bytes"
    with pytest.raises(DownloadRefusedError, match=r"evil\.example"):
        async with open_download(streams, f"{redirector}/to-evil", [redirector]):
            pass


def test_a_declared_vanity_host_is_allowed_exactly_as_declared() -> None:
    origins = [BASE, "https://acme.harness.io:443", "http://harness.internal:8080"]
    assert download_allowed("https://acme.harness.io/storage/x/logs.zip?sig=1", origins)
    assert download_allowed("http://harness.internal:8080/storage/x/logs.zip", origins)
    for url in (
        "http://acme.harness.io/storage/x/logs.zip",  # another scheme
        "https://acme.harness.io:8443/storage/x/logs.zip",  # another port
        "https://evil.acme.harness.io/storage/x/logs.zip",  # a subdomain
        "https://harness.internal:8080/storage/x/logs.zip",
        "http://harness.internal/storage/x/logs.zip",
    ):
        assert not download_allowed(url, origins), url


def test_vanity_hosts_are_read_as_origins() -> None:
    from bot.config import Settings

    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-1",
        harness_api_key="pat.1",
        harness_account_id="acc",
        harness_default_project="shop",
        harness_ui_hosts="Acme.Harness.io, harness.internal:8443, http://127.0.0.1:8080",
    )
    assert settings.vanity_origins == (
        "https://acme.harness.io:443",
        "https://harness.internal:8443",
        "http://127.0.0.1:8080",
    )
    assert settings.ui_hosts == {
        "app.harness.io",
        "acme.harness.io",
        "harness.internal",
        "127.0.0.1",
    }
    assert settings.download_origins[0] == "https://app.harness.io"
