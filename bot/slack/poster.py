"""Posting and editing messages with the bot token, with Slack's refusals made explicit.

A channel that archived or removed the bot answers `not_in_channel`,
`channel_not_found` or `is_archived`; those become `ChannelUnavailable` so
callers can mark a subscription broken instead of retrying forever.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.incidents import ChannelUnavailable

log = logging.getLogger(__name__)

GONE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "account_inactive", "restricted_action"}
)


class Poster:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(
        self, channel: str, message: dict[str, Any], thread_ts: str | None = None
    ) -> str:
        """Post; returns the message's ts."""
        kwargs = {k: v for k, v in message.items() if k in ("text", "blocks")}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            response = await self._client.chat_postMessage(
                channel=channel, unfurl_links=False, **kwargs
            )
        except SlackApiError as exc:
            raise _classified(exc) from None
        return str(response["ts"])

    async def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        kwargs = {k: v for k, v in message.items() if k in ("text", "blocks")}
        try:
            await self._client.chat_update(channel=channel, ts=ts, **kwargs)
        except SlackApiError as exc:
            raise _classified(exc) from None

    async def upload(
        self, channel: str, thread_ts: str, content: str, filename: str, title: str
    ) -> None:
        """A text file in a thread (files.uploadV2)."""
        try:
            await self._client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=content,
                filename=filename,
                title=title,
            )
        except SlackApiError as exc:
            raise _classified(exc) from None

    async def can_post(self, channel: str) -> bool:
        """Whether the bot is a member of the channel (and it is not archived)."""
        try:
            response = await self._client.conversations_info(channel=channel)
        except SlackApiError as exc:
            # channel_not_found is the usual answer for a private channel without the bot;
            # anything else (missing_scope, ...) is the operator's to see.
            error = exc.response.get("error") if exc.response is not None else str(exc)
            if error != "channel_not_found":
                log.warning("conversations.info for %s failed: %s", channel, error)
            return False
        info = response.get("channel") or {}
        return bool(info.get("is_member") or info.get("is_im")) and not info.get("is_archived")


def _classified(exc: SlackApiError) -> Exception:
    error = str(exc.response.get("error", "")) if exc.response is not None else ""
    if error in GONE:
        return ChannelUnavailable(error)
    return exc
