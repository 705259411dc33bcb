"""Acknowledgement latency: slash commands (Slack allows 3 s) and webhooks (target 100 ms),
and a 200-command burst compared with a bare Bolt app that only acknowledges.

    python -m benchmarks.latency            # measure, update README

The real bot runs as its own process (`harness-logs-bot --mode http`) against
the loopback emulators in this process. Harness is made slow on purpose (each
export takes 2 s to become ready) so that background work piles up while
requests keep arriving: what is measured is how long Slack and Harness wait
for their answer, not how long the logs take.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from benchmarks.readme import replace_section
from benchmarks.support import signed_command, wait_until_up
from bot.slack.clients.scopes import BOT_SCOPES
from emulators.harness import HarnessEmulator, RateLimits
from emulators.harness.world import build_world
from emulators.slack import SlackEmulator
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import BIN, bot_env, serving

ROOT = Path(__file__).resolve().parents[1]

REQUESTS = 300
CONCURRENCY = 30
BURST = 200
BURST_ROUNDS = 3
BURST_TARGET = 1.2  # our p99 over a bare Bolt app's
ACK_TARGET = 3.0
WEBHOOK_TARGET = 0.1


@dataclass(frozen=True)
class Figures:
    label: str
    samples: list[float]
    target: float

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def ok(self) -> bool:
        return self.pct(0.99) <= self.target


async def timed(
    session: aiohttp.ClientSession, url: str, data: bytes, headers: dict[str, str]
) -> float:
    started = time.perf_counter()
    async with session.post(url, data=data, headers=headers) as resp:
        await resp.read()
        assert resp.status in (200, 202), resp.status
    return time.perf_counter() - started


def command_for(slack: SlackEmulator, n: int) -> tuple[bytes, dict[str, str]]:
    text = [
        "deploy_checkout",
        "deploy_checkout #42 deploy_prod/rollout",
        "integration",
        "release_train",
    ][n % 4]
    return signed_command(slack, text, f"bench{n}", user=f"U{n:09d}")


async def load(make: list[tuple[str, bytes, dict[str, str]]]) -> list[float]:
    gate = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession() as session:

        async def one(url: str, data: bytes, headers: dict[str, str]) -> float:
            async with gate:
                return await timed(session, url, data, headers)

        return await asyncio.gather(*(one(*item) for item in make))


async def serve() -> None:
    """The emulators, in a process of their own so they do not share the client's loop."""
    harness, slack = HarnessEmulator(), SlackEmulator(scopes=BOT_SCOPES)
    build_world(harness)
    harness.export_delay = 2.0
    # Acknowledgements are measured here, not Harness's rate limit: hundreds of commands
    # a minute would meet it (1,000 calls a minute per key) and leave work for shutdown.
    harness.rate_limits = RateLimits(calls=None)
    await harness.start()
    await slack.start()
    print(
        json.dumps({"harness": harness.port, "slack": slack.port, "account": harness.account}),
        flush=True,
    )
    await asyncio.Event().wait()


async def bare_bolt(api_url: str) -> None:
    """A Bolt app that does nothing but acknowledge, served the same way: the floor."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from emulators.slack import BOT_TOKEN, SIGNING_SECRET

    # The same Slack emulator as the bot's, for Bolt's own authorisation call.
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url)
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client)

    async def command(ack: AsyncAck) -> None:
        await ack(response_type="ephemeral", text="Fetching logs …")

    app.command("/harness-logs")(command)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
    await asyncio.Event().wait()


async def burst(url: str, slack: SlackEmulator, tag: str) -> list[float]:
    """BURST commands sent at once."""
    items = [
        (url, *signed_command(slack, "deploy_checkout", f"{tag}{n}", user=f"U{n:09d}"))
        for n in range(BURST)
    ]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=BURST)) as session:
        return await asyncio.gather(*(timed(session, *item) for item in items))


async def replies_arrived(slack_port: int) -> None:
    """Every command was answered in the end, through its response_url."""
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"http://127.0.0.1:{slack_port}/_emulator/replies") as resp:
                if (await resp.json())["response_ids"] >= REQUESTS:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("not every command got its reply")
            await asyncio.sleep(0.2)


async def run() -> list[Figures]:
    emulators = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.latency", "--serve"], stdout=subprocess.PIPE, text=True
    )
    workdir = Path(tempfile.mkdtemp())
    try:
        assert emulators.stdout is not None
        ports = json.loads(emulators.stdout.readline())
        # Stand-ins with the emulators' addresses, for the helpers that build settings and bodies.
        harness, slack = HarnessEmulator(), SlackEmulator(scopes=BOT_SCOPES)
        build_world(harness)
        harness.port, slack.port = ports["harness"], ports["slack"]
        env = bot_env(
            harness,
            slack,
            HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
            BOT_STORE_URL=f"sqlite:///{workdir}/bot.db",
        )
        command = [str(BIN), "--mode", "http", "--host", "127.0.0.1", "--port", "0"]
        async with serving(command, env, workdir) as bot:
            base = bot.url
            await wait_until_up(base + "/healthz")
            commands = [(base + "/slack/events", *command_for(slack, n)) for n in range(REQUESTS)]
            acks = await load(commands)
            await replies_arrived(slack.port)
            kinds = ["PipelineStart", "StageSuccess", "PipelineFailed"]
            hooks = [
                (
                    f"{base}/harness/webhook?token={WEBHOOK_TOKEN}",
                    json.dumps(event_body(harness, kinds[n % 3], stageIdentifier=f"s{n}")).encode(),
                    {"content-type": "application/json"},
                )
                for n in range(REQUESTS)
            ]
            webhooks = await load(hooks)
            ours, bare = await bursts(base, slack)
            await bot.stop()
    finally:
        emulators.terminate()
        emulators.wait(timeout=30)
    bare_p99 = Figures("bare", bare, 0).pct(0.99)
    return [
        Figures("/harness-logs acknowledgement", acks, ACK_TARGET),
        Figures("webhook 202", webhooks, WEBHOOK_TARGET),
        Figures(
            f"burst of {BURST} commands (bare Bolt: p99 {bare_p99 * 1000:.1f} ms)",
            ours,
            BURST_TARGET * bare_p99,
        ),
    ]


async def bursts(base: str, slack: SlackEmulator) -> tuple[list[float], list[float]]:
    """Bursts at the bot and at a bare Bolt app in turn, so both see the same machine."""
    bare_app = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.latency", "--bare", slack.api_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert bare_app.stdout is not None
        bare_url = f"http://127.0.0.1:{json.loads(bare_app.stdout.readline())['port']}/slack/events"
        ours: list[float] = []
        bare: list[float] = []
        for round_ in range(BURST_ROUNDS):
            ours += await burst(base + "/slack/events", slack, f"burst{round_}-")
            bare += await burst(bare_url, slack, f"bare{round_}-")
        return ours, bare
    finally:
        bare_app.terminate()
        bare_app.wait(timeout=30)


def write_readme(rows: list[Figures], ok: bool) -> None:
    table = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, Python {platform.python_version()}: "
        f"{REQUESTS} requests each, {CONCURRENCY} at a time, every Harness export taking 2 s; "
        f"then {BURST_ROUNDS} bursts of {BURST} commands at once, at the bot and at a bare Bolt "
        "app that only acknowledges (target: p99 within "
        f"{BURST_TARGET}× the bare app's; every command is recorded in the store before its ack).",
        "",
        "| what | p50 | p95 | p99 | max | target (p99) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.label} | {r.pct(0.5) * 1000:.1f} ms | {r.pct(0.95) * 1000:.1f} ms | "
            f"{r.pct(0.99) * 1000:.1f} ms | {max(r.samples) * 1000:.1f} ms | ≤ {r.target * 1000:.0f} ms |"
            for r in rows
        ),
        "",
        f"Targets {'met' if ok else 'MISSED'}; every command's reply arrived afterwards.",
    ]
    replace_section("latency", table)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-readme", action="store_true", help="print figures only")
    parser.add_argument("--serve", action="store_true", help="run the emulators (internal)")
    parser.add_argument("--bare", metavar="SLACK_API_URL", help="run a bare Bolt app (internal)")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return 0
    if args.bare:
        asyncio.run(bare_bolt(args.bare))
        return 0
    rows = asyncio.run(run())
    for r in rows:
        print(
            f"{r.label}: p50 {r.pct(0.5) * 1000:.1f} ms, p95 {r.pct(0.95) * 1000:.1f} ms, "
            f"p99 {r.pct(0.99) * 1000:.1f} ms, max {max(r.samples) * 1000:.1f} ms "
            f"(median {statistics.median(r.samples) * 1000:.1f} ms)"
        )
    ok = all(r.ok for r in rows)
    if not args.no_readme:
        write_readme(rows, ok)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
