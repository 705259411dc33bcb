"""What the bot asks Slack about people and places: a channel's name, first name and
creator and a user group's members (for the access policy), the channels a person is
in (for App Home), and who has an email (for mentions).

Each is looked up with the bot token and kept for a few minutes, so a policy check
or an alert costs at most one Slack call per channel, group or person in that time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.service.access import ChannelFacts

log = logging.getLogger(__name__)

KEEP = 300.0  # seconds
MOST = 10_000  # answers kept per kind; past it, all are forgotten (a rare, cheap reset)
MEMBERSHIP_PAGES = 10  # of 200 channels: App Home lists what it finds in those

K = TypeVar("K")
V = TypeVar("V")


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, clock: Clock, keep: float = KEEP) -> None:
        self._client = client
        self._clock = clock
        self._keep = keep
        self._facts: dict[str, tuple[float, ChannelFacts | None]] = {}
        self._memberships: dict[str, tuple[float, frozenset[str]]] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._handles: dict[str, tuple[float, dict[str, str]]] = {}
        self._people: dict[str, tuple[float, str | None]] = {}

    async def channel_facts(self, channel: str) -> ChannelFacts | None:
        """The channel's name (without '#'), the names it had before and its creator,
        or None (a DM, or Slack would not say)."""

        async def look_up() -> ChannelFacts | None:
            try:
                response = await self._client.conversations_info(channel=channel)
            except SlackApiError as exc:
                log.info("no name for %s: %s", channel, exc.response.get("error"))
                return None
            info = response.get("channel") or {}
            if not info.get("name"):
                return None
            previous = tuple(str(n) for n in info.get("previous_names") or [] if n)
            return ChannelFacts(
                name=str(info["name"]),
                previous_names=previous,
                creator=str(info["creator"]) if info.get("creator") else None,
            )

        return await self._kept(self._facts, channel, look_up)

    async def channels_of(self, user: str) -> frozenset[str]:
        """The public and private channels the person is in (users.conversations)."""

        async def look_up() -> frozenset[str]:
            found: set[str] = set()
            cursor = None
            for _page in range(MEMBERSHIP_PAGES):
                response = await self._client.users_conversations(
                    user=user,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
                found.update(str(c["id"]) for c in response.get("channels") or [] if c.get("id"))
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            return frozenset(found)

        return await self._kept(self._memberships, user, look_up)

    async def user_by_email(self, email: str) -> str | None:
        """The Slack user with this email (None: nobody, or Slack would not say)."""
        wanted = email.strip().lower()

        async def look_up() -> str | None:
            try:
                response = await self._client.users_lookupByEmail(email=wanted)
            except SlackApiError as exc:
                # users_not_found is the common answer (a bot account, an outside author).
                log.info("no Slack user for a commit author: %s", exc.response.get("error"))
                return None
            found = response.get("user") or {}
            if found.get("id") and not found.get("deleted") and not found.get("is_bot"):
                return str(found["id"])
            return None

        return await self._kept(self._people, wanted, look_up)

    async def group_members(self, handle: str) -> frozenset[str]:
        """Members of the user group `@handle` (empty when there is no such group)."""

        async def look_up() -> frozenset[str]:
            group = (await self._kept(self._handles, "", self._handle_ids)).get(handle.lower())
            if group is None:
                return frozenset()
            response = await self._client.usergroups_users_list(usergroup=group)
            return frozenset(str(u) for u in response.get("users") or [])

        return await self._kept(self._groups, handle, look_up)

    async def _handle_ids(self) -> dict[str, str]:
        response = await self._client.usergroups_list()
        return {
            str(g["handle"]).lower(): str(g["id"])
            for g in response.get("usergroups") or []
            if g.get("handle") and g.get("id")
        }

    async def _kept(
        self, kept: dict[K, tuple[float, V]], key: K, look_up: Callable[[], Awaitable[V]]
    ) -> V:
        """The answer kept for `key` if it is fresh, else `look_up()`'s, kept from now."""
        entry = kept.get(key)
        if entry is not None and self._clock.monotonic() - entry[0] < self._keep:
            return entry[1]
        value = await look_up()
        if len(kept) >= MOST:
            kept.clear()
        kept[key] = (self._clock.monotonic(), value)
        return value


__all__ = ["SlackDirectory"]
