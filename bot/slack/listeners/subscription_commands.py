"""`/harness-logs subscribe | unsubscribe | unmute | subscriptions`, carried out for the
command listener (commands.py records and acknowledges them; this is not a listener).

The use case lives in bot/service/subscriptions.py; here are the Slack parts: can
the bot post in the channel, the confirmations to the channel through the
command's `response_url`, and mistakes only to the person.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.service.access import Asker
from bot.service.grammar import Subscribe, Unmute, Unsubscribe
from bot.service.subscriptions import SubscriptionCommand, Subscriptions
from bot.service.targets import TargetError
from bot.slack.clients.poster import Poster
from bot.slack.clients.responder import reply_or_log
from bot.slack.views.replies import internal_error_message, refused_message, target_error_message
from bot.slack.views.subscriptions import (
    not_member_message,
    subscribed_message,
    subscriptions_message,
    unmuted_message,
    unsubscribed_message,
)

log = logging.getLogger(__name__)


class SubscriptionCommands:
    def __init__(self, subscriptions: Subscriptions, poster: Poster) -> None:
        self._subscriptions = subscriptions
        self._poster = poster

    async def run(self, parsed: SubscriptionCommand, asker: Asker, response_url: str) -> None:
        """Carry out the command and answer through its response_url."""
        channel, user = asker.channel, asker.user or ""
        try:
            refused = await self._subscriptions.refusal(asker, parsed)
            if refused is not None:
                message = refused_message(refused.rule)
            elif isinstance(parsed, Subscribe):
                message = await self._subscribe(parsed, channel, user)
            elif isinstance(parsed, Unsubscribe):
                gone = await self._subscriptions.unsubscribe(
                    channel, user, parsed.pipeline, parsed.scope
                )
                message = unsubscribed_message(user, gone)
            elif isinstance(parsed, Unmute):
                subscription, mute = await self._subscriptions.unmute(
                    channel, user, parsed.pipeline, parsed.scope
                )
                message = unmuted_message(user, subscription, mute)
            else:
                message = subscriptions_message(await self._subscriptions.of_channel(channel))
        except TargetError as exc:
            message = target_error_message(exc)
        except Exception:
            log.exception("subscription command failed")
            message = internal_error_message()
        await reply_or_log(response_url, message)

    async def _subscribe(self, parsed: Subscribe, channel: str, user: str) -> dict[str, Any]:
        pipeline, scope = await self._subscriptions.find(parsed.pipeline, parsed.scope)
        if not await self._poster.can_post(channel):
            return not_member_message()
        subscription, before = await self._subscriptions.subscribe(
            channel, user, pipeline, scope, parsed.events, parsed.filters
        )
        return subscribed_message(user, pipeline, scope, subscription, before)
