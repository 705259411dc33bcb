"""Buttons on the bot's posts and unfurls.

- "Show full excerpt": the longer excerpt of a step, in the message's thread
  (a file when it is longer than messages hold).
- "Step logs" (a failed step of a pipeline post) and "Get logs" (an unfurl):
  that step's or execution's logs post, in the thread of the message.
- "Refresh link": the export again, replacing the message in place (links expire).

Each button carries where its target is (org, project, execution, node), so no
state is kept between a post and a press. Replies go into the thread with
`chat.postMessage`; where the bot is not a member (a private channel or DM
reached through `response_url`), they fall back to the action's `response_url`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain import Excerpt, Lane, LogsLink, NodeRef, Scope, Work
from bot.domain.identifiers import EXECUTION_ID, IDENTIFIER, NODE_ID, whole
from bot.service import ChannelUnavailable, ExecutionTarget, FullExcerpt, LogsService, TargetError
from bot.service.access import Asker
from bot.service.answers import LogsAnswers
from bot.service.workers import Workers
from bot.slack.clients.poster import Poster
from bot.slack.clients.responder import reply_or_log
from bot.slack.views.failures import (
    SHOW_FULL_EXCERPT,
    STEP_LOGS,
    full_excerpt_messages,
    full_excerpt_text,
)
from bot.slack.views.messages import (
    GET_LINK,
    GET_LOGS,
    REFRESH_LINK,
    cannot_accept_message,
    logs_message,
    private_link_message,
    refused_message,
    target_error_message,
)

log = logging.getLogger(__name__)

# Over this many characters of excerpt, a file reads better than a run of messages.
FILE_THRESHOLD = 20_000


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


KIND = "button"
RESPONSE_URL_LIFE = 30 * 60.0


class ActionHandler:
    def __init__(
        self,
        service: LogsService,
        answers: LogsAnswers,
        workers: Workers,
        poster: Poster,
        *,
        private_links: bool = False,
    ) -> None:
        self._private_links = private_links
        self._service = service
        self._answers = answers
        self._workers = workers
        self._poster = poster

    def register(self, app: AsyncApp) -> None:
        """Its Bolt listeners, and the kind of work they record."""
        self._workers.handle(KIND, self._run)
        for action_id in (
            SHOW_FULL_EXCERPT,
            STEP_LOGS,
            GET_LOGS,
            REFRESH_LINK,
            GET_LINK,
        ):
            app.action(action_id)(self.on_press)
        # Link buttons also send an action; acknowledge them so Slack shows no error.
        app.action("download_logs")(self._ack_only)
        app.action("open_execution")(self._ack_only)

    async def _ack_only(self, ack: AsyncAck) -> None:
        await ack()

    async def on_press(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Record the press (so a restart or a fault does not lose it), then acknowledge."""
        if ButtonValue.read(RecordedPress.of_slack(body, action)) is None:
            await ack()
            return
        await record_press(self._workers, KIND, ack, body, action)

    async def _run(self, work: Work) -> None:
        press = RecordedPress.of(work.payload)
        button = ButtonValue.read(press)
        if button is None:
            return
        action_id, asker = press.action_id, press.asker
        channel, thread_ts = press.channel or None, press.thread_ts
        response_url = press.response_url or None
        refused = await self._answers.refusal(asker, button.target.scope)
        if refused is not None:
            if response_url:
                await reply_or_log(response_url, refused_message(refused.rule))
            return
        if action_id == GET_LINK:
            if response_url:
                await self._private_link(button.target, response_url, asker)
        elif action_id == REFRESH_LINK:
            if response_url:
                await self._refresh(button.target, response_url, asker)
        elif action_id == SHOW_FULL_EXCERPT:
            if button.node is not None:
                ref = NodeRef(button.org, button.project, button.execution, button.node)
                await self._post_full_excerpt(ref, channel, thread_ts, response_url)
        else:
            await self._post_logs(button.target, asker, thread_ts, response_url)

    async def _post_logs(
        self,
        target: ExecutionTarget,
        asker: Asker,
        thread_ts: str | None,
        response_url: str | None,
    ) -> None:
        channel, user = asker.channel, asker.user
        try:
            result = await self._answers.logs(asker, target)
        except TargetError as exc:
            if response_url:
                await reply_or_log(
                    response_url, {**target_error_message(exc), "replace_original": False}
                )
            return
        private = self._private_links and isinstance(result.export, LogsLink)
        message = logs_message(result, user, private_link=private)
        if private and response_url:
            await reply_or_log(response_url, private_link_message(result))
        if channel and thread_ts:
            try:
                await self._poster.post(channel, message, thread_ts=thread_ts)
                return
            except ChannelUnavailable:
                pass  # not a member here: the button's response_url still works
        if response_url:
            await _reply_in_thread(response_url, message, thread_ts)

    async def _private_link(self, target: ExecutionTarget, response_url: str, asker: Asker) -> None:
        """Get link: the link to the presser only (the policy has already said yes)."""
        try:
            result = await self._answers.logs(asker, target)
        except TargetError as exc:
            await reply_or_log(
                response_url, {**target_error_message(exc), "replace_original": False}
            )
            return
        await reply_or_log(response_url, private_link_message(result))

    async def _refresh(self, target: ExecutionTarget, response_url: str, asker: Asker) -> None:
        user = asker.user
        try:
            result = await self._answers.logs(asker, target, fresh=True)
        except TargetError as exc:
            await reply_or_log(
                response_url, {**target_error_message(exc), "replace_original": False}
            )
            return
        if self._private_links:
            # The post holds no link to refresh: the new one goes to the presser.
            await reply_or_log(response_url, private_link_message(result))
            return
        note = f"Link refreshed by <@{user}>" if user else "Link refreshed"
        message = {**logs_message(result, None, note=note), "replace_original": True}
        message.pop("response_type", None)
        await reply_or_log(response_url, message)

    async def _post_full_excerpt(
        self, ref: NodeRef, channel: str | None, thread_ts: str | None, response_url: str | None
    ) -> None:
        try:
            full = await self._service.full_excerpt(ref)
        except TargetError as exc:
            if response_url:
                await reply_or_log(
                    response_url, {**target_error_message(exc), "replace_original": False}
                )
            return
        messages = full_excerpt_messages(full)
        long = (
            isinstance(full.failure.excerpt, Excerpt)
            and sum(len(line) for line in full.failure.excerpt.render_lines()) > FILE_THRESHOLD
        )
        if channel and thread_ts:
            try:
                if long:
                    await self._upload(full, channel, thread_ts)
                else:
                    for message in messages:
                        await self._poster.post(channel, message, thread_ts=thread_ts, patient=True)
                return
            except ChannelUnavailable:
                pass  # not a member here: the button's response_url still works
            except SlackApiError as exc:
                log.error("could not post the full excerpt: %s", exc.response.get("error"))
                return
        if response_url:
            # response_url allows five uses: the excerpt gets at most four of them.
            for message in messages[:4]:
                if not await _reply_in_thread(response_url, message, thread_ts):
                    return

    async def _upload(self, full: FullExcerpt, channel: str, thread_ts: str) -> None:
        execution, failure = full.execution, full.failure
        parts = (
            execution.pipeline_identifier,
            str(execution.run_sequence),
            failure.stage_name,
            failure.step_name,
        )
        name = "-".join(part.replace(" ", "_") for part in parts if part)
        await self._poster.upload(
            channel,
            thread_ts,
            content=full_excerpt_text(full),
            filename=f"{name}.log",
            title=f"Log excerpt: {execution.pipeline_name} #{execution.run_sequence}",
        )


async def record_press(
    workers: Workers, kind: str, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
) -> None:
    """Record a press as work of `kind` (a button's value, or a menu's choice), then
    acknowledge it; a press the store cannot take is answered with an apology. The
    trigger id keys the work, so a replayed request acts once."""
    press = RecordedPress.of_slack(body, action)
    trigger = body.get("trigger_id")
    work = Work(
        kind,
        press.payload(),
        deadline=workers.deadline_in(RESPONSE_URL_LIFE),
        lane=Lane.INTERACTIVE,
        key=f"{kind}:{trigger}" if trigger else None,
    )
    try:
        await workers.submit(work)
    except Exception as exc:
        log.error("could not record a %s press: %r", press.action_id, exc)
        await ack()
        if press.response_url:
            await reply_or_log(press.response_url, cannot_accept_message())
        return
    await ack()


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


async def _reply_in_thread(
    response_url: str, message: dict[str, Any], thread_ts: str | None
) -> bool:
    """Post for everyone through a response_url, in the thread when there is one."""
    payload = {**message, "response_type": "in_channel", "replace_original": False}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return await reply_or_log(response_url, payload)
