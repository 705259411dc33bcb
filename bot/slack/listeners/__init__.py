"""Bolt listeners, one kind a module: each acknowledges, records the work and renders
what the use case answers. `register_listeners` is the only list of them; the work
they record is carried out by the jobs the wiring gives the workers (bot/wiring.py).

- commands.py: `/harness-logs` (subscription_commands.py answers its subscription
  subcommands)
- actions.py: the buttons of a logs message (links, full excerpt, step logs)
- triage.py: an alert's Retry button and Mute menu
- unfurls.py: `link_shared`, Harness links unfurled in messages and the composer
- home.py: `app_home_opened`
- records.py: what the queue keeps of a command or a press, and the values the bot's
  buttons and menus carry
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.metrics import Metrics
from bot.service.access import Access
from bot.service.answers import LogsAnswers
from bot.service.logs import LogsService
from bot.service.previews import LinkPreviews
from bot.service.recent import RecentRequests
from bot.service.subscriptions import Subscriptions
from bot.service.triage import Triage
from bot.service.workers import Workers
from bot.slack.clients.poster import Poster
from bot.slack.listeners.actions import ActionHandler
from bot.slack.listeners.commands import CommandHandler
from bot.slack.listeners.home import HomeHandler
from bot.slack.listeners.subscription_commands import SubscriptionCommands
from bot.slack.listeners.triage import TriageHandler
from bot.slack.listeners.unfurls import UnfurlHandler

__all__ = ["Listeners", "Listening", "register_listeners"]


@dataclass(frozen=True)
class Listening:
    """What the listeners need: the use cases (built by the wiring), the Slack clients,
    and a few settings."""

    service: LogsService
    answers: LogsAnswers
    previews: LinkPreviews
    triage: Triage
    subscriptions: Subscriptions
    recent: RecentRequests
    workers: Workers
    access: Access
    client: AsyncWebClient
    poster: Poster
    metrics: Metrics
    clock: Clock
    harness_host: str
    request_deadline: float
    progress_after: float
    private_links: bool
    channels_of: Callable[[str], Awaitable[frozenset[str]]]


@dataclass(frozen=True)
class Listeners:
    """The listeners registered, whose recorded work the wiring's jobs carry out."""

    commands: CommandHandler
    actions: ActionHandler
    unfurls: UnfurlHandler
    triage: TriageHandler
    home: HomeHandler


def register_listeners(app: AsyncApp, deps: Listening) -> Listeners:
    """Every listener the app has, registered on `app`."""
    commands = CommandHandler(
        deps.service,
        deps.workers,
        deps.metrics,
        SubscriptionCommands(deps.subscriptions, deps.poster),
        clock=deps.clock,
        request_deadline=deps.request_deadline,
        progress_after=deps.progress_after,
        answers=deps.answers,
        private_links=deps.private_links,
        on_request=deps.recent.add,
    )
    actions = ActionHandler(
        deps.service, deps.answers, deps.workers, deps.poster, private_links=deps.private_links
    )
    unfurls = UnfurlHandler(deps.previews, deps.client, deps.workers)
    triage = TriageHandler(
        deps.triage,
        deps.workers,
        deps.poster,
        on_outcome=lambda action, outcome: deps.metrics.triage.labels(action, outcome).inc(),
    )
    home = HomeHandler(
        deps.subscriptions,
        deps.recent,
        deps.client,
        deps.harness_host,
        deps.access,
        deps.channels_of,
    )
    commands.register(app)
    actions.register(app)
    unfurls.register(app)
    triage.register(app)
    home.register(app)
    return Listeners(commands, actions, unfurls, triage, home)
