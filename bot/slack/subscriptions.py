"""`/harness-logs subscribe | unsubscribe | subscriptions` in a channel.

The pipeline must exist (checked against Harness, with suggestions) and the bot
must be able to post in the channel before anything is stored. Confirmations go
to the channel through the command's `response_url`; mistakes only to the person.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.domain import Scope
from bot.service import LogsService, TargetError
from bot.slack import blocks, incident_blocks
from bot.slack.grammar import ListSubscriptions, Subscribe, Unsubscribe
from bot.slack.poster import Poster
from bot.slack.responder import ResponseUrlError, reply
from bot.store import PipelineKey, Store, Subscription
from bot.suggest import closest

log = logging.getLogger(__name__)

SubscriptionCommand = Subscribe | Unsubscribe | ListSubscriptions


class SubscriptionHandler:
    def __init__(
        self,
        service: LogsService,
        store: Store,
        poster: Poster,
        *,
        account: str,
        default_scope: Scope,
    ) -> None:
        self._service = service
        self._store = store
        self._poster = poster
        self._account = account
        self._default_scope = default_scope

    async def run(self, parsed: SubscriptionCommand, command: dict[str, Any]) -> None:
        """Carry out the command and answer through its response_url."""
        channel = str(command.get("channel_id") or "")
        user = str(command.get("user_id") or "")
        try:
            if isinstance(parsed, Subscribe):
                message = await self._subscribe(parsed, channel, user)
            elif isinstance(parsed, Unsubscribe):
                message = await self._unsubscribe(parsed, channel, user)
            else:
                message = incident_blocks.subscriptions_message(
                    await self._store.channel_subscriptions(channel)
                )
        except TargetError as exc:
            message = blocks.target_error_message(exc)
        except Exception:
            log.exception("subscription command failed")
            message = blocks.internal_error_message()
        try:
            await reply(str(command.get("response_url") or ""), message)
        except ResponseUrlError as exc:
            log.error("could not answer a subscription command: %s", exc)

    async def _subscribe(self, parsed: Subscribe, channel: str, user: str) -> dict[str, Any]:
        pipeline, scope = await self._service.find_pipeline(parsed.pipeline, parsed.scope)
        if not await self._poster.can_post(channel):
            return incident_blocks.not_member_message()
        key = PipelineKey(self._account, scope.org, scope.project, pipeline.identifier)
        new = await self._store.add_subscription(
            Subscription(channel, key, pipeline.name, parsed.events, user, time.time())
        )
        log.info("channel %s subscribed to %s (%s) by %s", channel, key, parsed.events, user)
        return incident_blocks.subscribed_message(user, pipeline, scope, parsed.events, new)

    async def _unsubscribe(self, parsed: Unsubscribe, channel: str, user: str) -> dict[str, Any]:
        # Matched against the channel's own subscriptions, so a deleted pipeline can still go.
        current = await self._store.channel_subscriptions(channel)
        wanted = parsed.pipeline.casefold()
        matches = [
            s
            for s in current
            if wanted in (s.pipeline.pipeline.casefold(), s.pipeline_name.casefold())
            and (
                parsed.scope is None
                or (s.pipeline.org, s.pipeline.project) == (parsed.scope.org, parsed.scope.project)
            )
        ]
        if not matches:
            names = [s.pipeline_name for s in current] + [s.pipeline.pipeline for s in current]
            raise TargetError(
                "This channel is not subscribed to `{}`.",
                parsed.pipeline,
                suggestions=closest(parsed.pipeline, names),
            )
        if len(matches) > 1:
            scopes = [f"in {s.pipeline.org}/{s.pipeline.project}" for s in matches]
            raise TargetError(
                "Several subscriptions match `{}`; add one of "
                + ", ".join(["`{}`"] * len(scopes))
                + ".",
                parsed.pipeline,
                *scopes,
            )
        (match,) = matches
        await self._store.remove_subscription(channel, match.pipeline)
        log.info("channel %s unsubscribed from %s by %s", channel, match.pipeline, user)
        return incident_blocks.unsubscribed_message(user, match)
