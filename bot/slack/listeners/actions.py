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
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain import Excerpt, LogsLink, NodeRef, Work, WorkKind
from bot.service.access import Asker
from bot.service.answers import LogsAnswers
from bot.service.channels import ChannelUnavailable
from bot.service.logs import LogsService
from bot.service.targets import ExecutionTarget, FullExcerpt, TargetError
from bot.service.workers import Workers
from bot.slack.clients.poster import Poster
from bot.slack.clients.responder import post_or_reply, reply_in_thread, reply_or_log
from bot.slack.listeners.records import ButtonValue, RecordedPress, record_press
from bot.slack.views.action_ids import (
    DOWNLOAD_LOGS,
    GET_LINK,
    GET_LOGS,
    OPEN_EXECUTION,
    REFRESH_LINK,
    SHOW_FULL_EXCERPT,
    STEP_LOGS,
)
from bot.slack.views.failures import full_excerpt_messages, full_excerpt_text
from bot.slack.views.logs import logs_message, private_link_message
from bot.slack.views.replies import refused_message, target_error_message

log = logging.getLogger(__name__)

# Over this many characters of excerpt, a file reads better than a run of messages.
FILE_THRESHOLD = 20_000


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
        """Its Bolt listeners."""
        for action_id in (
            SHOW_FULL_EXCERPT,
            STEP_LOGS,
            GET_LOGS,
            REFRESH_LINK,
            GET_LINK,
        ):
            app.action(action_id)(self.on_press)
        # Link buttons also send an action; acknowledge them so Slack shows no error.
        app.action(DOWNLOAD_LOGS)(self._ack_only)
        app.action(OPEN_EXECUTION)(self._ack_only)

    async def _ack_only(self, ack: AsyncAck) -> None:
        await ack()

    async def on_press(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Record the press (so a restart or a fault does not lose it), then acknowledge."""
        if ButtonValue.read(RecordedPress.of_slack(body, action)) is None:
            await ack()
            return
        await record_press(self._workers, WorkKind.BUTTON, ack, body, action)

    async def run(self, work: Work) -> None:
        """A recorded press, carried out."""
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
            await _not_found(response_url, exc)
            return
        private = self._private_links and isinstance(result.export, LogsLink)
        message = logs_message(result, user, private_link=private)
        if private and response_url:
            await reply_or_log(response_url, private_link_message(result))
        # Without a thread (a press on an ephemeral message) only the presser is told.
        where = channel if thread_ts else None
        await post_or_reply(self._poster, where, message, response_url, thread_ts=thread_ts)

    async def _private_link(self, target: ExecutionTarget, response_url: str, asker: Asker) -> None:
        """Get link: the link to the presser only (the policy has already said yes)."""
        try:
            result = await self._answers.logs(asker, target)
        except TargetError as exc:
            await _not_found(response_url, exc)
            return
        await reply_or_log(response_url, private_link_message(result))

    async def _refresh(self, target: ExecutionTarget, response_url: str, asker: Asker) -> None:
        user = asker.user
        try:
            result = await self._answers.logs(asker, target, fresh=True)
        except TargetError as exc:
            await _not_found(response_url, exc)
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
            await _not_found(response_url, exc)
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
                if not await reply_in_thread(response_url, message, thread_ts):
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


async def _not_found(response_url: str | None, exc: TargetError) -> None:
    """Harness no longer knows what the button names: said to the presser only."""
    if response_url:
        await reply_or_log(response_url, {**target_error_message(exc), "replace_original": False})
