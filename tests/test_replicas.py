"""Two real bot processes behind one Redis: the same webhook posts once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bot.store import PipelineKey, Subscription, open_store
from tests.emulators.harness import HarnessEmulator
from tests.emulators.slack import SlackEmulator
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import BIN, bot_env, serving


@asynccontextmanager
async def replica(env: dict[str, str], cwd: Path) -> AsyncIterator[str]:
    args = [str(BIN), "--mode", "http", "--host", "127.0.0.1", "--port", "0"]
    async with serving(args, env, cwd) as bot:
        yield bot.url
        # Stopped with SIGTERM, so it drains its jobs first.
        assert await bot.stop() == 0


async def test_two_processes_sharing_redis_post_a_webhook_once(
    tmp_path: Path, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    store_url = redis_url
    store = await open_store(store_url)
    await store.add_subscription(
        Subscription(
            "C0INCIDENT",
            PipelineKey(harness.account, "default", "shop", "deploy_checkout"),
            "Deploy Checkout",
        )
    )
    env = bot_env(harness, slack, HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN, BOT_STORE_URL=store_url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            # Both start at once: a process start is most of this test's time.
            one, two = await asyncio.gather(
                stack.enter_async_context(replica(env, tmp_path)),
                stack.enter_async_context(replica(env, tmp_path)),
            )
            body = event_body(harness)
            async with aiohttp.ClientSession() as session:

                async def deliver(url: str) -> int:
                    async with session.post(
                        f"{url}/harness/webhook?token={WEBHOOK_TOKEN}", json=body
                    ) as resp:
                        return resp.status

                assert list(await asyncio.gather(deliver(one), deliver(two))) == [202, 202]
            (post,) = await slack.wait_for(lambda: slack.posts())
            assert post.args["channel"] == "C0INCIDENT"
            # Both replicas finished their work before stopping (SIGTERM drains jobs).
        assert len(slack.posts()) == 1
        assert len(harness.calls("executions.v2")) >= 1
    finally:
        await store.close()
