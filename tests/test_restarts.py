"""Accepted means delivered: real bot processes stopped or killed mid-work, and the
next process (SQLite) or the other replica (Redis) finishing the work, once."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp

from bot.clock import Clock
from bot.domain import Lane
from bot.store import PipelineKey, Store, Subscription, open_store
from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import BIN, bot_env, serving, signed_command

ARGS = [str(BIN), "--mode", "http", "--host", "127.0.0.1", "--port", "0"]


async def subscribed(url: str, harness: HarnessEmulator) -> Store:
    """The shared store, with #incident subscribed to deploy_checkout."""
    store = await open_store(url, Clock())
    key = PipelineKey(harness.account, "default", "shop", "deploy_checkout")
    await store.add_subscription(Subscription("C0INCIDENT", key, "Deploy Checkout"))
    return store


def settings_for(
    harness: HarnessEmulator, slack: SlackEmulator, url: str, **extra: str
) -> dict[str, str]:
    return bot_env(
        harness,
        slack,
        BOT_STORE_URL=url,
        HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        WORK_POLL_INTERVAL="0.05",
        HARNESS_EXPORT_POLL_INTERVAL="0.01",
        **extra,
    )


async def drained(store: Store, seconds: float = 20) -> None:
    """Poll the shared store with a deadline until no work is left in it."""
    deadline = time.monotonic() + seconds
    while any([await store.queued(lane) for lane in Lane]):
        assert time.monotonic() < deadline, "work was left in the queue"
        await asyncio.sleep(0.05)


async def test_sigterm_mid_export_then_a_new_process_delivers_each_thing_once(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    store = await subscribed(url, harness)
    # The export takes longer than the grace period.
    env = settings_for(harness, slack, url, SHUTDOWN_GRACE="0.2")
    harness.export_gate = asyncio.Event()  # every export hangs until after the stop
    try:
        async with serving(ARGS, env, tmp_path) as first, aiohttp.ClientSession() as http:
            body, headers = signed_command(slack, "deploy_checkout", "killed")
            async with http.post(first.url + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
            hook = f"{first.url}/harness/webhook?token={WEBHOOK_TOKEN}"
            async with http.post(hook, json=event_body(harness)) as r:
                assert r.status == 202
            await harness.changes.wait_for(lambda: len(harness.calls("logs.export")) >= 2)
            alerted = await slack.wait_for(lambda: slack.posts())  # posted first
            assert await first.stop(signal.SIGTERM) == 0  # work goes back to the queue
        assert slack.replies_to("killed") == []
        harness.export_gate.set()
        async with serving(ARGS, env, tmp_path) as second:
            await slack.wait_for(lambda: slack.replies_to("killed"), 20)
            await slack.wait_for(lambda: slack.calls("chat.update"), 20)
            await drained(store)
            await second.stop()
        assert len(slack.replies_to("killed")) == 1
        assert "download_logs" in str(slack.replies_to("killed")[0])
        assert slack.posts("C0INCIDENT") == alerted  # not posted again, filled in instead
        assert "download_logs" in str(slack.calls("chat.update")[-1].args)
    finally:
        await store.close()


async def test_replicas_act_once_on_a_delivery_and_take_over_a_killed_ones_work(
    tmp_path: Path, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    store = await subscribed(redis_url, harness)
    env = settings_for(harness, slack, redis_url, WORK_LEASE="1")
    harness.export_gate = asyncio.Event()
    body = event_body(harness)
    try:
        async with serving(ARGS, env, tmp_path) as one, aiohttp.ClientSession() as http:

            async def deliver(url: str) -> int:
                async with http.post(
                    f"{url}/harness/webhook?token={WEBHOOK_TOKEN}", json=body
                ) as r:
                    return r.status

            assert await deliver(one.url) == 202
            await harness.changes.wait_for(lambda: len(harness.calls("logs.export")) >= 2)
            async with serving(ARGS, env, tmp_path) as two:
                # Harness's retry of the same delivery, sent to the other replica: one alert.
                assert await deliver(two.url) == 202
                await one.stop(signal.SIGKILL)  # mid-export: its lease runs out
                harness.export_gate.set()
                await slack.wait_for(lambda: slack.calls("chat.update"), 20)
                await drained(store)
                await two.stop()
        assert len(slack.posts("C0INCIDENT")) == 1
        assert "download_logs" in str(slack.calls("chat.update")[-1].args)
    finally:
        await store.close()
