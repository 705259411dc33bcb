"""Fixtures: both emulators, the bot started on a free loopback port, signed requests."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
import pytest
import yaml
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import BotApp
from bot.clock import MovableClock
from bot.config import Settings
from bot.harness.client import HarnessClient
from bot.harness.retrying import RetryPolicy
from emulators import slack as slack_emu
from emulators.harness import HarnessEmulator
from emulators.harness.world import build_world
from emulators.slack import SlackEmulator
from tests.redis_server import RedisServer, redis_server

_trigger_ids = itertools.count(1)


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


# Tests get Redis databases in turn, so one test's keys never meet another's.
_redis_databases = itertools.cycle(range(16))


def empty_database(redis: RedisServer) -> str:
    """The URL of the session server's next Redis database, emptied."""
    import redis as redis_py

    url = redis.url(next(_redis_databases))
    redis_py.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def redis_url(redis: RedisServer) -> str:
    """An empty Redis database of the session's server."""
    return empty_database(redis)


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once per backend, on an empty store."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/bot.db"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def clock() -> MovableClock:
    """The time of the test's world: the bot reads it, and a test about time moves it."""
    return MovableClock()


@pytest.fixture
async def harness(clock: MovableClock) -> AsyncIterator[HarnessEmulator]:
    emulator = HarnessEmulator(clock=clock)
    build_world(emulator)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def harness_client(
    harness: HarnessEmulator, clock: MovableClock
) -> AsyncIterator[HarnessClient]:
    """The bot's Harness client on its own, talking to the emulator (few retries)."""
    async with httpx.AsyncClient() as http:
        yield HarnessClient(
            http,
            base_url=harness.base_url,
            api_key=harness.api_key,
            account_id=harness.account,
            retry=RetryPolicy(deadline=2, initial_delay=0.01),
            clock=clock,
        )


MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"


def installed_scopes() -> list[str]:
    """The bot scopes Slack grants when the app is installed from manifest.yml."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])


@pytest.fixture
async def slack(clock: MovableClock) -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(scopes=installed_scopes(), clock=clock)
    await emulator.start()
    yield emulator
    await emulator.stop()


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(harness: HarnessEmulator, slack: SlackEmulator, tmp_path: Any) -> SettingsFactory:
    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": slack_emu.BOT_TOKEN,
            "slack_signing_secret": slack_emu.SIGNING_SECRET,
            "slack_api_url": slack.api_url,
            "harness_api_key": harness.api_key,
            "harness_account_id": harness.account,
            "harness_base_url": harness.base_url,
            "harness_default_project": "shop",
            "bot_store_url": f"sqlite:///{tmp_path}/bot.db",
            "harness_retry_initial_delay": 0.01,
            "harness_retry_deadline": 5.0,
            "harness_export_timeout": 10.0,
            # The emulator's exports are ready on the second poll: no reason to wait.
            "harness_export_poll_interval": 0.005,
            "work_poll_interval": 0.02,
            "slack_post_interval": 0.0,
            "work_retry_initial_delay": 0.05,
        }
        # Comparing with the last success reads a second log; the tests of that turn it on.
        values.setdefault("excerpt_compare_last_success", False)
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


@dataclass
class RunningBot:
    """The app under test; requests go over loopback HTTP to `url`, or straight into
    Bolt when `in_process` (that tier has the same signing, ack and listeners, no socket)."""

    app: BotApp
    url: str
    slack: SlackEmulator
    session: aiohttp.ClientSession
    in_process: bool = False

    async def command(
        self,
        text: str,
        *,
        user_id: str = "U0ALICE001",
        channel_id: str = "C0INCIDENT",
        response_id: str | None = None,
        secret: str = slack_emu.SIGNING_SECRET,
        timestamp: int | None = None,
        trigger_id: str | None = None,
        channel_name: str = "incident-42",
    ) -> tuple[int, dict[str, Any] | str, str]:
        """Post a signed `/harness-logs` request; returns (status, body, response id)."""
        response_id = response_id or f"r{next(_trigger_ids)}"
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": slack_emu.TEAM_ID,
                "team_domain": "acme",
                "channel_id": channel_id,
                "channel_name": channel_name,
                "user_id": user_id,
                "user_name": "alice",
                "command": "/harness-logs",
                "text": text,
                "api_app_id": "A0123456789",
                "response_url": self.slack.response_url(response_id),
                "trigger_id": trigger_id or f"trig.{next(_trigger_ids)}",
            }
        )
        status, payload = await self.post_signed(
            "/slack/events", body, secret=secret, timestamp=timestamp
        )
        return status, payload, response_id

    async def post_signed(
        self,
        path: str,
        body: str,
        *,
        secret: str = slack_emu.SIGNING_SECRET,
        timestamp: int | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> tuple[int, dict[str, Any] | str]:
        ts = str(timestamp if timestamp is not None else int(self.app.clock.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": str(signature),
        }
        if self.in_process:
            assert path == "/slack/events", "only Slack requests can skip the HTTP server"
            request = AsyncBoltRequest(body=body, headers={k: [v] for k, v in headers.items()})
            answer = await self.app.bolt.async_dispatch(request)
            status, text = answer.status, answer.body
        else:
            async with self.session.post(
                self.url + path, data=body.encode(), headers=headers
            ) as resp:
                status, text = resp.status, await resp.text()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    async def press(
        self,
        action_id: str,
        value: str,
        *,
        channel_id: str = "C0INCIDENT",
        message_ts: str = "1763700000.000100",
        response_id: str | None = None,
        user_id: str = "U0ALICE001",
        select: bool = False,
    ) -> tuple[int, str]:
        """Post a signed `block_actions` request for a button (or a menu's choice, with
        `select`); returns (status, response id)."""
        response_id = response_id or f"a{next(_trigger_ids)}"
        element: dict[str, Any] = {"type": "button", "value": value}
        if select:
            element = {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "…"}, "value": value},
            }
        payload = {
            "type": "block_actions",
            "team": {"id": slack_emu.TEAM_ID, "domain": "acme"},
            "user": {"id": user_id, "username": "alice", "team_id": slack_emu.TEAM_ID},
            "api_app_id": "A0123456789",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id},
            "trigger_id": f"trig.{next(_trigger_ids)}",
            "channel": {"id": channel_id, "name": "incident-42"},
            "message": {"type": "message", "ts": message_ts, "text": "Logs for …", "blocks": []},
            "response_url": self.slack.response_url(response_id),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    **element,
                    "action_ts": "1763700001.000200",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        status, _ = await self.post_signed("/slack/events", body)
        return status, response_id

    async def reply(self, response_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The first reply posted to the given response_url."""
        replies = await self.slack.wait_for(lambda: self.slack.replies_to(response_id), timeout)
        return replies[0]


BotFactory = Callable[..., Any]


@pytest.fixture
async def start_bot(
    make_settings: SettingsFactory, slack: SlackEmulator, clock: MovableClock
) -> AsyncIterator[Callable[..., Any]]:
    started: list[tuple[BotApp, aiohttp.ClientSession]] = []

    async def factory(
        mode: str = "http", *, in_process: bool = False, **overrides: Any
    ) -> RunningBot:
        app = await BotApp.create(make_settings(**overrides), mode, clock)  # type: ignore[arg-type]
        session = aiohttp.ClientSession()
        started.append((app, session))
        if in_process:
            app.workers.start()  # what start() does besides serving HTTP
            return RunningBot(app, "http://not-listening.invalid", slack, session, in_process=True)
        port = await app.start("127.0.0.1", 0)
        return RunningBot(app, f"http://127.0.0.1:{port}", slack, session)

    yield factory
    for app, session in started:
        await session.close()
        await app.stop()


@pytest.fixture
async def bot(start_bot: Callable[..., Any]) -> RunningBot:
    running: RunningBot = await start_bot()
    return running


@pytest.fixture
async def dispatch(start_bot: Callable[..., Any]) -> RunningBot:
    """The in-process tier: signed requests handed to Bolt's `async_dispatch`."""
    running: RunningBot = await start_bot(in_process=True)
    return running
