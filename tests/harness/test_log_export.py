"""Log-service export: poll schedule, status handling, links people can reach."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from bot.clock import Clock
from bot.harness.client import HarnessClient
from bot.harness.errors import ExportFailedError, ExportTimeoutError, NoLogsError
from bot.harness.log_export import ExportPace, LogExporter, poll_delays, reachable_link
from bot.harness.retrying import RetryPolicy
from emulators.harness import HarnessEmulator
from emulators.harness.world import build_world


def test_polling_starts_fast_and_backs_off_to_five_seconds() -> None:
    delays = list(itertools.islice(poll_delays(), 10))
    assert delays[0] <= 0.5
    assert delays == sorted(delays)
    assert max(delays) == 5.0


def exporter(
    harness: HarnessEmulator,
    http: httpx.AsyncClient,
    base_url: str | None = None,
    timeout: float = 10,
) -> LogExporter:
    client = HarnessClient(
        http,
        base_url=base_url or harness.base_url,
        api_key=harness.api_key,
        account_id=harness.account,
        retry=RetryPolicy(deadline=5, initial_delay=0.01),
        clock=Clock(),
    )
    return LogExporter(client, timeout=timeout, first_poll=0.005)


async def test_export_is_polled_from_queued_to_success(harness: HarnessEmulator) -> None:
    prefix = harness.all_log_keys()[0]
    harness.ready_after_polls = 4  # queued, in_progress, in_progress, success
    async with httpx.AsyncClient() as http:
        link = await exporter(harness, http).export(prefix)
    polls = [c for c in harness.calls("logs.export") if c.query["prefix"] == prefix]
    assert len(polls) == 4  # polled until ready, and not once more
    assert link.url.startswith(harness.base_url + "/storage/harness-download/")
    assert link.expires_at is not None
    # The log service signs its links for a day from when they are made.
    made = harness.clock.time()
    assert abs(link.expires_at.timestamp() - (made + 86400)) < 5


async def test_unknown_prefix_and_failed_export_and_timeout(harness: HarnessEmulator) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(NoLogsError):
            await exporter(harness, http).export(f"{harness.account}/pipeline/nope/1/-x")
        harness.export_final_status = "error"
        with pytest.raises(ExportFailedError, match="emulated export failure"):
            await exporter(harness, http).export(harness.all_log_keys()[0])
        harness.export_final_status = "success"
        harness.export_gate = asyncio.Event()  # never set: the export never finishes
        with pytest.raises(ExportTimeoutError) as caught:
            await exporter(harness, http, timeout=0.5).export(harness.all_log_keys()[1])
        assert caught.value.waited < 1


def test_self_managed_links_naming_saas_are_pointed_at_the_configured_host() -> None:
    """Behind a proxy the bot reaches Harness at its own host; a link naming app.harness.io
    would be unreachable for readers too, so it is rewritten to the configured host."""
    ours = "https://harness.acme.internal"
    assert (
        reachable_link("https://app.harness.io/storage/harness-download/a/1/logs.zip?sig=1", ours)
        == "https://harness.acme.internal/storage/harness-download/a/1/logs.zip?sig=1"
    )
    gcs = "https://storage.googleapis.com/bucket/logs.zip?X-Goog-Signature=1"
    assert reachable_link(gcs, ours) == gcs
    saas = "https://app.harness.io/storage/x/logs.zip"
    assert reachable_link(saas, "https://app.harness.io") == saas


class Kept:
    """The store's kept values, as two replicas share them."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get_value(self, key: str) -> str | None:
        return self.values.get(key)

    async def put_value(self, key: str, value: str, ttl_seconds: float) -> None:
        self.values[key] = value


async def test_once_it_has_seen_how_long_exports_take_an_export_costs_two_calls() -> None:
    """The log service gives no Retry-After and every poll spends the key's budget: after
    a few exports the first poll comes when an export is usually ready, and a replica
    that starts later polls at that pace from its first export (real time here, as the
    exporter's waits are real)."""
    harness = HarnessEmulator(clock=Clock())
    build_world(harness)
    harness.export_delay, harness.ready_after_polls = 0.4, 1
    await harness.start()
    kept = Kept()
    try:
        async with httpx.AsyncClient() as http:

            def exporter() -> LogExporter:
                client = HarnessClient(
                    http,
                    base_url=harness.base_url,
                    api_key=harness.api_key,
                    account_id=harness.account,
                    retry=RetryPolicy(deadline=5, initial_delay=0.01),
                    clock=Clock(),
                )
                return LogExporter(client, timeout=10, first_poll=0.02, kept=kept)

            prefixes = harness.all_log_keys()[:9]
            first = exporter()
            for prefix in prefixes[:8]:
                await first.export(prefix)
            await exporter().export(prefixes[8])  # another replica, just started
    finally:
        await harness.stop()
    calls = [
        sum(1 for c in harness.calls("logs.export") if c.query["prefix"] == p) for p in prefixes
    ]
    assert calls[0] > max(calls[4:8]), calls  # nothing known yet: it looked early and often
    assert sum(calls[4:8]) <= 9, calls  # then the start and one poll, now and then two
    assert calls[8] <= 3, calls  # the new replica did not learn it again


def test_the_export_pace_errs_late_and_does_not_drift_back_into_misses() -> None:
    """Every poll spends the key's budget: once an export was seen not ready at 1.9 s,
    exports started meanwhile wait longer, and a long run of exports ready at their
    first poll does not bring the first poll back under what exports take."""
    pace = ExportPace(0.25)
    pace.pending(1.9)  # one export, not ready 1.9 s after its start
    assert pace.expected >= 2.5  # the next ones look later at once
    pace.ready(1.9, 2.6, polls=3)
    for _ in range(200):  # ready at the first poll, each on time
        pace.ready(pace.expected, pace.expected, polls=2)
    assert 1.9 < pace.expected < 2.6
    before = pace.expected
    pace.ready(before, before * 3, polls=2)  # a poll held back for the budget
    assert pace.expected == before
