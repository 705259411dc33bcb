"""The `/harness-logs` slash command: record it, acknowledge at once, then do the work.

Mistakes are answered in the acknowledgement itself (ephemeral, nothing
fetched). Everything that talks to Harness is recorded in the durable work queue
before `ack()` (interactive lane) and its result goes back through the command's
`response_url`, which lives 30 minutes: that is the work's deadline, while the
Harness part has `REQUEST_DEADLINE` seconds. The same trigger id twice (a replayed
or retried request) is the same work, done once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.clock import Clock
from bot.domain import LogsLink, Work, WorkKind
from bot.metrics import Metrics
from bot.service.access import Asker, Refused
from bot.service.answers import LogsAnswers
from bot.service.grammar import (
    CommandError,
    FetchLogs,
    Help,
    ListSubscriptions,
    Subscribe,
    Unmute,
    Unsubscribe,
    parse_command,
)
from bot.service.logs import LogsService
from bot.service.targets import Target, TargetError, UrlTarget
from bot.service.workers import GiveUp, Workers
from bot.slack.clients.responder import ResponseUrlError, reply, reply_or_log
from bot.slack.listeners.records import RecordedCommand, record
from bot.slack.listeners.subscription_commands import SubscriptionCommands
from bot.slack.views.blocks import COMMAND
from bot.slack.views.logs import logs_message, private_link_message
from bot.slack.views.replies import (
    cannot_accept_message,
    deadline_message,
    fetching_message,
    gave_up_message,
    internal_error_message,
    progress_message,
    refused_message,
    target_error_message,
    usage_message,
)

log = logging.getLogger(__name__)


class CommandHandler:
    def __init__(
        self,
        service: LogsService,
        workers: Workers,
        metrics: Metrics,
        subscriptions: SubscriptionCommands,
        *,
        clock: Clock,
        request_deadline: float = 120.0,
        progress_after: float = 10.0,
        answers: LogsAnswers,
        private_links: bool = False,
        on_request: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self._on_request = on_request
        self._clock = clock
        self._service = service
        self._workers = workers
        self._metrics = metrics
        self._subscriptions = subscriptions
        self._request_deadline = request_deadline
        self._progress_after = progress_after
        self._answers = answers
        self._private_links = private_links

    def register(self, app: AsyncApp) -> None:
        """Its Bolt listener."""
        app.command(COMMAND)(self.on_command)

    async def _accept(self, ack: AsyncAck, command: dict[str, Any], answer: dict[str, Any]) -> None:
        """Record the command, then acknowledge it with `answer` (or say it cannot be taken)."""
        recorded = RecordedCommand.of(command)
        trigger = recorded.trigger_id
        added = await record(self._workers, WorkKind.COMMAND, recorded.payload(), trigger)
        if added is None:
            await ack(**cannot_accept_message())
            return
        if not added:
            log.info("command %s seen before (a replay or a retry); not run again", trigger)
        else:
            if self._on_request is not None:
                await self._on_request(recorded.user, recorded.text.strip())
            log.info("command accepted", extra=recorded.log_fields())
        await ack(**answer)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        try:
            parsed = parse_command(str(command.get("text") or ""))
        except CommandError as exc:
            self._metrics.commands.labels("invalid", "usage_error").inc()
            await ack(**usage_message(str(exc), str(self._service.default_scope)))
            return
        if isinstance(parsed, Help):
            self._metrics.commands.labels("help", "ok").inc()
            await ack(**usage_message(None, str(self._service.default_scope)))
            return
        if isinstance(parsed, Subscribe | Unsubscribe | Unmute | ListSubscriptions):
            kind = type(parsed).__name__.lower()
            self._metrics.commands.labels(kind, "accepted").inc()
            answer: dict[str, Any] = {}
            if isinstance(parsed, Subscribe):
                answer = {
                    "response_type": "ephemeral",
                    "text": f":hourglass_flowing_sand: Looking up `{parsed.pipeline}` …",
                }
            await self._accept(ack, command, answer)
            return
        assert isinstance(parsed, FetchLogs)
        target = parsed.target
        kind = "url" if isinstance(target, UrlTarget) else "named"
        try:
            self._service.check(target)
        except TargetError as exc:
            self._metrics.commands.labels(kind, "refused").inc()
            await ack(**target_error_message(exc))
            return
        await self._accept(ack, command, fetching_message(target))

    async def run(self, work: Work) -> GiveUp | None:
        """The recorded command, carried out; a reply Slack did not take is tried again."""
        command = RecordedCommand.of(work.payload)
        parsed = parse_command(command.text)
        if isinstance(parsed, Subscribe | Unsubscribe | Unmute | ListSubscriptions):
            await self._subscriptions.run(parsed, command.asker, command.response_url)
            return None
        if not isinstance(parsed, FetchLogs):
            return None  # answered in the acknowledgement
        target = parsed.target
        kind = "url" if isinstance(target, UrlTarget) else "named"
        response_url, asker = command.response_url, command.asker
        said: list[float] = []  # when the progress note was updated
        progress = asyncio.create_task(self._progress(response_url, target, said))
        private: dict[str, Any] | None = None
        try:
            async with asyncio.timeout(self._request_deadline):
                outcome, message, private = await self._result_message(target, asker)
        except TimeoutError:
            outcome, message = "timeout", deadline_message(self._request_deadline)
            private = None
        finally:
            progress.cancel()
        await asyncio.gather(progress, return_exceptions=True)
        try:
            await reply(response_url, message)
        except ResponseUrlError as exc:
            if not exc.final:
                raise  # tried again, with backoff, while the response_url lives
            log.error("could not deliver the %s reply: %s", outcome, exc)
            return GiveUp(str(exc))
        self._metrics.commands.labels(kind, outcome).inc()
        log.info(
            "command answered: %s",
            outcome,
            extra={
                **command.log_fields(),
                "outcome": outcome,
                "duration_s": round(self._clock.time() - work.created_at, 3),
            },
        )
        if private is not None:
            await reply_or_log(response_url, private)  # the link, to the person who asked only
        if said and message.get("response_type") == "in_channel":
            # The result is in the channel; the private progress note has done its job.
            with contextlib.suppress(ResponseUrlError):
                await reply(response_url, {"delete_original": True})
        return None

    async def _progress(self, response_url: str, target: Target, said: list[float]) -> None:
        """While Harness works, the "Fetching" note says for how long (at most twice:
        a response_url takes five replies); each update is noted in `said`."""
        started = self._clock.monotonic()
        for after in (self._progress_after, self._progress_after * 4):
            # A timer for a person to read, not synchronisation.
            await asyncio.sleep(max(0.0, started + after - self._clock.monotonic()))
            waited = self._clock.monotonic() - started
            try:
                await reply(response_url, progress_message(target, waited))
            except ResponseUrlError as exc:
                log.info("could not update the progress note: %s", exc)
                return
            said.append(waited)

    async def expired(self, work: Work) -> None:
        """The person is told when their command could not be answered in time."""
        await reply_or_log(str(work.payload.get("response_url") or ""), gave_up_message())

    async def _result_message(
        self, target: Target, asker: Asker
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """(outcome, the reply, the private link message when links go to the asker only)."""
        try:
            result = await self._answers.answer(asker, target)
        except TargetError as exc:
            return (
                "not_found",
                {**target_error_message(exc), "replace_original": False},
                None,
            )
        except Exception:
            log.exception("unexpected error while fetching logs for %r", target)
            return "error", internal_error_message(), None
        if isinstance(result, Refused):
            return "refused", refused_message(result.rule), None
        export = result.export
        outcome = "link" if isinstance(export, LogsLink) else str(export.reason if export else "")
        private = self._private_links and isinstance(export, LogsLink)
        message = logs_message(result, asker.user, private_link=private)
        return outcome, message, private_link_message(result) if private else None
