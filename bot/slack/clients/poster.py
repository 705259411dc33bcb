"""Posting and editing messages with the bot token, with Slack's refusals made explicit.

A channel that archived or removed the bot answers `not_in_channel`,
`channel_not_found` or `is_archived`; those become `ChannelUnavailable` so
callers can mark a subscription broken instead of retrying forever.

Slack allows about one message per second per channel. Posts are paced to that
per channel, and a post that would come too soon, or that Slack answers with 429,
raises `SlowDown` with the wait: the work queue brings the post back then,
without a worker sleeping on it, however many times it takes until its deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.service.channels import ChannelUnavailable
from bot.service.workers import SlowDown

log = logging.getLogger(__name__)

GONE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "account_inactive", "restricted_action"}
)


POST_INTERVAL = 1.0  # seconds between posts to one channel


class Pacer:
    """One post per `interval` per channel, in this process."""

    def __init__(self, clock: Clock, interval: float = POST_INTERVAL) -> None:
        self._clock = clock
        self._interval = interval
        self._next: dict[str, float] = {}

    def wait(self, channel: str) -> float:
        """0 when the channel may post now (and the turn is taken), else seconds to wait."""
        now = self._clock.monotonic()
        due = self._next.get(channel, 0.0)
        if due > now:
            return due - now
        self._next[channel] = now + self._interval
        if len(self._next) > 10_000:  # forget channels long quiet
            self._next = {c: t for c, t in self._next.items() if t > now}
        return 0.0

    def sent(self, channel: str) -> None:
        """Counted from when Slack answered, so two posts never arrive closer than the
        interval, whatever the network did to the first."""
        self._next[channel] = max(
            self._next.get(channel, 0.0), self._clock.monotonic() + self._interval
        )

    def after(self, channel: str, seconds: float) -> None:
        """Slack asked this channel to wait: nothing more goes there until then."""
        self._next[channel] = max(self._next.get(channel, 0.0), self._clock.monotonic() + seconds)


class Poster:
    def __init__(
        self,
        client: AsyncWebClient,
        pacer: Pacer,
        on_error: Callable[[str, str], None] | None = None,
    ) -> None:
        self._client = client
        self._pacer = pacer
        self._on_error = on_error or (lambda _method, _error: None)

    async def post(
        self,
        channel: str,
        message: dict[str, Any],
        thread_ts: str | None = None,
        *,
        patient: bool = False,
    ) -> str:
        """Post; returns the message's ts.

        When the channel must wait, `SlowDown` says how long, so the work comes back
        later; a `patient` caller (one of several messages in a row, which must not
        start over) waits here instead.
        """
        kwargs = {k: v for k, v in message.items() if k in ("text", "blocks")}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        while (wait := self._pacer.wait(channel)) > 0:
            if not patient:
                raise SlowDown(wait, f"pacing posts to {channel}")
            await asyncio.sleep(wait)
        try:
            response = await self._client.chat_postMessage(
                channel=channel, unfurl_links=False, **kwargs
            )
        except SlackApiError as exc:
            raise self._classified(exc, channel) from None
        finally:
            self._pacer.sent(channel)
        return str(response["ts"])

    async def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        kwargs = {k: v for k, v in message.items() if k in ("text", "blocks")}
        try:
            await self._client.chat_update(channel=channel, ts=ts, **kwargs)
        except SlackApiError as exc:
            raise self._classified(exc, channel) from None

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
            raise self._classified(exc, channel) from None

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

    def _classified(self, exc: SlackApiError, channel: str) -> Exception:
        response = exc.response
        error = str(response.get("error", "")) if response is not None else ""
        method = str(getattr(response, "api_url", "") or "").rsplit("/", 1)[-1] or "unknown"
        self._on_error(method, error or "http_error")
        if error in GONE:
            return ChannelUnavailable(error)
        if response is not None and (response.status_code == 429 or error == "ratelimited"):
            wait = _retry_after(response.headers)
            self._pacer.after(channel, wait)
            return SlowDown(wait, f"Slack rate limit in {channel}")
        return exc


def _retry_after(headers: Any) -> float:
    """Slack's Retry-After (whole seconds); a second when it is missing or odd."""
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0
