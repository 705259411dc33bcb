"""App Home: the Home tab of the bot, published when someone opens it.

It shows how to use the command (with the subscribed pipelines the viewer can see as
examples), the person's recent requests, the subscriptions of the channels the person
is in (no other channel's, private or not: App Home shows only what its viewer could
read in Slack anyway), and the Harness host the bot talks to (never its key). Someone
the access policy does not let use the bot sees how to ask for it, and nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.access import Access, Refused
from bot.service.recent import RecentRequests
from bot.service.subscriptions import Subscriptions
from bot.slack.views.home import SHOWN_SUBSCRIPTIONS, home_view, refused_view

log = logging.getLogger(__name__)

HOME_SCAN = 2_000  # subscriptions looked through for the viewer's channels


class HomeHandler:
    def __init__(
        self,
        subscriptions: Subscriptions,
        recent: RecentRequests,
        client: AsyncWebClient,
        harness_host: str,
        access: Access,
        channels_of: Callable[[str], Awaitable[frozenset[str]]],
    ) -> None:
        self._access = access
        self._channels_of = channels_of
        self._subscriptions = subscriptions
        self._recent = recent
        self._client = client
        self._harness_host = harness_host

    def register(self, app: AsyncApp) -> None:
        app.event("app_home_opened")(self.on_home_opened)

    async def on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = str(event.get("user") or "")
        try:
            shown = await self._access.home_of(
                user,
                await self._channels_of(user),
                await self._subscriptions.everywhere(HOME_SCAN),
            )
            if isinstance(shown, Refused):
                view = refused_view(shown.rule)
            else:
                recent = await self._recent.of(user)
                view = home_view(recent, shown[:SHOWN_SUBSCRIPTIONS], self._harness_host)
            await self._client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("could not publish the Home tab: %s", exc.response.get("error"))
        except Exception:
            log.exception("could not build the Home tab")


__all__ = ["HomeHandler"]
