"""`POST /harness/webhook`: Harness pipeline notifications (a Notify rule's Webhook channel).

The shared token comes in `?token=` or `X-Webhook-Token` and is compared in
constant time. The body is validated against the documented shape; unknown
fields are ignored, missing optional ones tolerated. A valid notification is
recorded in the durable work queue and answered 202, so Harness never waits on
Slack and nothing accepted is lost; when it cannot be recorded the answer is 503,
which Harness retries.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from bot.clock import Clock
from bot.domain import PipelineEvent
from bot.harness.notifications import (
    EXECUTION_EVENT,
    MAX_BODY,
    WebhookBody,
    describe_validation,
    event_label,
    to_event,
)

log = logging.getLogger(__name__)

__all__ = ["WebhookReceiver"]


class WebhookReceiver:
    def __init__(
        self,
        token: str,
        accept: Callable[[PipelineEvent], Awaitable[bool]],
        clock: Clock,
        clean: Callable[[str], str] = str,
        on_outcome: Callable[[str, str], None] | None = None,
    ) -> None:
        self._clean = clean
        self._clock = clock
        self._token = token.encode()
        self._accept = accept
        self._on_outcome = on_outcome or (lambda _event, _outcome: None)

    async def receive(self, request: web.Request) -> web.Response:
        response = await self._receive(request)
        if response.status >= 400 and response.status != 503:
            self._on_outcome("unknown", "refused")
        return response

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.query.get("token") or request.headers.get("X-Webhook-Token") or ""
        if not hmac.compare_digest(given.encode(), self._token):
            return _answer(401, "missing or wrong webhook token")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _answer(413, "body larger than 1 MB")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _answer(413, "body larger than 1 MB")
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _answer(400, "body is not JSON")
        try:
            body = WebhookBody.model_validate(payload)
        except ValidationError as exc:
            return _answer(400, describe_validation(exc))
        event = to_event(body.event_data, self._clean)
        if not event.plan_execution_id:
            if EXECUTION_EVENT.match(event.event_type):
                return _answer(
                    400, "not a Harness notification: eventData.planExecutionId is missing"
                )
            # TriggerFailed and other events about no execution: noted, nothing to post.
            self._on_outcome(event_label(event.event_type), "noted")
            log.info(
                "webhook %s for %s/%s/%s noted (no execution to act on)",
                event.event_type,
                event.org,
                event.project,
                event.pipeline,
            )
            return _answer(202, "accepted")
        started = self._clock.monotonic()
        try:
            added = await self._accept(event)
        except Exception as exc:
            # Not recorded, so not accepted: Harness retries a 5xx.
            log.error("could not record a notification: %r", exc)
            self._on_outcome(event_label(event.event_type), "unrecorded")
            return _answer(503, "could not record the notification; try again")
        outcome = "accepted" if added else "duplicate"
        self._on_outcome(event_label(event.event_type), outcome)
        log.info(
            "webhook %s for %s/%s/%s execution %s: %s",
            event.event_type,
            event.org,
            event.project,
            event.pipeline,
            event.plan_execution_id,
            outcome,
            extra={
                "request_id": f"webhook:{event.plan_execution_id}:{event.event_type}",
                "event": event.event_type,
                "pipeline": f"{event.org}/{event.project}/{event.pipeline}",
                "outcome": outcome,
                "duration_s": round(self._clock.monotonic() - started, 4),
            },
        )
        return _answer(202, "accepted")


def _answer(status: int, message: str) -> web.Response:
    key = "status" if status == 202 else "error"
    return web.json_response({key: message}, status=status)
