"""The triage controls of a failure alert: "Retry failed stages" and "Mute here ▾".

A press is recorded as work before Slack gets its acknowledgement (like every
other button), then handed to the triage use case (bot/service/triage.py: the
access policy, the mute, the retry). What happened is said where people look: a
retry in the alert's thread, a mute in the channel, and refusals privately to the
person who pressed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain import Scope, Work, WorkKind
from bot.service.access import Refused
from bot.service.retry_runs import AlreadyRetried, Retried, RetryOutcome
from bot.service.triage import MuteRequest, RetryRequest, Triage
from bot.service.workers import Workers
from bot.slack.clients.poster import Poster
from bot.slack.clients.responder import post_or_reply, reply_or_log
from bot.slack.listeners.records import ButtonValue, MuteChoice, RecordedPress, record_press
from bot.slack.views.action_ids import MUTE, RETRY
from bot.slack.views.replies import refused_message
from bot.slack.views.subscriptions import muted_message
from bot.slack.views.triage import retried_message, retry_refused_message

log = logging.getLogger(__name__)


class TriageHandler:
    def __init__(
        self,
        triage: Triage,
        workers: Workers,
        poster: Poster,
        *,
        on_outcome: Callable[[str, str], None] | None = None,
    ) -> None:
        self._on_outcome = on_outcome or (lambda _action, _outcome: None)
        self._triage = triage
        self._workers = workers
        self._poster = poster

    def register(self, app: AsyncApp) -> None:
        """Its Bolt listeners."""
        app.action(RETRY)(self.on_press)
        app.action(MUTE)(self.on_press)

    async def on_press(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await record_press(self._workers, WorkKind.TRIAGE, ack, body, action)

    async def run(self, work: Work) -> None:
        """A recorded Retry press or Mute choice, carried out."""
        press = RecordedPress.of(work.payload)
        user, channel, response_url = press.user, press.channel, press.response_url
        if press.action_id == MUTE:
            await self._mute(press, user, channel, response_url)
        else:
            await self._retry(press, user, channel, response_url)

    async def _mute(self, press: RecordedPress, user: str, channel: str, response_url: str) -> None:
        try:
            choice = MuteChoice.model_validate_json(press.value)
        except ValidationError:
            log.warning("ignored a mute with a malformed value")
            return
        scope = Scope(choice.org, choice.project)
        outcome = await self._triage.mute(
            MuteRequest(user, channel, scope, choice.pipeline, choice.how)
        )
        if isinstance(outcome, Refused):
            await self._tell(response_url, refused_message(outcome.rule))
            return
        self._on_outcome("mute", choice.how)
        message = muted_message(user, outcome.pipeline_name, outcome.pipeline, outcome.mute)
        await post_or_reply(self._poster, channel, message, response_url, patient=True)

    async def _retry(
        self, press: RecordedPress, user: str, channel: str, response_url: str
    ) -> None:
        button = ButtonValue.read(press)
        if button is None:
            return
        thread_ts = press.thread_ts
        outcome = await self._triage.retry(
            RetryRequest(
                user,
                channel,
                button.target.scope,
                button.execution,
                thread_ts,
            )
        )
        if isinstance(outcome, Refused):
            self._on_outcome("retry", "refused_by_policy")
            await self._tell(response_url, refused_message(outcome.rule))
            return
        self._on_outcome("retry", _outcome_label(outcome))
        if not isinstance(outcome, Retried):
            await self._tell(response_url, retry_refused_message(outcome))
            return
        message = retried_message(user, outcome)
        await post_or_reply(
            self._poster, channel, message, response_url, thread_ts=thread_ts, patient=True
        )

    @staticmethod
    async def _tell(response_url: str, message: dict[str, Any]) -> None:
        """To the person who pressed, leaving the alert as it is."""
        if response_url:
            await reply_or_log(response_url, {**message, "replace_original": False})


def _outcome_label(outcome: RetryOutcome) -> str:
    if isinstance(outcome, Retried):
        return "retried" if outcome.stages else "rerun"
    if isinstance(outcome, AlreadyRetried):
        return "already"
    return f"refused_{outcome.why}"


__all__ = ["TriageHandler"]
