"""`POST /harness/webhook`: Harness pipeline notifications (a Notify rule's Webhook channel).

The shared token comes in `?token=` or `X-Webhook-Token` and is compared in
constant time. The body is validated against the documented shape; unknown
fields are ignored, missing optional ones tolerated. A valid notification is
answered 202 at once and handled afterwards, so Harness never waits on Slack.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from bot.domain import PipelineEvent
from bot.domain.identifiers import ACCOUNT_ID, EXECUTION_ID, IDENTIFIER, whole
from bot.jobs import JobRunner

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
_EVENT_TYPE = r"^[A-Za-z_]{1,64}$"


class TriggeredBy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    email: str | None = None
    trigger_type: str | None = Field(default=None, validation_alias=AliasChoices("triggerType"))


class EventData(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    account_identifier: str = Field(pattern=whole(ACCOUNT_ID))
    org_identifier: str = Field(pattern=whole(IDENTIFIER))
    project_identifier: str = Field(pattern=whole(IDENTIFIER))
    pipeline_identifier: str = Field(pattern=whole(IDENTIFIER))
    plan_execution_id: str = Field(pattern=whole(EXECUTION_ID))
    event_type: str = Field(pattern=_EVENT_TYPE)
    pipeline_name: str | None = Field(default=None, max_length=256)
    execution_url: str | None = Field(default=None, max_length=2048)
    node_status: str | None = Field(default=None, max_length=64)
    triggered_by: TriggeredBy | None = None
    start_ts: int | None = None
    end_ts: int | None = None
    error_message: str | None = Field(default=None, max_length=10_000)
    stage_identifier: str | None = Field(default=None, pattern=whole(IDENTIFIER))
    step_identifier: str | None = Field(default=None, pattern=whole(IDENTIFIER))

    @field_validator("start_ts", "end_ts", mode="before")
    @classmethod
    def _number_or_none(cls, value: Any) -> Any:
        return (
            value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
        )


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_data: EventData = Field(validation_alias=AliasChoices("eventData"))


def _when(value: int | None) -> datetime | None:
    """Notifications carry epoch seconds; the pipeline API milliseconds. Accept both."""
    if value is None:
        return None
    seconds = value / 1000 if value > 10**11 else value
    return datetime.fromtimestamp(seconds, tz=UTC)


def to_event(data: EventData, clean: Callable[[str], str] = str) -> PipelineEvent:
    """The domain event; `clean` makes Harness's free text safe to show (redaction)."""
    trigger = data.triggered_by
    return PipelineEvent(
        account=data.account_identifier,
        org=data.org_identifier,
        project=data.project_identifier,
        pipeline=data.pipeline_identifier,
        plan_execution_id=data.plan_execution_id,
        event_type=data.event_type,
        pipeline_name=data.pipeline_name,
        execution_url=data.execution_url,
        node_status=data.node_status,
        triggered_by=(trigger.name or trigger.email) if trigger else None,
        trigger_type=trigger.trigger_type if trigger else None,
        started_at=_when(data.start_ts),
        ended_at=_when(data.end_ts),
        error_message=clean(data.error_message) if data.error_message else None,
        stage=data.stage_identifier,
        step=data.step_identifier,
    )


def describe_validation(exc: ValidationError) -> str:
    """One line naming the first problem, without echoing the input."""
    error = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"not a Harness notification: {where} is missing"
    return f"not a Harness notification: {where}: {error['msg']}"


class WebhookReceiver:
    def __init__(
        self,
        token: str,
        handle: Callable[[PipelineEvent], Coroutine[Any, Any, None]],
        jobs: JobRunner,
        clean: Callable[[str], str] = str,
    ) -> None:
        self._clean = clean
        self._token = token.encode()
        self._handle = handle
        self._jobs = jobs

    async def receive(self, request: web.Request) -> web.Response:
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
        except (ValueError, UnicodeDecodeError):
            return _answer(400, "body is not JSON")
        try:
            body = WebhookBody.model_validate(payload)
        except ValidationError as exc:
            return _answer(400, describe_validation(exc))
        event = to_event(body.event_data, self._clean)
        log.info(
            "webhook %s for %s/%s/%s execution %s",
            event.event_type,
            event.org,
            event.project,
            event.pipeline,
            event.plan_execution_id,
        )
        self._jobs.spawn(
            self._handle(event), name=f"webhook:{event.plan_execution_id}:{event.event_type}"
        )
        return _answer(202, "accepted")


def _answer(status: int, message: str) -> web.Response:
    key = "status" if status == 202 else "error"
    return web.json_response({key: message}, status=status)
