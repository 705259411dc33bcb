"""The HTTP server's routes: Slack requests, Harness webhooks, health, readiness, metrics.

`POST /slack/events` exists in http mode only (Socket Mode brings Slack's traffic
over a websocket); the webhook route exists when a webhook token is set. The
probes and metrics are on the same server, or with `HEALTH_PORT` on a server of
their own (`health_app`), so the public port exposes only what Slack and Harness
post to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.metrics import Metrics
from bot.readiness import Readiness
from bot.slack.clients.requests import Refused, SlackRequests
from bot.webhooks import WebhookReceiver

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


class Arrivals:
    """Requests being acknowledged right now, so new work can let them go first.

    Slack gives an acknowledgement 3 s and Harness's webhook a few: in a burst, the
    loop's time goes to answering the requests already here before work starts on
    what they asked for. Work waits at most `longest` for a quiet moment, so a steady
    stream of requests never starves it.
    """

    def __init__(self, longest: float = 0.25) -> None:
        self._longest = longest
        self._count = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method != "POST":  # probes and metrics wait for nobody
            probe: web.StreamResponse = await handler(request)
            return probe
        self._count += 1
        self._quiet.clear()
        try:
            response: web.StreamResponse = await handler(request)
            return response
        finally:
            self._count -= 1
            if self._count == 0:
                self._quiet.set()

    @property
    def in_flight(self) -> int:
        return self._count

    async def quiet(self) -> None:
        """Return once no request is being acknowledged (or after `longest`)."""
        if self._count:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self._longest)


def web_app(
    *,
    bolt: AsyncApp | None,
    slack_requests: SlackRequests | None,
    webhooks: WebhookReceiver | None,
    readiness: Readiness | None,
    metrics: Metrics,
    arrivals: Arrivals | None = None,
) -> web.Application:
    """The public server; with `readiness` None the probes are left to `health_app`."""
    middlewares = [arrivals.middleware] if arrivals is not None else []
    app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares)
    if bolt is not None and slack_requests is not None:

        async def slack_events(request: web.Request) -> web.Response:
            raw = await request.read()
            headers = {k.lower(): v for k, v in request.headers.items()}
            checked = await slack_requests.check(headers, raw)
            if isinstance(checked, Refused):
                log.info("refused a request on /slack/events: %s", checked.reason)
                return web.json_response({"error": checked.reason}, status=checked.status)
            if checked.replay:
                log.warning("a signed Slack request was replayed; answered once already")
                return web.Response(status=200)
            bolt_request = AsyncBoltRequest(
                body=checked.body,
                query=request.query_string,
                headers={k: [v] for k, v in headers.items()},
            )
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

        app.router.add_post("/slack/events", slack_events)
    if webhooks is not None:
        app.router.add_post("/harness/webhook", webhooks.receive)
    if readiness is not None:
        _add_probes(app, readiness, metrics)
    return app


def health_app(readiness: Readiness, metrics: Metrics) -> web.Application:
    """Probes and metrics alone, for an internal port."""
    app = web.Application(client_max_size=1024)
    _add_probes(app, readiness, metrics)
    return app


def _add_probes(app: web.Application, readiness: Readiness, metrics: Metrics) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        status, checks = await readiness.status()
        body = {"status": "ready" if status == 200 else "not ready", **checks}
        return web.json_response(body, status=status)

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(
            body=await metrics.render(), headers={"content-type": Metrics.content_type}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)


__all__ = ["MAX_BODY", "health_app", "web_app"]
