"""The `/harness-logs` slash command: acknowledge at once, then do the work.

Mistakes are answered in the acknowledgement itself (ephemeral, nothing
fetched). Everything that talks to Harness runs as a background job after
`ack()`, and its result goes back through the command's `response_url`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain import LogsLink
from bot.jobs import JobRunner
from bot.metrics import Metrics
from bot.service import LogsService, Target, TargetError, UrlTarget
from bot.slack import blocks
from bot.slack.grammar import (
    CommandError,
    FetchLogs,
    Help,
    ListSubscriptions,
    Subscribe,
    Unsubscribe,
    parse_command,
)
from bot.slack.responder import ResponseUrlError, reply
from bot.slack.subscriptions import SubscriptionHandler

log = logging.getLogger(__name__)

COMMAND = blocks.COMMAND


class CommandHandler:
    def __init__(
        self,
        service: LogsService,
        jobs: JobRunner,
        metrics: Metrics,
        subscriptions: SubscriptionHandler,
    ) -> None:
        self._service = service
        self._jobs = jobs
        self._metrics = metrics
        self._subscriptions = subscriptions

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.on_command)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        try:
            parsed = parse_command(command.get("text") or "")
        except CommandError as exc:
            self._metrics.commands.labels("invalid", "usage_error").inc()
            await ack(**blocks.usage_message(str(exc)))
            return
        if isinstance(parsed, Help):
            self._metrics.commands.labels("help", "ok").inc()
            await ack(**blocks.usage_message())
            return
        if isinstance(parsed, Subscribe | Unsubscribe | ListSubscriptions):
            kind = type(parsed).__name__.lower()
            self._metrics.commands.labels(kind, "accepted").inc()
            if isinstance(parsed, Subscribe):
                await ack(
                    response_type="ephemeral",
                    text=f":hourglass_flowing_sand: Looking up `{parsed.pipeline}` …",
                )
            else:
                await ack()
            self._jobs.spawn(
                self._subscriptions.run(parsed, command), name=f"{kind}:{command.get('channel_id')}"
            )
            return
        assert isinstance(parsed, FetchLogs)
        target = parsed.target
        kind = "url" if isinstance(target, UrlTarget) else "named"
        try:
            self._service.check(target)
        except TargetError as exc:
            self._metrics.commands.labels(kind, "refused").inc()
            await ack(**blocks.target_error_message(exc))
            return
        await ack(**blocks.fetching_message(target))
        response_url = command.get("response_url") or ""
        self._jobs.spawn(
            self._deliver(target, kind, response_url, command.get("user_id")),
            name=f"logs:{command.get('trigger_id', '?')}",
        )

    async def _deliver(
        self, target: Target, kind: str, response_url: str, user_id: str | None
    ) -> None:
        outcome, message = await self._result_message(target, user_id)
        self._metrics.commands.labels(kind, outcome).inc()
        try:
            await reply(response_url, message)
        except ResponseUrlError as exc:
            log.error("could not deliver the %s reply: %s", outcome, exc)

    async def _result_message(
        self, target: Target, user_id: str | None
    ) -> tuple[str, dict[str, Any]]:
        try:
            result = await self._service.fetch_logs(target)
        except TargetError as exc:
            return "not_found", {**blocks.target_error_message(exc), "replace_original": False}
        except Exception:
            log.exception("unexpected error while fetching logs for %r", target)
            return "error", blocks.internal_error_message()
        outcome = "link" if isinstance(result.export, LogsLink) else str(result.export.reason)
        return outcome, blocks.logs_message(result, user_id)
