"""Builds the bot: settings -> Harness client, service, Bolt app and web server.

One `BotApp` per process. The aiohttp server always serves health, readiness
and metrics; in http mode it also serves `POST /slack/events`; in socket mode
Slack traffic arrives over the Socket Mode websocket instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from functools import partial

import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Mode, Settings
from bot.domain import Scope
from bot.excerpt import ExcerptSettings, ReadLimits, clean_message, warm_up
from bot.harness.client import HarnessClient, RetryPolicy
from bot.harness.executions import PipelineApi
from bot.harness.logs import LogExporter
from bot.harness.streaming import StreamOpener
from bot.jobs import JobRunner
from bot.metrics import Metrics
from bot.redaction import Redactor
from bot.service import (
    Deliveries,
    ExcerptOptions,
    Incidents,
    LogsService,
    StepLogReader,
    Subscriptions,
)
from bot.slack.actions import ActionHandler
from bot.slack.commands import CommandHandler
from bot.slack.events import UnfurlHandler
from bot.slack.notifier import SlackIncidentPosts
from bot.slack.poster import Poster
from bot.slack.subscriptions import SubscriptionHandler
from bot.store import Store, open_store
from bot.tls import client_context
from bot.webhooks import WebhookReceiver

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SHUTDOWN_GRACE = 20.0
READINESS_TTL = 5.0
PROBE_TIMEOUT = 5.0


class BotApp:
    def __init__(self, settings: Settings, mode: Mode, store: Store) -> None:
        self.settings = settings
        self.mode = mode
        self.store = store
        self.metrics = Metrics()
        self.jobs = JobRunner(settings.max_concurrent_jobs)
        # Read when scraped, so the gauge is exactly the runner's count.
        self.metrics.jobs_in_flight.set_function(lambda: self.jobs.in_flight)
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.harness_request_timeout, connect=10.0),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            follow_redirects=False,
            verify=client_context(),
        )
        # Log bodies stream through aiohttp (see bot/harness/streaming.py).
        self.downloads = StreamOpener.new_session(settings.harness_request_timeout)
        streams = StreamOpener(self.downloads, settings.harness_request_timeout)
        self.harness = HarnessClient(
            self.http,
            streams=streams,
            base_url=settings.harness_base_url,
            api_key=settings.harness_api_key.get_secret_value(),
            account_id=settings.harness_account_id,
            retry=RetryPolicy(
                deadline=settings.harness_retry_deadline,
                initial_delay=settings.harness_retry_initial_delay,
            ),
            secrets=tuple(settings.secrets()),
            on_request=self.metrics.count_harness_request,
        )
        self.pipelines = PipelineApi(self.harness)
        self.default_scope = Scope(settings.harness_default_org, settings.harness_default_project)
        exporter = LogExporter(
            self.harness,
            timeout=settings.harness_export_timeout,
            first_poll=settings.harness_export_poll_interval,
        )
        redactor = self.redactor = Redactor(settings.secrets())
        reader = StepLogReader(
            self.harness,
            streams,
            exporter,
            redactor,
            harness_host=settings.harness_host,
            limits=ReadLimits(
                max_bytes=settings.log_read_max_bytes,
                max_decompressed=settings.log_read_max_uncompressed_bytes,
                max_entries=settings.log_read_max_files,
            ),
        )
        self.service = LogsService(
            self.pipelines,
            exporter,
            account=settings.harness_account_id,
            default_scope=self.default_scope,
            ui_hosts=settings.ui_hosts,
            ui_base_url=settings.harness_base_url,
            log_reader=reader,
            redactor=redactor,
            excerpts=ExcerptOptions(
                settings=ExcerptSettings(
                    before=settings.excerpt_lines_before, tail=settings.excerpt_lines_tail
                ),
                timeout=settings.excerpt_timeout,
                compare_last_success=settings.excerpt_compare_last_success,
            ),
            on_export=self.metrics.observe_export,
        )
        self.slack_client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                AsyncServerErrorRetryHandler(max_retry_count=2),
            ],
        )
        signing_secret = settings.slack_signing_secret
        bolt_logger = logging.getLogger("bot.slack.bolt")
        bolt_logger.addFilter(_SameTokenWarning())
        self.bolt = AsyncApp(
            signing_secret=signing_secret.get_secret_value() if signing_secret else "",
            client=self.slack_client,
            logger=bolt_logger,
        )
        self.poster = Poster(self.slack_client)
        subscriptions = SubscriptionHandler(
            Subscriptions(self.service, store, account=settings.harness_account_id),
            self.poster,
        )
        CommandHandler(self.service, self.jobs, self.metrics, subscriptions).register(self.bolt)
        ActionHandler(self.service, self.jobs, self.poster).register(self.bolt)
        UnfurlHandler(self.service, Deliveries(store), self.slack_client, self.jobs).register(
            self.bolt
        )
        self.notifier = Incidents(
            self.service,
            store,
            SlackIncidentPosts(self.poster),
            account=settings.harness_account_id,
        )
        self.web = self._build_web()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._readiness: tuple[float, int, dict[str, str]] | None = None

    @classmethod
    async def create(cls, settings: Settings, mode: Mode) -> BotApp:
        """Open the store (creating and migrating it as needed), then build the app."""
        # The failure rules compile once per process; do it now, off the loop.
        await asyncio.to_thread(warm_up)
        return cls(settings, mode, await open_store(settings.bot_store_url))

    # -- lifecycle ----------------------------------------------------------

    async def start(self, host: str, port: int) -> int:
        """Serve HTTP (and connect Socket Mode); returns the bound port."""
        self._runner = web.AppRunner(
            self.web, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = _bound_port(self._runner, port)
        if self.mode == "socket":
            app_token = self.settings.slack_app_token
            assert app_token is not None
            self._socket = AsyncSocketModeHandler(
                self.bolt, app_token.get_secret_value(), web_client=self.slack_client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("harness-logs listening on %s:%d in %s mode", host, bound, self.mode)
        return bound

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.jobs.drain(SHUTDOWN_GRACE)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.http.aclose()
        await self.downloads.close()
        await self.store.close()
        log.info("harness-logs stopped")

    # -- HTTP ---------------------------------------------------------------

    def _build_web(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        if self.mode == "http":
            app.router.add_post("/slack/events", self._slack_events)
        token = self.settings.harness_webhook_token
        if token is not None:
            receiver = WebhookReceiver(
                token.get_secret_value(),
                self.notifier.handle,
                self.jobs,
                clean=partial(clean_message, redactor=self.redactor),
            )
            app.router.add_post("/harness/webhook", receiver.receive)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def _slack_events(self, request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await self.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        status, checks = await self.readiness()
        return web.json_response(
            {"status": "ready" if status == 200 else "not ready", **checks}, status=status
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.render(), headers={"content-type": Metrics.content_type}
        )

    async def readiness(self) -> tuple[int, dict[str, str]]:
        """Slack and Harness reachable with our credentials; cached briefly."""
        now = time.monotonic()
        if self._readiness and now - self._readiness[0] < READINESS_TTL:
            return self._readiness[1], self._readiness[2]
        slack, harness, store = await asyncio.gather(
            self._check_slack(), self._check_harness(), self._check_store()
        )
        checks = {"slack": slack, "harness": harness, "store": store}
        status = 200 if all(v == "ok" for v in checks.values()) else 503
        self._readiness = (now, status, checks)
        return status, checks

    async def _check_slack(self) -> str:
        return await _probe("Slack", self.slack_client.auth_test())

    async def _check_store(self) -> str:
        return await _probe("store", self.store.ping())

    async def _check_harness(self) -> str:
        return await _probe("Harness", self.pipelines.probe(self.default_scope))


async def _probe(name: str, check: Awaitable[object]) -> str:
    """ "ok", or "error: <kind>" (never a message that could carry a secret)."""
    try:
        await asyncio.wait_for(check, PROBE_TIMEOUT)
    except Exception as exc:  # any failure means "not ready"; the reason is logged
        log.warning("readiness: %s check failed: %s", name, type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"


class _SameTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the
    client's token wins; it is the same token, so the warning only misleads operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
