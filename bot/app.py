"""One bot process: builds its parts (bot/wiring.py), serves them (bot/web.py),
connects Socket Mode when asked, and shuts down in order.

The aiohttp server always serves health, readiness and metrics; in http mode it
also serves `POST /slack/events`; in socket mode Slack traffic arrives over the
Socket Mode websocket instead.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Mode, Settings, StartupError
from bot.domain import Lane
from bot.excerpt import clean_message, warm_up
from bot.metrics import Metrics
from bot.proxies import proxy_for, routed
from bot.readiness import Readiness
from bot.service.policy import Policy, load_policy
from bot.service.workers import Workers
from bot.slack.clients.requests import SlackRequests
from bot.store import Store, open_store
from bot.web import Arrivals, health_app, web_app
from bot.webhooks import WebhookReceiver
from bot.wiring import harness_side, slack_side

log = logging.getLogger(__name__)

REPLAY_WINDOW = 600.0  # seconds: past Slack's five minutes, a replay is refused as stale


class BotApp:
    def __init__(
        self,
        settings: Settings,
        mode: Mode,
        store: Store,
        clock: Clock,
        policy: Policy | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.mode = mode
        self.store = store
        self.metrics = Metrics()
        self.arrivals = Arrivals()
        self.workers = Workers(
            store,
            {
                Lane.INTERACTIVE: settings.max_concurrent_jobs,
                Lane.BACKGROUND: settings.max_concurrent_jobs,
                Lane.FILL: settings.max_concurrent_jobs,
            },
            clock=clock,
            poll=settings.work_poll_interval,
            first_retry=settings.work_retry_initial_delay,
            lease=settings.work_lease,
            on_wait=lambda lane, seconds: self.metrics.queue_wait.labels(lane).observe(seconds),
            yield_to=self.arrivals.quiet,
        )
        # Read when scraped, so the gauge is exactly the workers' count.
        self.metrics.jobs_in_flight.set_function(lambda: self.workers.in_flight)
        self.metrics.before_render.append(self._queue_metrics)
        self.harness = harness_side(settings, self.metrics, store, clock)
        self.slack = slack_side(
            settings, self.harness, store, self.workers, self.metrics, policy, clock
        )
        self.access = self.slack.access
        self.bolt = self.slack.bolt
        # A probe is one call: retrying inside it only delays the answer.
        slack_probe = routed(
            AsyncWebClient(
                token=settings.slack_bot_token.get_secret_value(),
                base_url=settings.slack_api_url,
                retry_handlers=[],
            ),
            settings.slack_api_url,
        )
        # Ready means this replica can record work (its store answers); Slack and
        # Harness outages are reported but keep it in the Service, so that requests
        # are queued rather than refused at the load balancer (bot/readiness.py).
        self.readiness = Readiness(
            required={"store": store.ping},
            reported={
                "slack": slack_probe.auth_test,
                "harness": partial(self.harness.pipelines.probe, self.harness.default_scope),
            },
            clock=clock,
            on_check=lambda name, up: self.metrics.dependency_up.labels(name).set(int(up)),
        )
        token = settings.harness_webhook_token
        webhooks = (
            WebhookReceiver(
                token.get_secret_value(),
                self.slack.incidents.accept,
                clock,
                clean=partial(clean_message, redactor=self.harness.redactor),
                on_outcome=lambda event, outcome: self.metrics.webhooks.labels(
                    event, outcome
                ).inc(),
            )
            if token is not None
            else None
        )
        signing = settings.slack_signing_secret
        slack_requests = (
            SlackRequests(
                signing.get_secret_value(),
                lambda signature: store.claim(f"signed:{signature}", REPLAY_WINDOW),
                clock,
            )
            if signing is not None
            else None
        )
        self.web = web_app(
            bolt=self.bolt if mode == "http" else None,
            slack_requests=slack_requests,
            webhooks=webhooks,
            readiness=None if settings.health_port is not None else self.readiness,
            metrics=self.metrics,
            arrivals=self.arrivals,
        )
        self._runner: web.AppRunner | None = None
        self._health: web.AppRunner | None = None
        self.health_port: int | None = None
        self._socket: AsyncSocketModeHandler | None = None

    @classmethod
    async def create(cls, settings: Settings, mode: Mode, clock: Clock) -> BotApp:
        """Read the access policy, open the store (creating and migrating it as needed),
        then build the app, every part reading time from `clock`. A policy file that
        cannot be used raises `PolicyError`."""
        policy = None
        if settings.access_policy_file:
            policy = load_policy(settings.access_policy_file)
            log.info("access policy from %s", settings.access_policy_file)
        else:
            log.warning(
                "no ACCESS_POLICY_FILE: every channel may read every project the Harness key can"
            )
        # The failure rules compile once per process; do it now, off the loop.
        await asyncio.to_thread(warm_up)
        store = await open_store(settings.bot_store_url, clock)
        return cls(settings, mode, store, clock, policy)

    def reload_policy(self) -> None:
        """SIGHUP: read the policy file again (an invalid one keeps the current policy)."""
        if self.settings.access_policy_file:
            self.access.reload(self.settings.access_policy_file)
        else:
            log.info("SIGHUP: no ACCESS_POLICY_FILE to reload")

    async def start(self, host: str, port: int) -> int:
        """Serve HTTP (and connect Socket Mode); returns the bound port."""
        self._runner = web.AppRunner(
            self.web, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = _bound_port(self._runner, port)
        if self.settings.health_port is not None:
            self._health = web.AppRunner(
                health_app(self.readiness, self.metrics), access_log=None, handle_signals=False
            )
            await self._health.setup()
            await web.TCPSite(self._health, host, self.settings.health_port).start()
            self.health_port = _bound_port(self._health, self.settings.health_port)
            log.info("probes and metrics on %s:%d", host, self.health_port)
        if self.mode == "socket":
            await self._connect_socket()
        self.workers.start()
        log.info("harness-logs listening on %s:%d in %s mode", host, bound, self.mode)
        return bound

    async def idle(self) -> None:
        """Until no work runs and the work queue is empty (for tests and benchmarks)."""
        await self.workers.idle()

    async def _connect_socket(self) -> None:
        app_token = self.settings.slack_app_token
        assert app_token is not None
        token = app_token.get_secret_value()
        # Asked once first, so a wrong or revoked token stops start-up with a clear line
        # instead of a reconnect loop.
        api = self.settings.slack_api_url
        probe = routed(AsyncWebClient(base_url=api), api)
        try:
            await probe.apps_connections_open(app_token=token)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else "refused"
            if error in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
                raise StartupError(f"SLACK_APP_TOKEN: Slack refused it ({error})") from None
            raise
        # The websocket's URL comes from the Web API (apps.connections.open): it takes
        # the same way out as the API.
        self._socket = AsyncSocketModeHandler(
            self.bolt, token, web_client=self.slack.client, proxy=proxy_for(api)
        )
        routed(self._socket.client, api)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        socket = self._socket

        async def connected() -> None:
            if not await socket.client.is_connected():
                raise ConnectionError("the Socket Mode connection is down")

        # Reported, not required: Slack hands this replica's events to the workspace's
        # other connections while it reconnects, and webhooks still arrive.
        self.readiness.report("socket", connected)

    async def _queue_metrics(self) -> None:
        """The queue as every replica sees it: its backlog and oldest due work per lane."""
        now = self.clock.time()
        for lane in Lane:
            try:
                backlog, oldest = await self.store.queued(lane), await self.store.oldest(lane)
            except Exception as exc:  # the store's own readiness check says it is down
                log.warning("queue metrics unavailable: %r", exc)
                return
            self.metrics.queue_backlog.labels(lane.value).set(backlog)
            self.metrics.queue_oldest.labels(lane.value).set(
                max(0.0, now - oldest) if oldest is not None else 0.0
            )

    async def stop(self) -> None:
        # Not ready from the first moment, so no new traffic is sent here while draining;
        # what still arrives is recorded in the queue for the next process.
        self.readiness.stopping = True
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.workers.stop(self.settings.shutdown_grace)
        for runner in (self._runner, self._health):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._health = None
        await self.harness.close()
        await self.store.close()
        log.info("harness-logs stopped")


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
