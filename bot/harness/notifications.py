"""Harness's pipeline notifications (a Notify rule's Webhook channel), as Harness
sends them: the body's documented shape (harness-core's `WebhookNotificationEvent`,
built in pipeline-service `NotificationHelper`), validated liberally where that is
safe, and turned into the domain's `PipelineEvent`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from bot.domain import PipelineEvent
from bot.domain.identifiers import ACCOUNT_ID, EXECUTION_ID, IDENTIFIER, whole

__all__ = [
    "EXECUTION_EVENT",
    "HARNESS_EVENTS",
    "MAX_BODY",
    "EventData",
    "WebhookBody",
    "describe_validation",
    "event_label",
    "to_event",
]


MAX_BODY = 1024 * 1024
_EVENT_TYPE = r"^[A-Za-z_]{1,64}$"
EXECUTION_EVENT = re.compile(r"^(?:Pipeline|Stage|Step)[A-Z]")
# The event types Harness sends (harness-core PipelineEventTypeConstants, and the
# trigger's own failure): the metric counts these by name and anything else as
# "other", so a sender cannot grow a label series per request.
HARNESS_EVENTS = frozenset(
    {
        "PipelineStart",
        "PipelineSuccess",
        "PipelineFailed",
        "PipelineEnd",
        "PipelinePaused",
        "PipelineResumed",
        "StageStart",
        "StageSuccess",
        "StageFailed",
        "StepFailed",
        "TriggerFailed",
    }
)


def event_label(event_type: str) -> str:
    """The event type as the metric counts it: one of Harness's, or "other"."""
    return event_type if event_type in HARNESS_EVENTS else "other"


MAX_ERROR_MESSAGE = 10_000
MAX_NAME = 256
MAX_URL = 2048
# Epoch seconds or milliseconds between 2000 and 2100; anything else is not a time.
_EARLIEST, _LATEST = 946_684_800, 4_102_444_800


class TriggeredBy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    email: str | None = None
    trigger_type: str | None = Field(default=None, validation_alias=AliasChoices("triggerType"))

    @field_validator("name", "email", "trigger_type", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return value[:MAX_NAME] if isinstance(value, str) else None


def _cut(text: str, limit: int) -> str:
    """Long free text is shortened, and says so, rather than refused."""
    if len(text) <= limit:
        return text
    return text[:limit] + f" … [cut: {len(text) - limit:,} more characters]"


class EventData(BaseModel):
    """What the bot needs of a notification; liberal wherever that is safe.

    Identifiers must be Harness identifiers (they reach API paths); texts that are
    too long are cut, values that make no sense (a time in the year 10**20, a stage
    id with a slash) are dropped, and event types the bot does not know are kept.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    account_identifier: str = Field(pattern=whole(ACCOUNT_ID))
    org_identifier: str = Field(pattern=whole(IDENTIFIER))
    project_identifier: str = Field(pattern=whole(IDENTIFIER))
    pipeline_identifier: str = Field(pattern=whole(IDENTIFIER))
    plan_execution_id: str | None = Field(default=None, pattern=whole(EXECUTION_ID))
    event_type: str = "Unknown"
    pipeline_name: str | None = None
    execution_url: str | None = None
    node_status: str | None = None
    triggered_by: TriggeredBy | None = None
    start_ts: float | None = None
    end_ts: float | None = None
    error_message: str | None = None
    stage_identifier: str | None = None
    step_identifier: str | None = None

    @field_validator("plan_execution_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("event_type", mode="before")
    @classmethod
    def _event_type(cls, value: Any) -> Any:
        return value if isinstance(value, str) and re.fullmatch(_EVENT_TYPE, value) else "Unknown"

    @field_validator("start_ts", "end_ts", mode="before")
    @classmethod
    def _epoch(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        seconds = number / 1000 if number > _LATEST else number
        return seconds if _EARLIEST <= seconds <= _LATEST else None

    @field_validator("pipeline_name", "node_status", mode="before")
    @classmethod
    def _short_text(cls, value: Any) -> Any:
        return _cut(value, MAX_NAME) if isinstance(value, str) else None

    @field_validator("error_message", mode="before")
    @classmethod
    def _long_text(cls, value: Any) -> Any:
        return _cut(value, MAX_ERROR_MESSAGE) if isinstance(value, str) else None

    @field_validator("execution_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> Any:
        return value if isinstance(value, str) and len(value) <= MAX_URL else None

    @field_validator("stage_identifier", "step_identifier", mode="before")
    @classmethod
    def _identifier(cls, value: Any) -> Any:
        return value if isinstance(value, str) and IDENTIFIER.fullmatch(value) else None

    @field_validator("triggered_by", mode="before")
    @classmethod
    def _trigger(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_data: EventData = Field(validation_alias=AliasChoices("eventData"))


def _when(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def to_event(data: EventData, clean: Callable[[str], str] = str) -> PipelineEvent:
    """The domain event; `clean` makes Harness's free text safe to show (redaction)."""
    trigger = data.triggered_by
    return PipelineEvent(
        account=data.account_identifier,
        org=data.org_identifier,
        project=data.project_identifier,
        pipeline=data.pipeline_identifier,
        plan_execution_id=data.plan_execution_id or "",
        event_type=data.event_type,
        pipeline_name=data.pipeline_name,
        execution_url=data.execution_url,
        node_status=data.node_status,
        triggered_by=(trigger.name or trigger.email) if trigger else None,
        triggered_by_email=trigger.email if trigger else None,
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
