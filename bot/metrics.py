"""Prometheus metrics, on a registry per app instance (tests build several apps),
with the process and platform collectors (memory, CPU, open files, GC)."""

from __future__ import annotations

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


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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

    def count_harness_request(self, endpoint: str, outcome: str) -> None:
        self.harness_requests.labels(endpoint, outcome).inc()

    def observe_export(self, outcome: str, seconds: float) -> None:
        self.exports.labels(outcome).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
