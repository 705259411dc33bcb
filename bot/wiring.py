"""Construction: settings -> the Harness side, the use cases and the Slack side.

Each builder takes what it needs and returns plain objects; `bot/app.py` owns
their lifecycle. Nothing here runs anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import httpx
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Settings
from bot.domain import Lane, Scope, WorkKind
from bot.domain.windows import LocalWindow
from bot.excerpt import ExcerptSettings, ReadLimits
from bot.excerpt.redaction import Redactor
from bot.harness.bodies import LogBodies
from bot.harness.budget import Budget
from bot.harness.budget import current as current_priority
from bot.harness.client import HarnessClient
from bot.harness.log_export import LogExporter
from bot.harness.pipeline_api import PipelineApi
from bot.harness.retry_api import RetryApi
from bot.harness.retrying import RetryPolicy
from bot.harness.streaming import StreamOpener
from bot.metrics import Metrics
from bot.proxies import routed
from bot.service.access import Access
from bot.service.answers import LogsAnswers
from bot.service.exports import Exports
from bot.service.history import RunHistories
from bot.service.incidents import Incidents
from bot.service.link_cache import LinkCache
from bot.service.logs import LogsService
from bot.service.mutes import Mutes
from bot.service.policy import Policy
from bot.service.previews import LinkPreviews
from bot.service.recent import RecentRequests
from bot.service.retry_runs import RunRetries
from bot.service.steplogs import StepLogReader
from bot.service.subscriptions import Subscriptions
from bot.service.targets import ExcerptOptions
from bot.service.triage import Triage
from bot.service.workers import Job, Workers
from bot.sharedflight import SharedFlight
from bot.slack.clients.directory import SlackDirectory
from bot.slack.clients.http_retries import retry_handlers
from bot.slack.clients.incident_posts import SlackIncidentPosts
from bot.slack.clients.poster import Pacer, Poster
from bot.slack.clients.requests import ClockedVerification
from bot.slack.listeners import Listeners, Listening, register_listeners
from bot.store import Store
from bot.tls import client_context


@dataclass
class HarnessSide:
    http: httpx.AsyncClient  # API calls
    downloads: aiohttp.ClientSession  # log bodies, streamed
    pipelines: PipelineApi
    retries: RetryApi
    service: LogsService
    redactor: Redactor
    default_scope: Scope
    histories: RunHistories
    shared: SharedFlight

    async def close(self) -> None:
        await self.shared.close()  # its claims are let go while the store is still open
        await self.http.aclose()
        await self.downloads.close()


def harness_side(
    settings: Settings,
    metrics: Metrics,
    store: Store | None,
    clock: Clock,
    *,
    network_deadline: float | None = None,
    observe: Callable[[str, str], None] | None = None,
) -> HarnessSide:
    """The Harness clients and the logs use case on top of them (without a store, no
    link cache: the terminal's `fetch`). `network_deadline` gives up sooner on a host
    that does not answer at all; `observe` hears of every call (endpoint, outcome) as
    the metrics do, for a terminal's progress line."""

    def count(endpoint: str, outcome: str) -> None:
        metrics.count_harness_request(endpoint, outcome, current_priority().name.lower())
        if observe is not None:
            observe(endpoint, outcome)

    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.harness_request_timeout, connect=10.0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        follow_redirects=False,
        verify=client_context(),
        # HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, by httpx's own reading of
        # them (the rules of bot/proxies.py).
        trust_env=True,
    )
    # Log bodies stream through aiohttp (see bot/harness/streaming.py).
    downloads = StreamOpener.new_session(settings.harness_request_timeout)
    streams = StreamOpener(downloads, settings.harness_request_timeout)
    client = HarnessClient(
        http,
        streams=streams,
        base_url=settings.harness_base_url,
        api_key=settings.harness_api_key.get_secret_value(),
        account_id=settings.harness_account_id,
        retry=RetryPolicy(
            deadline=settings.harness_retry_deadline,
            initial_delay=settings.harness_retry_initial_delay,
            network_deadline=network_deadline,
        ),
        clock=clock,
        secrets=tuple(settings.secrets()),
        on_request=count,
        # Replicas sharing a store share one budget for the key.
        budget=Budget(
            store.window("harness") if store is not None else LocalWindow(clock.monotonic),
            calls=int(settings.harness_rate_limit),
        ),
    )
    metrics.harness_budget_left.set_function(lambda: client.budget.left)
    # Replicas sharing a store make each call once between them.
    shared = SharedFlight(store, clock)
    pipelines = PipelineApi(client, shared)
    default_scope = Scope(settings.harness_default_org, settings.harness_default_project)
    exporter = LogExporter(
        client,
        timeout=settings.harness_export_timeout,
        first_poll=settings.harness_export_poll_interval,
        kept=store,
    )
    redactor = Redactor(settings.secrets())
    exports = Exports(exporter, LinkCache(store, clock) if store is not None else None, shared)
    reader = StepLogReader(
        LogBodies(client, streams, harness_origins=settings.download_origins),
        exports,
        redactor,
        limits=ReadLimits(
            max_bytes=settings.log_read_max_bytes,
            max_decompressed=settings.log_read_max_uncompressed_bytes,
            max_entries=settings.log_read_max_files,
        ),
    )
    # One run list per pipeline serves alerts' history and the last-success comparison.
    histories = RunHistories(pipelines, clock, shared=shared)
    service = LogsService(
        pipelines,
        exports,
        account=settings.harness_account_id,
        default_scope=default_scope,
        ui_hosts=settings.ui_hosts,
        ui_base_url=settings.harness_base_url,
        download_origins=settings.download_origins,
        clock=clock,
        log_reader=reader,
        redactor=redactor,
        excerpts=ExcerptOptions(
            settings=ExcerptSettings(
                before=settings.excerpt_lines_before, tail=settings.excerpt_lines_tail
            ),
            timeout=settings.excerpt_timeout,
            compare_last_success=settings.excerpt_compare_last_success,
        ),
        on_export=metrics.observe_export,
        runs=histories.runs_of,
        shared=shared,
    )
    return HarnessSide(
        http,
        downloads,
        pipelines,
        RetryApi(client),
        service,
        redactor,
        default_scope,
        histories,
        shared,
    )


@dataclass
class SlackSide:
    client: AsyncWebClient
    bolt: AsyncApp
    incidents: Incidents
    access: Access


def slack_side(
    settings: Settings,
    harness: HarnessSide,
    store: Store,
    workers: Workers,
    metrics: Metrics,
    policy: Policy | None,
    clock: Clock,
) -> SlackSide:
    """The Slack client, the Bolt app with every listener, and the incident flow."""
    client = routed(
        AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            retry_handlers=retry_handlers(),
        ),
        settings.slack_api_url,
    )
    signing_secret = settings.slack_signing_secret
    bolt_logger = logging.getLogger("bot.slack.bolt")
    bolt_logger.addFilter(_SameTokenWarning())
    secret = signing_secret.get_secret_value() if signing_secret else ""
    bolt = AsyncApp(
        signing_secret=secret,
        client=client,
        # Bolt's own auth.test would go out on a client of its making, which takes
        # HTTPS_PROXY whatever NO_PROXY says: this one asks through `client`.
        authorize=_bot_authorization(client),
        logger=bolt_logger,
        # Bolt's signature check in its usual place, on the bot's clock (Socket Mode
        # requests are not signed, and come without a secret).
        request_verification_enabled=False,
        before_authorize=ClockedVerification(secret, clock, bolt_logger) if secret else None,
    )
    service = harness.service
    # Posts run as queued work: a 429 comes back at once and the queue waits it out.
    poster = Poster(
        routed(
            AsyncWebClient(
                token=settings.slack_bot_token.get_secret_value(),
                base_url=settings.slack_api_url,
                retry_handlers=retry_handlers(rate_limits=False),
            ),
            settings.slack_api_url,
        ),
        Pacer(clock, settings.slack_post_interval),
        on_error=lambda method, error: metrics.slack_errors.labels(method, error).inc(),
    )
    account = settings.harness_account_id
    directory = SlackDirectory(client, clock)
    private = settings.link_visibility == "requester"
    access = Access(policy, directory.channel_facts, directory.group_members)
    # One record of mutes: set from an alert or a command, read when an alert is routed.
    mutes = Mutes(store, clock)
    subscribed = Subscriptions(
        service, store, account=account, clock=clock, mutes=mutes, access=access
    )
    listeners = register_listeners(
        bolt,
        Listening(
            service=service,
            answers=LogsAnswers(service, access),
            previews=LinkPreviews(service, access),
            triage=Triage(
                subscribed,
                RunRetries(service, harness.retries, store, account=account),
                access,
                account=account,
            ),
            subscriptions=subscribed,
            recent=RecentRequests(store),
            workers=workers,
            access=access,
            client=client,
            poster=poster,
            metrics=metrics,
            clock=clock,
            harness_host=settings.harness_host,
            request_deadline=settings.request_deadline,
            progress_after=settings.command_progress_after,
            private_links=private,
            channels_of=directory.channels_of,
        ),
    )
    incidents = Incidents(
        service,
        store,
        SlackIncidentPosts(poster, private_links=private, user_by_email=directory.user_by_email),
        workers,
        account=account,
        clock=clock,
        mutes=mutes,
        access=access,
        on_broken=metrics.broken_subscriptions.inc,
        histories=harness.histories,
        on_filled=metrics.alerts_filled.inc,
    )
    workers.take_on(*jobs(listeners, incidents))
    return SlackSide(client, bolt, incidents, access)


def jobs(listeners: Listeners, incidents: Incidents) -> tuple[Job, ...]:
    """Every kind of work the queue holds, the lane it waits in and what carries it out:
    the one list of them. People's requests never queue behind alerts, and an alert's
    filling-in (which waits on Harness) never delays the next alert's first post."""
    table = (
        Job(
            WorkKind.COMMAND,
            Lane.INTERACTIVE,
            listeners.commands.run,
            expired=listeners.commands.expired,
        ),
        Job(WorkKind.BUTTON, Lane.INTERACTIVE, listeners.actions.run),
        Job(WorkKind.TRIAGE, Lane.INTERACTIVE, listeners.triage.run),
        Job(WorkKind.UNFURL, Lane.INTERACTIVE, listeners.unfurls.run),
        Job(WorkKind.WEBHOOK, Lane.BACKGROUND, incidents.fan_out),
        Job(WorkKind.INCIDENT_POST, Lane.BACKGROUND, incidents.post),
        Job(WorkKind.INCIDENT_FILL, Lane.FILL, incidents.fill),
    )
    missing = set(WorkKind) - {job.kind for job in table}
    if missing:
        raise RuntimeError(f"no job for work of kind {', '.join(sorted(missing))}")
    return table


def _bot_authorization(client: AsyncWebClient) -> Callable[[], Awaitable[AuthorizeResult]]:
    """Who the bot is, for Bolt (what its single-workspace authorization does): one
    auth.test, through the bot's own client, kept once it answered."""
    known: list[AuthorizeResult] = []

    async def authorize() -> AuthorizeResult:
        if not known:
            answer = await client.auth_test()
            known.append(
                AuthorizeResult.from_auth_test_response(
                    auth_test_response=answer, bot_token=client.token
                )
            )
        return known[0]

    return authorize


class _SameTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the
    client's token wins, or that `authorize` does; it is the same token, so the warning
    only misleads operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token` will be unused" not in message and "will be ignored" not in message


__all__ = ["HarnessSide", "SlackSide", "harness_side", "jobs", "slack_side"]
