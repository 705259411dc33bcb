"""What the bot asks Slack about people and places: a channel's name and a user
group's members (for the access policy), and who has an email (for mentions).

Each is looked up with the bot token and kept for a few minutes, so a policy check
or an alert costs at most one Slack call per channel, group or person in that time.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

KEEP = 300.0  # seconds


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, keep: float = KEEP) -> None:
        self._client = client
        self._keep = keep
        self._names: dict[str, tuple[float, str | None]] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._handles: tuple[float, dict[str, str]] | None = None
        self._people: dict[str, tuple[float, str | None]] = {}

    async def channel_name(self, channel: str) -> str | None:
        """The channel's name without '#', or None (a DM, or Slack would not say)."""
        kept = self._names.get(channel)
        if kept is not None and time.monotonic() - kept[0] < self._keep:
            return kept[1]
        name: str | None = None
        try:
            response = await self._client.conversations_info(channel=channel)
            info = response.get("channel") or {}
            name = str(info["name"]) if info.get("name") else None
        except SlackApiError as exc:
            log.info("no name for %s: %s", channel, exc.response.get("error"))
        self._names[channel] = (time.monotonic(), name)
        return name

    async def user_by_email(self, email: str) -> str | None:
        """The Slack user with this email (None: nobody, or Slack would not say)."""
        wanted = email.strip().lower()
        kept = self._people.get(wanted)
        if kept is not None and time.monotonic() - kept[0] < self._keep:
            return kept[1]
        user: str | None = None
        try:
            response = await self._client.users_lookupByEmail(email=wanted)
            found = response.get("user") or {}
            if found.get("id") and not found.get("deleted") and not found.get("is_bot"):
                user = str(found["id"])
        except SlackApiError as exc:
            # users_not_found is the common answer (a bot account, an outside author).
            log.info("no Slack user for a commit author: %s", exc.response.get("error"))
        if len(self._people) > 10_000:
            self._people.clear()
        self._people[wanted] = (time.monotonic(), user)
        return user

    async def group_members(self, handle: str) -> frozenset[str]:
        """Members of the user group `@handle` (empty when there is no such group)."""
        kept = self._groups.get(handle)
        if kept is not None and time.monotonic() - kept[0] < self._keep:
            return kept[1]
        group = (await self._handle_ids()).get(handle.lower())
        members: frozenset[str] = frozenset()
        if group is not None:
            response = await self._client.usergroups_users_list(usergroup=group)
            members = frozenset(str(u) for u in response.get("users") or [])
        self._groups[handle] = (time.monotonic(), members)
        return members

    async def _handle_ids(self) -> dict[str, str]:
        if self._handles is not None and time.monotonic() - self._handles[0] < self._keep:
            return self._handles[1]
        response = await self._client.usergroups_list()
        ids = {
            str(g["handle"]).lower(): str(g["id"])
            for g in response.get("usergroups") or []
            if g.get("handle") and g.get("id")
        }
        self._handles = (time.monotonic(), ids)
        return ids


__all__ = ["SlackDirectory"]
