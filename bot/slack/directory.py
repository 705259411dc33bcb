"""What the bot asks Slack about people and places: a channel's name and a user
group's members (for the access policy), and who has an email (for mentions).

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

log = logging.getLogger(__name__)

KEEP = 300.0  # seconds
MOST = 10_000  # answers kept per kind; past it, all are forgotten (a rare, cheap reset)

K = TypeVar("K")
V = TypeVar("V")


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, clock: Clock, keep: float = KEEP) -> None:
        self._client = client
        self._clock = clock
        self._keep = keep
        self._names: dict[str, tuple[float, str | None]] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._handles: dict[str, tuple[float, dict[str, str]]] = {}
        self._people: dict[str, tuple[float, str | None]] = {}

    async def channel_name(self, channel: str) -> str | None:
        """The channel's name without '#', or None (a DM, or Slack would not say)."""

        async def look_up() -> str | None:
            try:
                response = await self._client.conversations_info(channel=channel)
            except SlackApiError as exc:
                log.info("no name for %s: %s", channel, exc.response.get("error"))
                return None
            info = response.get("channel") or {}
            return str(info["name"]) if info.get("name") else None

        return await self._kept(self._names, channel, look_up)

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
