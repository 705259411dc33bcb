"""What the queue keeps of a person's request in Slack, and reading it back.

A slash command or a button press is recorded as work before Slack gets its
acknowledgement; these records are the fields of Slack's request the bot uses,
named as Slack names them, so work queued by another version of the bot reads the
same. The values the bot's own buttons and menus carry come back from Slack as
outside input and are checked like any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.async_app import AsyncAck

from bot.domain import Scope, Work, WorkKind
from bot.domain.identifiers import EXECUTION_ID, IDENTIFIER, NODE_ID, whole
from bot.service.access import Asker
from bot.service.targets import ExecutionTarget
from bot.service.workers import Workers
from bot.slack.clients.responder import reply_or_log
from bot.slack.views.replies import cannot_accept_message

log = logging.getLogger(__name__)

# A response_url takes replies for 30 minutes: the deadline of work answered through one.
RESPONSE_URL_LIFE = 30 * 60.0


@dataclass(frozen=True)
class RecordedCommand:
    """A slash command as its queued work keeps it: the fields the bot uses, named as
    Slack names them (so work queued by another version of the bot reads the same)."""

    text: str
    user: str
    channel: str
    response_url: str
    trigger_id: str
    channel_name: str = ""

    @classmethod
    def of(cls, fields: dict[str, Any]) -> RecordedCommand:
        """From Slack's command payload or from queued work (the same names)."""

        def get(name: str) -> str:
            return str(fields.get(name) or "")

        return cls(
            text=get("text"),
            user=get("user_id"),
            channel=get("channel_id"),
            response_url=get("response_url"),
            trigger_id=get("trigger_id"),
            channel_name=get("channel_name"),
        )

    def payload(self) -> dict[str, str]:
        return {
            "text": self.text,
            "user_id": self.user,
            "channel_id": self.channel,
            "response_url": self.response_url,
            "trigger_id": self.trigger_id,
            "channel_name": self.channel_name,
        }

    @property
    def asker(self) -> Asker:
        return Asker(self.user, self.channel)

    def log_fields(self) -> dict[str, str]:
        return {
            "request_id": self.trigger_id,
            "user": self.user,
            "channel": self.channel,
            "command": self.text[:200],
        }


@dataclass(frozen=True)
class RecordedPress:
    """A button press or menu choice as its queued work keeps it (named as before, so
    work queued by another version of the bot reads the same)."""

    action_id: str
    value: str
    user: str
    channel: str
    thread_ts: str | None
    response_url: str

    @classmethod
    def of_slack(cls, body: dict[str, Any], action: dict[str, Any]) -> RecordedPress:
        channel, thread_ts = where_pressed(body)
        return cls(
            action_id=str(action.get("action_id") or ""),
            value=str(
                action.get("value") or (action.get("selected_option") or {}).get("value") or ""
            ),
            user=str((body.get("user") or {}).get("id") or ""),
            channel=channel or "",
            thread_ts=thread_ts,
            response_url=str(body.get("response_url") or ""),
        )

    @classmethod
    def of(cls, payload: dict[str, Any]) -> RecordedPress:
        def get(name: str) -> str:
            return str(payload.get(name) or "")

        thread_ts = payload.get("thread_ts")
        return cls(
            action_id=get("action_id"),
            value=get("value"),
            user=get("user"),
            channel=get("channel"),
            thread_ts=str(thread_ts) if thread_ts else None,
            response_url=get("response_url"),
        )

    def payload(self) -> dict[str, str | None]:
        return {
            "action_id": self.action_id,
            "value": self.value,
            "channel": self.channel or None,
            "thread_ts": self.thread_ts,
            "response_url": self.response_url or None,
            "user": self.user or None,
        }

    @property
    def asker(self) -> Asker:
        return Asker(self.user, self.channel)


class ButtonValue(BaseModel):
    """A button's value, checked like any outside input."""

    model_config = ConfigDict(extra="ignore")

    org: str = Field(alias="o", pattern=whole(IDENTIFIER), max_length=128)
    project: str = Field(alias="p", pattern=whole(IDENTIFIER), max_length=128)
    execution: str = Field(alias="e", pattern=whole(EXECUTION_ID), max_length=64)
    node: str | None = Field(default=None, alias="n", pattern=whole(NODE_ID), max_length=128)

    @classmethod
    def read(cls, press: RecordedPress) -> ButtonValue | None:
        try:
            return cls.model_validate_json(press.value)
        except ValidationError:
            log.warning("ignored a %s press with a malformed value", press.action_id)
            return None

    @property
    def target(self) -> ExecutionTarget:
        return ExecutionTarget(Scope(self.org, self.project), self.execution, self.node)


class MuteChoice(BaseModel):
    """A mute menu option's value, checked like any outside input."""

    model_config = ConfigDict(extra="ignore")

    org: str = Field(alias="o", pattern=whole(IDENTIFIER), max_length=128)
    project: str = Field(alias="p", pattern=whole(IDENTIFIER), max_length=128)
    pipeline: str = Field(alias="pl", pattern=whole(IDENTIFIER), max_length=128)
    how: Literal["1h", "24h", "recovery"] = Field(alias="m")


async def record(
    workers: Workers, kind: WorkKind, payload: dict[str, Any], trigger: str | None
) -> bool | None:
    """Queue a person's request as work of `kind`, answered through its response_url
    (so it may take as long as that lives). Slack's trigger id keys it, so a replayed
    or retried request is the same work, done once. True when recorded, False when
    seen before, None when the store cannot take it (logged)."""
    work = Work(
        kind,
        payload,
        deadline=workers.deadline_in(RESPONSE_URL_LIFE),
        key=f"{kind}:{trigger}" if trigger else None,
    )
    try:
        return await workers.submit(work)
    except Exception as exc:
        log.error("could not record a %s: %r", kind, exc)
        return None


async def record_press(
    workers: Workers, kind: WorkKind, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
) -> None:
    """Record a press as work of `kind` (a button's value, or a menu's choice), then
    acknowledge it; a press the store cannot take is answered with an apology."""
    press = RecordedPress.of_slack(body, action)
    recorded = await record(workers, kind, press.payload(), body.get("trigger_id"))
    await ack()
    if recorded is None and press.response_url:
        await reply_or_log(press.response_url, cannot_accept_message())


def where_pressed(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Where to answer a press: the pressed message's channel and thread (for an
    unfurl, the thread of the message that held the link)."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread_ts = (
        message.get("thread_ts")
        or message.get("ts")
        or container.get("thread_ts")
        or container.get("message_ts")
    )
    return channel, thread_ts


__all__ = [
    "RESPONSE_URL_LIFE",
    "ButtonValue",
    "MuteChoice",
    "RecordedCommand",
    "RecordedPress",
    "record",
    "record_press",
    "where_pressed",
]
