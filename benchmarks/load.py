"""Failures a second on one Harness key: alerts from webhooks, against Harness's rate limit.

    python -m benchmarks.load               # every rate, one replica then two; README
    python -m benchmarks.load --seconds 20 --rates 5 --replicas 2   # one quick case

The real bot runs as its own process(es) against loopback stand-ins in this process:
PIPELINES pipelines, each subscribed by CHANNELS_EACH channels; Slack takes one
`chat.postMessage` a second per channel (429 with Retry-After beyond it); every Harness
export becomes ready EXPORT_READY seconds after it was asked for; Harness allows 1,000
API calls a minute per key in any sliding minute and answers 429 beyond it, without
Retry-After, as its edge does (developer.harness.io/docs/platform/rate-limits).

For each rate, a fresh bot, store and stand-ins; notifications of failed runs
(`PipelineFailed`, a new run each, pipelines in turn) arrive at that rate for SECONDS
seconds, through a load balancer that sends each to the replicas in turn and to
another one when a replica does not answer. Measured per (channel, run):

- first post: from the webhook's send to the channel's parent post;
- link: from the webhook's send to the post (updated in place) carrying the download link;
- lost: a subscribed channel whose post never carried its link; twice: a run with more
  than one parent post in a channel;
- Harness calls per webhook (log downloads from storage are not API calls) and 429s.

One more run has two replicas sharing Redis at the highest rate, and one of them is
killed with SIGKILL halfway: its leased work is taken over when the lease runs out,
so only "nothing lost, nothing twice" is held against that run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.readme import replace_section
from bot.clock import Clock
from bot.slack.clients.scopes import BOT_SCOPES
from bot.store import PipelineKey, Subscription, open_store
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.harness.world import ROLLOUT_FAILURE, checkout_stages
from emulators.slack import SlackEmulator
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import BIN, Serving, bot_env, serving
from tests.redis_server import redis_server

PIPELINES = 100
CHANNELS_EACH = 2
SECONDS = 60.0
RATES = (1.0, 2.0, 5.0)
EXPORT_READY = 2.0
DRAIN = 240.0  # seconds after the last webhook for every link to arrive
FIRST_POST_TARGET = 2.0  # p95, seconds
LINK_TARGET = 60.0  # p95, seconds
ARGS = [str(BIN), "--mode", "http", "--host", "127.0.0.1", "--port", "0"]
LINK_MARK = "/storage/harness-download/"


class TimedSlack(SlackEmulator):
    """Slack that notes when each run's parent post arrived and when it first carried
    the download link (the bot names the run's planExecutionId in both)."""

    def __init__(self, runs: dict[str, str]) -> None:
        super().__init__(scopes=BOT_SCOPES)
        self._runs = runs  # planExecutionId -> the same (a set, for lookups)
        self._by_ts: dict[tuple[str, str], str] = {}
        self.first: dict[tuple[str, str], float] = {}
        self.linked: dict[tuple[str, str], float] = {}
        self.parents: Counter[tuple[str, str]] = Counter()

    def _run_in(self, args: dict[str, Any]) -> str | None:
        text = json.dumps(args)
        start = text.find("/executions/")
        while start >= 0:
            candidate = text[start + len("/executions/") :].split("/", 1)[0].split('"', 1)[0]
            if candidate in self._runs:
                return candidate
            start = text.find("/executions/", start + 1)
        return None

    def _seen(self, channel: str, ts: str, args: dict[str, Any], parent: bool) -> None:
        now = time.monotonic()
        run = self._by_ts.get((channel, ts)) or self._run_in(args)
        if run is None:
            return
        self._by_ts[(channel, ts)] = run
        key = (channel, run)
        if parent:
            self.parents[key] += 1
            self.first.setdefault(key, now)
        if key not in self.linked and LINK_MARK in json.dumps(args):
            self.linked[key] = now

    async def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        result = await super()._api_chat_postMessage(args)
        if result.get("ok"):
            parent = not args.get("thread_ts")
            self._seen(str(args.get("channel")), str(result["ts"]), args, parent)
        return result

    async def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        result = await super()._api_chat_update(args)
        if result.get("ok"):
            self._seen(str(args.get("channel")), str(args.get("ts")), args, parent=False)
        return result


@dataclass
class Case:
    rate: float
    replicas: int
    kill: bool = False

    @property
    def label(self) -> str:
        store = "SQLite" if self.replicas == 1 else "Redis"
        killed = ", one killed halfway" if self.kill else ""
        return f"{self.replicas} ({store}{killed})"


@dataclass
class Figures:
    case: Case
    webhooks: int = 0
    expected: int = 0
    first: list[float] = field(default_factory=list)
    link: list[float] = field(default_factory=list)
    lost: int = 0
    twice: int = 0
    calls: int = 0
    refused: int = 0  # Harness 429s
    by_endpoint: Counter[str] = field(default_factory=Counter)
    exports: int = 0  # distinct prefixes exported
    export_calls: Counter[int] = field(default_factory=Counter)  # exports by calls (5: ≥ 5)

    @staticmethod
    def pct(samples: list[float], q: float) -> float:
        if not samples:
            return float("nan")
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def checks(self) -> dict[str, bool]:
        kept = {"nothing lost": self.lost == 0, "nothing twice": self.twice == 0}
        if self.case.kill:
            return kept
        return {
            **kept,
            "no Harness 429": self.refused == 0,
            "first post p95": self.pct(self.first, 0.95) <= FIRST_POST_TARGET,
            "link p95": self.pct(self.link, 0.95) <= LINK_TARGET,
        }


def pipeline_id(n: int) -> str:
    return f"svc_{n:03d}"


def channels_of(n: int) -> list[str]:
    return [f"C0LOAD{n:03d}{c}" for c in range(CHANNELS_EACH)]


def build(harness: HarnessEmulator, webhooks: int) -> list[RunSpec]:
    """PIPELINES pipelines with a green run each, and `webhooks` failed runs in turn."""
    for n in range(PIPELINES):
        name = f"Service {n:03d}"
        harness.add_pipeline(pipeline_id(n), name)
        harness.add_run(RunSpec(pipeline_id(n), name, 1, "Success", checkout_stages(False)))
    failed = []
    for i in range(webhooks):
        n = i % PIPELINES
        spec = RunSpec(
            pipeline_id(n),
            f"Service {n:03d}",
            2 + i // PIPELINES,
            "Failed",
            checkout_stages(True),
            failure=ROLLOUT_FAILURE,
        )
        failed.append(harness.add_run(spec))
    return failed


async def subscribe(url: str, account: str) -> None:
    store = await open_store(url, Clock())
    try:
        for n in range(PIPELINES):
            key = PipelineKey(account, "default", "shop", pipeline_id(n))
            for channel in channels_of(n):
                await store.add_subscription(Subscription(channel, key, f"Service {n:03d}"))
    finally:
        await store.close()


@asynccontextmanager
async def replicas(
    count: int, harness: HarnessEmulator, slack: SlackEmulator, store_url: str, workdir: Path
) -> AsyncIterator[list[Serving]]:
    env = bot_env(
        harness,
        slack,
        BOT_STORE_URL=store_url,
        HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        LOG_LEVEL="INFO",
    )
    async with AsyncExitStack() as stack:
        running = []
        for n in range(count):
            cwd = workdir / f"replica{n}"
            cwd.mkdir()
            running.append(await stack.enter_async_context(serving(ARGS, env, cwd)))
        yield running
        for one in running:
            if one.proc.returncode is None:
                await one.stop()


class Balancer:
    """Each webhook to the next replica; to another when one does not answer."""

    def __init__(self, http: aiohttp.ClientSession, running: list[Serving]) -> None:
        self._http = http
        self._running = running
        self._turn = itertools.count()

    async def send(self, body: dict[str, Any]) -> None:
        start = next(self._turn)
        for offset in range(len(self._running)):
            one = self._running[(start + offset) % len(self._running)]
            url = f"{one.url}/harness/webhook"
            try:
                async with self._http.post(
                    url, json=body, headers={"X-Webhook-Token": WEBHOOK_TOKEN}
                ) as resp:
                    if resp.status == 202:
                        return
            except aiohttp.ClientError:
                continue
        raise RuntimeError("no replica accepted a webhook")


async def measure(case: Case, seconds: float) -> Figures:
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    webhooks = int(case.rate * seconds)
    harness = HarnessEmulator()
    failed = build(harness, webhooks)
    harness.export_delay, harness.ready_after_polls = EXPORT_READY, 1
    slack = TimedSlack({run.plan_execution_id: run.plan_execution_id for run in failed})
    slack.post_rate, slack.post_burst = 1.0, 1
    for n in range(PIPELINES):
        slack.members.update(channels_of(n))
    figures = Figures(case, webhooks=webhooks, expected=webhooks * CHANNELS_EACH)
    sent: dict[str, float] = {}
    await harness.start()
    await slack.start()
    async with AsyncExitStack() as stack:
        if case.replicas == 1:
            store_url = f"sqlite:///{workdir}/bot.db"
        else:
            server = stack.enter_context(redis_server(workdir))
            store_url = server.url(0)
        await subscribe(store_url, harness.account)
        running = await stack.enter_async_context(
            replicas(case.replicas, harness, slack, store_url, workdir)
        )
        http = await stack.enter_async_context(aiohttp.ClientSession())
        balancer = Balancer(http, running)
        calls_before, refused_before = len(harness.requests), harness.rate_limited
        started = time.monotonic()
        sending = []
        for i, run in enumerate(failed):
            at = started + i / case.rate
            if case.kill and i == webhooks // 2:
                running[-1].proc.send_signal(signal.SIGKILL)
            await asyncio.sleep(max(0.0, at - time.monotonic()))  # the load's own pace
            sent[run.plan_execution_id] = time.monotonic()
            body = event_body(harness, pipeline=run.pipeline, run=run.run_sequence)
            sending.append(asyncio.create_task(balancer.send(body)))
        await asyncio.gather(*sending)
        with suppress(TimeoutError):  # what never came is counted as lost below
            await slack.wait_for(
                lambda: len(slack.linked) >= figures.expected or None, DRAIN + seconds
            )
        calls = harness.requests[calls_before:]
        figures.calls = sum(1 for r in calls if r.endpoint)
        figures.by_endpoint = Counter(r.endpoint for r in calls if r.endpoint)
        per_export = Counter(r.query.get("prefix") for r in calls if r.endpoint == "logs.export")
        figures.exports = len(per_export)
        figures.export_calls = Counter(min(n, 5) for n in per_export.values())
        figures.refused = harness.rate_limited - refused_before
    await harness.stop()
    await slack.stop()
    for run in failed:
        n = int(run.pipeline.removeprefix("svc_"))
        for channel in channels_of(n):
            key = (channel, run.plan_execution_id)
            if key in slack.first:
                figures.first.append(slack.first[key] - sent[run.plan_execution_id])
            if key in slack.linked:
                figures.link.append(slack.linked[key] - sent[run.plan_execution_id])
            else:
                figures.lost += 1
    figures.twice = sum(n - 1 for n in slack.parents.values() if n > 1)
    return figures


def row(f: Figures) -> str:
    return (
        f"| {f.case.label} | {f.case.rate:g} "
        f"| {1000 * f.pct(f.first, 0.5):.0f} ms / {f.pct(f.first, 0.95):.2f} s "
        f"| {f.pct(f.link, 0.5):.1f} s / {f.pct(f.link, 0.95):.1f} s "
        f"| {f.calls / max(1, f.webhooks):.2f} | {f.refused} "
        f"| {f.lost} of {f.expected} | {f.twice} |"
    )


def report(results: list[Figures], seconds: float) -> list[str]:
    missed = [
        f"{name} ({f.case.label}, {f.case.rate:g}/s)"
        for f in results
        for name, ok in f.checks.items()
        if not ok
    ]
    spreads = [
        f"{f.case.label} at {f.case.rate:g}/s: "
        + ", ".join(
            f"{name} {n / max(1, f.webhooks):.2f}" for name, n in f.by_endpoint.most_common()
        )
        + f" ({f.exports / max(1, f.webhooks):.2f} exports a webhook,"
        f" {f.by_endpoint['logs.export'] / max(1, f.exports):.2f} calls each: "
        + ", ".join(
            f"{'≥ ' if n == 5 else ''}{n} calls × {count}"
            for n, count in sorted(f.export_calls.items())
        )
        + ")"
        for f in results
        if not f.case.kill
    ]
    return [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}: {PIPELINES} pipelines × {CHANNELS_EACH} "
        f"channels, {seconds:.0f} s of failures at each rate, Slack at 1 post/s per "
        f"channel, exports ready after {EXPORT_READY:.0f} s, Harness at 1,000 calls a "
        "minute per key.",
        "",
        "| replicas (store) | webhooks/s | first post p50 / p95 | link p50 / p95 "
        "| Harness calls per webhook | Harness 429s | lost | twice |",
        "|---|---|---|---|---|---|---|---|",
        *(row(f) for f in results),
        "",
        "Harness calls per webhook, by endpoint:",
        "",
        *(f"- {spread}" for spread in spreads),
        "",
        f"Targets (without the kill): 0 lost, 0 twice, 0 Harness 429s, first post p95 "
        f"≤ {FIRST_POST_TARGET:.0f} s, link p95 ≤ {LINK_TARGET:.0f} s; with it: 0 lost, 0 twice. "
        + ("Targets met." if not missed else "MISSED: " + "; ".join(missed)),
    ]


async def run(cases: list[Case], seconds: float) -> list[Figures]:
    results = []
    for case in cases:
        figures = await measure(case, seconds)
        print(row(figures), flush=True)
        results.append(figures)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--rates", type=float, nargs="*", default=list(RATES))
    parser.add_argument("--replicas", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL run")
    parser.add_argument("--no-readme", action="store_true", help="print figures only")
    args = parser.parse_args()
    cases = [Case(rate, n) for n in args.replicas for rate in args.rates]
    if not args.no_kill and 2 in args.replicas:
        cases.append(Case(max(args.rates), 2, kill=True))
    results = asyncio.run(run(cases, args.seconds))
    lines = report(results, args.seconds)
    print("\n".join(lines))
    if not args.no_readme:
        replace_section("load", lines)
    return 0 if all(all(f.checks.values()) for f in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
