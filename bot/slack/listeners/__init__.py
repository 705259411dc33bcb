"""Bolt listeners, one kind a module: each acknowledges, records the work and renders
what the use case answers. `register_listeners` is the only list of them.

- commands.py: `/harness-logs` (and its subscription subcommands, subscriptions.py)
- actions.py: the buttons of a logs message (links, full excerpt, step logs)
- triage.py: an alert's Retry button and Mute menu
- unfurls.py: `link_shared`, Harness links unfurled in messages and the composer
- home.py: `app_home_opened`
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.metrics import Metrics
from bot.service import LogsService, RecentRequests, Subscriptions
from bot.service.access import Access
from bot.service.answers import LogsAnswers
from bot.service.previews import LinkPreviews
from bot.service.retry_runs import Retries
from bot.service.triage import Triage
from bot.service.workers import Workers
from bot.slack.clients.poster import Poster
from bot.slack.listeners.actions import ActionHandler
from bot.slack.listeners.commands import CommandHandler
from bot.slack.listeners.home import HomeHandler
from bot.slack.listeners.subscriptions import SubscriptionHandler
from bot.slack.listeners.triage import TriageHandler
from bot.slack.listeners.unfurls import UnfurlHandler

__all__ = ["Listening", "register_listeners"]


@dataclass(frozen=True)
class Listening:
    """What the listeners need: the use cases, the Slack clients, and a few settings."""

    service: LogsService
    subscriptions: Subscriptions
    retries: Retries
    recent: RecentRequests
    workers: Workers
    access: Access
    client: AsyncWebClient
    poster: Poster
    metrics: Metrics
    clock: Clock
    account: str
    harness_host: str
    request_deadline: float
    progress_after: float
    private_links: bool
    channels_of: Callable[[str], Awaitable[frozenset[str]]]


def register_listeners(app: AsyncApp, deps: Listening) -> None:
    """Every listener the app has, registered on `app` (and their work kinds on the
    workers)."""
    answers = LogsAnswers(deps.service, deps.access)
    CommandHandler(
        deps.service,
        deps.workers,
        deps.metrics,
        SubscriptionHandler(deps.subscriptions, deps.poster),
        clock=deps.clock,
        request_deadline=deps.request_deadline,
        progress_after=deps.progress_after,
        answers=answers,
        private_links=deps.private_links,
        on_request=deps.recent.add,
    ).register(app)
    ActionHandler(
        deps.service, answers, deps.workers, deps.poster, private_links=deps.private_links
    ).register(app)
    UnfurlHandler(LinkPreviews(deps.service, deps.access), deps.client, deps.workers).register(app)
    TriageHandler(
        Triage(deps.subscriptions, deps.retries, deps.access, account=deps.account),
        deps.workers,
        deps.poster,
        on_outcome=lambda action, outcome: deps.metrics.triage.labels(action, outcome).inc(),
    ).register(app)
    HomeHandler(
        deps.subscriptions,
        deps.recent,
        deps.client,
        deps.harness_host,
        deps.access,
        deps.channels_of,
    ).register(app)
