"""Prometheus metrics, on a registry per app instance (tests build several apps),
with the process and platform collectors (memory, CPU, open files, GC)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Outcomes of calls the budget kept from being sent.
NOT_SENT = frozenset({"skipped", "over_budget"})


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # Read when scraped, from sources that must be awaited (the store's queue).
        self.before_render: list[Callable[[], Awaitable[None]]] = []
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.commands = Counter(
            "harness_logs_commands",
            "Slash commands received, by what they asked for and how they ended.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.harness_requests = Counter(
            "harness_logs_harness_requests",
            "HTTP calls to Harness, by endpoint and status (or network_error).",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        self.harness_calls = Counter(
            "harness_logs_harness_calls",
            "Calls sent to Harness, by the priority they spent the key's budget at "
            "(people, alerts, extras); with harness_logs_alerts_filled, calls per alert.",
            ["priority"],
            registry=self.registry,
        )
        self.alerts_filled = Counter(
            "harness_logs_alerts_filled",
            "Alerts whose post was filled in with its excerpts and link (once per channel).",
            registry=self.registry,
        )
        self.queue_backlog = Gauge(
            "harness_logs_queue_backlog",
            "Work waiting in the durable queue (due or not), by lane, as last scraped.",
            ["lane"],
            registry=self.registry,
        )
        self.queue_oldest = Gauge(
            "harness_logs_queue_oldest_seconds",
            "How long the longest-waiting due work of each lane has been queued.",
            ["lane"],
            registry=self.registry,
        )
        self.exports = Histogram(
            "harness_logs_export_seconds",
            "Time from asking for a log export to having its link (or giving up).",
            ["outcome"],
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.harness_budget_left = Gauge(
            "harness_logs_harness_budget_left",
            "Calls left in the Harness key's budget for the current minute (as last seen).",
            registry=self.registry,
        )
        self.jobs_in_flight = Gauge(
            "harness_logs_jobs_in_flight",
            "Requests acknowledged to Slack and still being worked on.",
            registry=self.registry,
        )

        self.webhooks = Counter(
            "harness_logs_webhooks",
            "Harness notifications, by event type and what became of them "
            "(accepted, duplicate, noted, refused, unrecorded).",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.slack_errors = Counter(
            "harness_logs_slack_errors",
            "Slack Web API calls that failed, by method and error (ratelimited included).",
            ["method", "error"],
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "harness_logs_queue_wait_seconds",
            "Time queued work waited from due to started, by lane.",
            ["lane"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.broken_subscriptions = Counter(
            "harness_logs_broken_subscriptions",
            "Subscriptions found broken (the bot removed from the channel, or it archived).",
            registry=self.registry,
        )
        self.triage = Counter(
            "harness_logs_triage",
            "Presses of an alert's triage controls, by action and outcome "
            "(retried, rerun, refused, already; muted).",
            ["action", "outcome"],
            registry=self.registry,
        )

    def count_harness_request(self, endpoint: str, outcome: str, priority: str) -> None:
        self.harness_requests.labels(endpoint, outcome).inc()
        if outcome not in NOT_SENT:
            self.harness_calls.labels(priority).inc()

    def observe_export(self, outcome: str, seconds: float) -> None:
        self.exports.labels(outcome).observe(seconds)

    async def render(self) -> bytes:
        for refresh in self.before_render:
            await refresh()
        return generate_latest(self.registry)
