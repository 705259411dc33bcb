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

from bot.domain import Subscription
from bot.service import RecentRequests, Subscriptions
from bot.service.access import Access, Refused
from bot.slack.incident_blocks import describe_filters
from bot.slack.kit import COMMAND, context, escape, escape_name, section

log = logging.getLogger(__name__)

SHOWN_SUBSCRIPTIONS = 20
HOME_SCAN = 2_000  # subscriptions looked through for the viewer's channels


def refused_view(rule: str) -> dict[str, Any]:
    """The Home tab for someone the access policy does not let use the bot."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Harness logs, in Slack"}},
            section(
                "The access policy does not let you use this bot "
                f"({escape(rule)}). Ask whoever runs it to add you."
            ),
        ],
    }


def home_view(
    recent: list[str], subscriptions: list[Subscription], harness_host: str
) -> dict[str, Any]:
    """The Home tab, as a view for views.publish (a pure function)."""
    pipelines = list(dict.fromkeys(s.pipeline.pipeline for s in subscriptions))[:3]
    example = pipelines[0] if pipelines else "deploy_checkout"
    examples = [
        (example, "the latest run's logs, with what failed"),
        (f"{example} #42", "a run by number"),
        (f"{example} #42 deploy_prod/rollout", "one stage or step"),
        (f"subscribe {example}", "alerts for its failures in a channel"),
        (f"subscribe {example} branch=main stages=deploy_*", "only some of them"),
        ("help", "everything it understands"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Harness logs, in Slack"}},
        section(
            "Type these in any channel the bot is in (or paste a Harness execution link):\n"
            + "\n".join(f"• `{COMMAND} {escape(e)}`  {w}" for e, w in examples)
        ),
        {"type": "divider"},
    ]
    if recent:
        lines = "\n".join(f"• `{COMMAND} {escape(text)}`" for text in recent)
        blocks.append(section(f"*Your recent requests*\n{lines}"))
    else:
        blocks.append(section("*Your recent requests*\nNone yet."))
    if subscriptions:
        lines = "\n".join(
            f"• <#{s.channel}>: *{escape_name(s.pipeline_name)}* "
            f"(`{escape(s.pipeline.org)}/{escape(s.pipeline.project)}`) "
            + describe_filters(s)
            + (f" · broken ({escape(s.broken)})" if s.broken else "")
            for s in subscriptions[:SHOWN_SUBSCRIPTIONS]
        )
        blocks.append(section(f"*Subscriptions in your channels*\n{lines}"))
    else:
        blocks.append(section("*Subscriptions in your channels*\nNone yet."))
    blocks.append(context(f"Talking to Harness at `{escape(harness_host)}`."))
    return {"type": "home", "blocks": blocks}


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


__all__ = ["HomeHandler", "home_view", "refused_view"]
