"""Nothing lost, nobody kept waiting: the durable queue under Slack's rate limits.

    python -m benchmarks.durability         # measure, update README

The real bot runs as its own process (default settings: one post per second per
channel, Retry-After honoured) against the loopback emulators in this process.
The Slack emulator enforces one `chat.postMessage` per second per channel and
answers 429 with Retry-After beyond it.

1. Fan-out: FAILURES failed runs, each a webhook, to CHANNELS subscribed
   channels: every post arrives once, in a time close to the minimum the limit
   allows ((FAILURES - 1) seconds: the posts of one channel, a second apart).
2. A slash command sent while that backlog waits on Slack: its answer's time.
3. PEOPLE asking at once for the same finished run: log-service calls, against
   one person asking alone (a fresh bot and store each).
4. A hung Harness (an export that never finishes): how long until the person is
   told, with REQUEST_DEADLINE seconds as the deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from benchmarks.readme import replace_section
from benchmarks.support import signed_command
from bot.clock import Clock
from bot.slack.clients.scopes import BOT_SCOPES
from bot.store import PipelineKey, Subscription, open_store
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.harness.world import build_world, checkout_stages
from emulators.slack import SlackEmulator
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import BIN, Serving, bot_env, serving

FAILURES = 10
CHANNELS = 30
PEOPLE = 50
REQUEST_DEADLINE = 10.0
FANOUT_TARGET = 1.2  # times the minimum
COMMAND_TARGET = 5.0  # seconds, behind the backlog
HUNG_MARGIN = 5.0  # seconds past the deadline
ARGS = [str(BIN), "--mode", "http", "--host", "127.0.0.1", "--port", "0"]


@dataclass
class Figures:
    posts: int = 0
    expected: int = 0
    duplicates: int = 0
    refused: int = 0
    fanout_seconds: float = 0.0
    fanout_minimum: float = 0.0
    command_seconds: float = 0.0
    one_asking: int = 0
    many_asking: int = 0
    hung_seconds: float = 0.0

    @property
    def checks(self) -> dict[str, bool]:
        return {
            "no post lost": self.posts == self.expected,
            "no post twice": self.duplicates == 0,
            "fan-out time": self.fanout_seconds <= FANOUT_TARGET * self.fanout_minimum,
            "command behind the backlog": self.command_seconds < COMMAND_TARGET,
            "identical requests": self.many_asking <= self.one_asking,
            "hung Harness told": self.hung_seconds <= REQUEST_DEADLINE + HUNG_MARGIN,
        }


def world(harness: HarnessEmulator) -> list[RunSpec]:
    build_world(harness)
    return [
        harness.add_run(
            RunSpec(
                "deploy_checkout",
                "Deploy Checkout",
                100 + n,
                "Failed",
                checkout_stages(True),
                failure="kubectl rollout status deployment/checkout timed out",
            )
        )
        for n in range(FAILURES)
    ]


@asynccontextmanager
async def bot(
    harness: HarnessEmulator, slack: SlackEmulator, workdir: Path, **extra: str
) -> AsyncIterator[Serving]:
    env = bot_env(
        harness,
        slack,
        BOT_STORE_URL=f"sqlite:///{workdir}/bot.db",
        HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        LOG_LEVEL="INFO",
        **extra,
    )
    async with serving(ARGS, env, workdir) as running:
        yield running
        await running.stop()


async def command(
    http: aiohttp.ClientSession, url: str, slack: SlackEmulator, text: str, rid: str
) -> None:
    body, headers = signed_command(slack, text, rid, user=f"U{abs(hash(rid)) % 10**9:09d}")
    async with http.post(url + "/slack/events", data=body, headers=headers) as resp:
        assert resp.status == 200, resp.status


async def fanout_and_command(figures: Figures, workdir: Path) -> None:
    harness, slack = HarnessEmulator(), SlackEmulator(scopes=BOT_SCOPES)
    runs = world(harness)
    await harness.start()
    await slack.start()
    channels = [f"C0FAN{n:05d}" for n in range(CHANNELS)]
    slack.members.update(channels)
    store = await open_store(f"sqlite:///{workdir}/bot.db", Clock())
    key = PipelineKey(harness.account, "default", "shop", "deploy_checkout")
    for channel in channels:
        await store.add_subscription(Subscription(channel, key, "Deploy Checkout"))
    await store.close()
    slack.post_rate, slack.post_burst = 1.0, 1
    try:
        async with bot(harness, slack, workdir) as running, aiohttp.ClientSession() as http:
            started = time.monotonic()
            hook = f"{running.url}/harness/webhook?token={WEBHOOK_TOKEN}"
            for run in runs:
                async with http.post(hook, json=event_body(harness, run=run.run_sequence)) as r:
                    assert r.status == 202, r.status
            # The backlog is waiting on Slack's limit: a person asks for logs now.
            await slack.wait_for(lambda: len(slack.posts()) >= CHANNELS, 60)
            asked = time.monotonic()
            await command(http, running.url, slack, "deploy_checkout #42", "behind")
            await slack.wait_for(lambda: slack.replies_to("behind"), 60)
            figures.command_seconds = time.monotonic() - asked
            expected = FAILURES * CHANNELS
            await slack.wait_for(lambda: len(slack.posts()) >= expected or None, 120)
            figures.fanout_seconds = time.monotonic() - started
    finally:
        await harness.stop()
        await slack.stop()
    per = Counter((p.args["channel"], _run_of(p.args, runs)) for p in slack.posts())
    figures.expected = FAILURES * CHANNELS
    figures.posts = len(slack.posts())
    figures.duplicates = sum(n - 1 for n in per.values() if n > 1)
    figures.refused = len(slack.calls("chat.postMessage")) - len(slack.posts())
    figures.fanout_minimum = (FAILURES - 1) / slack.post_rate


def _run_of(args: dict[str, object], runs: list[RunSpec]) -> str:
    """Which run a parent post is about: its execution id (in the link to the run, which
    the first post has from the notification, before the run's number is known)."""
    text = str(args.get("text", "")) + str(args.get("blocks", ""))
    return next((r.plan_execution_id for r in runs if r.plan_execution_id in text), text[:40])


async def log_service_calls(people: int, workdir: Path) -> int:
    harness, slack = HarnessEmulator(), SlackEmulator(scopes=BOT_SCOPES)
    build_world(harness)
    await harness.start()
    await slack.start()
    try:
        async with bot(harness, slack, workdir) as running, aiohttp.ClientSession() as http:
            await asyncio.gather(
                *(
                    command(http, running.url, slack, "deploy_checkout #42", f"p{n}")
                    for n in range(people)
                )
            )
            await slack.wait_for(
                lambda: all(slack.replies_to(f"p{n}") for n in range(people)) or None, 60
            )
    finally:
        await harness.stop()
        await slack.stop()
    return len(harness.calls("logs.export")) + len(harness.calls("logs.blob"))


async def hung(workdir: Path) -> float:
    harness, slack = HarnessEmulator(), SlackEmulator(scopes=BOT_SCOPES)
    build_world(harness)
    harness.export_gate = asyncio.Event()  # the export never finishes
    await harness.start()
    await slack.start()
    try:
        extra = {"REQUEST_DEADLINE": str(REQUEST_DEADLINE)}
        async with bot(harness, slack, workdir, **extra) as running, aiohttp.ClientSession() as h:
            started = time.monotonic()
            await command(h, running.url, slack, "deploy_checkout", "hung")
            await slack.wait_for(
                lambda: [r for r in slack.replies_to("hung") if "did not answer" in str(r)] or None,
                REQUEST_DEADLINE + 60,
            )
            return time.monotonic() - started
    finally:
        await harness.stop()
        await slack.stop()


async def run() -> Figures:
    figures = Figures()
    await fanout_and_command(figures, Path(tempfile.mkdtemp()))
    figures.one_asking = await log_service_calls(1, Path(tempfile.mkdtemp()))
    figures.many_asking = await log_service_calls(PEOPLE, Path(tempfile.mkdtemp()))
    figures.hung_seconds = await hung(Path(tempfile.mkdtemp()))
    return figures


def report(f: Figures) -> list[str]:
    checks = f.checks
    return [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; the bot with its default settings.",
        "",
        "| what | measured | target |",
        "|---|---|---|",
        f"| fan-out: {FAILURES} failures × {CHANNELS} channels, Slack at 1 post/s per channel "
        f"| {f.posts}/{f.expected} posts, {f.duplicates} twice, {f.refused} refused by Slack "
        "and posted later | all, none twice |",
        f"| fan-out time | {f.fanout_seconds:.1f} s = {f.fanout_seconds / f.fanout_minimum:.2f}× "
        f"the minimum ({f.fanout_minimum:.0f} s) | ≤ {FANOUT_TARGET}× |",
        f"| a command behind that backlog | answered in {f.command_seconds:.1f} s "
        f"| < {COMMAND_TARGET:.0f} s |",
        f"| {PEOPLE} people asking for one finished run | {f.many_asking} log-service calls "
        f"(one person alone: {f.one_asking}) | no more than one person |",
        f"| a hung Harness, REQUEST_DEADLINE={REQUEST_DEADLINE:.0f} s | told after "
        f"{f.hung_seconds:.1f} s | ≤ deadline + {HUNG_MARGIN:.0f} s |",
        "",
        "Targets "
        + (
            "met."
            if all(checks.values())
            else "MISSED: " + ", ".join(name for name, ok in checks.items() if not ok)
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-readme", action="store_true", help="print figures only")
    args = parser.parse_args()
    figures = asyncio.run(run())
    lines = report(figures)
    print("\n".join(lines))
    if not args.no_readme:
        replace_section("durability", lines)
    return 0 if all(figures.checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
