"""The HTTP server's routes: Slack requests, Harness webhooks, health, readiness, metrics.

`POST /slack/events` exists in http mode only (Socket Mode brings Slack's traffic
over a websocket); the webhook route exists when a webhook token is set.
"""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.metrics import Metrics
from bot.readiness import Readiness
from bot.webhooks import WebhookReceiver

MAX_BODY = 1024 * 1024


def web_app(
    *,
    bolt: AsyncApp | None,
    webhooks: WebhookReceiver | None,
    readiness: Readiness,
    metrics: Metrics,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    if bolt is not None:

        async def slack_events(request: web.Request) -> web.Response:
            bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(bolt_response)

        app.router.add_post("/slack/events", slack_events)
    if webhooks is not None:
        app.router.add_post("/harness/webhook", webhooks.receive)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        status, checks = await readiness.status()
        body = {"status": "ready" if status == 200 else "not ready", **checks}
        return web.json_response(body, status=status)

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"content-type": Metrics.content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


__all__ = ["MAX_BODY", "web_app"]
