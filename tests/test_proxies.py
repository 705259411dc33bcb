"""Behind a corporate proxy: every outgoing call of the bot, as a process, goes through
`HTTP_PROXY`/`HTTPS_PROXY` (Slack's Web API, `response_url`s, the Harness API, log
downloads, the Socket Mode websocket) and none through it for hosts `NO_PROXY` names.

The emulators are given names only the proxy resolves (`harness.test`, `slack.test`),
so a call that went around the proxy could not arrive at all.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.proxies import proxy_for
from emulators.harness import HarnessEmulator
from emulators.slack import APP_TOKEN, SlackEmulator
from tests.forward_proxy import ForwardProxy
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import bot_env, serving, signed_command


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    server = ForwardProxy(hosts={"harness.test": "127.0.0.1", "slack.test": "127.0.0.1"})
    await server.start()
    yield server
    await server.stop()


def named_env(
    harness: HarnessEmulator, slack: SlackEmulator, proxy: ForwardProxy, **extra: str
) -> dict[str, str]:
    """Settings that name the emulators by host names only the proxy knows."""
    harness_url = f"http://harness.test:{harness.port}"
    harness.link_origin = harness_url  # export links on the same name
    return bot_env(
        harness,
        slack,
        HARNESS_BASE_URL=harness_url,
        SLACK_API_URL=f"http://slack.test:{slack.port}/api/",
        HTTP_PROXY=proxy.url,
        PORT="0",
        HOST="127.0.0.1",
        HARNESS_EXPORT_POLL_INTERVAL="0.01",
        HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        **extra,
    )


async def test_every_outgoing_call_goes_through_the_proxy(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator, proxy: ForwardProxy
) -> None:
    env = named_env(harness, slack, proxy, BOT_MODE="http")
    async with (
        serving([sys.executable, "-m", "bot"], env, tmp_path) as bot,
        aiohttp.ClientSession() as session,
    ):
        async with session.get(bot.url + "/readyz") as resp:
            assert (await resp.json())["status"] == "ready", await resp.text()
        for text, rid in (("subscribe deploy_checkout", "subscribe"), ("deploy_checkout", "run")):
            body, headers = signed_command(slack, text, rid, host="slack.test")
            async with session.post(bot.url + "/slack/events", data=body, headers=headers) as resp:
                assert resp.status == 200
            await slack.wait_for(functools.partial(slack.replies_to, rid))
        hook = f"{bot.url}/harness/webhook"
        async with session.post(
            hook, json=event_body(harness), headers={"X-Webhook-Token": WEBHOOK_TOKEN}
        ) as resp:
            assert resp.status == 202
        await slack.wait_for(lambda: slack.posts())
        await bot.stop()
    (reply,) = slack.replies_to("run")
    assert "download_logs" in str(reply)
    assert harness.downloads  # the export's zip was read, for the excerpt

    harness_paths = proxy.seen("harness.test")
    assert "/gateway/pipeline/api/pipelines/list" in harness_paths  # the API (httpx)
    assert any(p.startswith("/gateway/log-service/") for p in harness_paths)
    assert any(p.startswith("/storage/harness-download/") for p in harness_paths)  # aiohttp
    slack_paths = proxy.seen("slack.test")
    assert "/api/auth.test" in slack_paths  # the readiness probe's client
    assert "/api/chat.postMessage" in slack_paths  # the alert (the poster's client)
    assert any(p.startswith("/commands/") for p in slack_paths)  # response_url replies
    # Nothing went anywhere else.
    assert {r.host for r in proxy.requests} == {"harness.test", "slack.test"}


async def test_https_calls_open_a_tunnel_through_https_proxy(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator, proxy: ForwardProxy
) -> None:
    # The emulators speak plain HTTP, so the TLS handshake in the tunnel fails: what
    # counts is that the bot asked the proxy for the tunnel (CONNECT), as it must for
    # the real https hosts.
    env = named_env(harness, slack, proxy, BOT_MODE="http")
    env.update(
        HARNESS_BASE_URL=f"https://harness.test:{harness.port}",
        SLACK_API_URL=f"https://slack.test:{slack.port}/api/",
        HTTPS_PROXY=env.pop("HTTP_PROXY"),
    )
    async with (
        serving([sys.executable, "-m", "bot"], env, tmp_path) as bot,
        aiohttp.ClientSession() as session,
    ):
        async with session.get(bot.url + "/readyz") as resp:
            body = await resp.json()
        await bot.stop()
    assert body["status"] == "degraded"
    assert "CONNECT" in proxy.seen("harness.test")
    assert "CONNECT" in proxy.seen("slack.test")


async def test_socket_mode_connects_through_the_proxy(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator, proxy: ForwardProxy
) -> None:
    env = named_env(harness, slack, proxy, BOT_MODE="socket", SLACK_APP_TOKEN=APP_TOKEN)
    env.pop("SLACK_SIGNING_SECRET")
    async with serving([sys.executable, "-m", "bot"], env, tmp_path) as bot:
        await proxy.wait_for(lambda: [r for r in proxy.requests if r.path == "/socket"])
        await bot.stop()
    assert "/api/apps.connections.open" in proxy.seen("slack.test")
    # The websocket URL Slack hands out names its own host; the upgrade went through.
    assert [(r.method, r.path) for r in proxy.requests if r.path == "/socket"] == [
        ("GET", "/socket")
    ]


async def test_hosts_no_proxy_names_are_reached_directly(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator, proxy: ForwardProxy
) -> None:
    # The emulators by address: reachable directly, and NO_PROXY says to.
    env = bot_env(
        harness,
        slack,
        HTTP_PROXY=proxy.url,
        HTTPS_PROXY=proxy.url,  # slack_sdk alone would take this for every host
        NO_PROXY="localhost,127.0.0.1",
        PORT="0",
        HOST="127.0.0.1",
        BOT_MODE="http",
        HARNESS_EXPORT_POLL_INTERVAL="0.01",
    )
    async with (
        serving([sys.executable, "-m", "bot"], env, tmp_path) as bot,
        aiohttp.ClientSession() as session,
    ):
        async with session.get(bot.url + "/readyz") as resp:
            assert (await resp.json())["status"] == "ready", await resp.text()
        body, headers = signed_command(slack, "deploy_checkout", "direct")
        async with session.post(bot.url + "/slack/events", data=body, headers=headers) as resp:
            assert resp.status == 200
        (reply,) = await slack.wait_for(functools.partial(slack.replies_to, "direct"))
        await bot.stop()
    assert "download_logs" in str(reply)
    assert harness.downloads
    assert proxy.requests == []


@pytest.mark.parametrize(
    ("env", "url", "proxy"),
    [
        ({"HTTPS_PROXY": "http://p:3128"}, "https://slack.com/api/", "http://p:3128"),
        ({"HTTPS_PROXY": "http://p:3128"}, "http://harness.internal/", None),
        ({"http_proxy": "http://h:8080"}, "http://harness.internal/", "http://h:8080"),
        ({"HTTPS_PROXY": "http://p:3128"}, "wss://wss-primary.slack.com/link", "http://p:3128"),
        ({"ALL_PROXY": "http://a:1"}, "https://app.harness.io/", "http://a:1"),
        (
            {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".harness.io,localhost"},
            "https://acme.harness.io/gateway",
            None,
        ),
        ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}, "https://slack.com/", None),
        ({}, "https://slack.com/", None),
    ],
)
def test_the_proxy_for_a_url_follows_the_usual_rules(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, proxy: str | None
) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert proxy_for(url) == proxy
