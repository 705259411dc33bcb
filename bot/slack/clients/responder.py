"""Replies through a request's `response_url`, retried through Slack hiccups.

`response_url` works in private channels and DMs where the bot is not a
member, which `chat.postMessage` does not; it allows five uses in 30 minutes.
`post_or_reply` posts for everyone and falls back on it where the bot may not post.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.proxies import routed
from bot.service.channels import ChannelUnavailable
from bot.slack.clients.http_retries import retry_handlers
from bot.slack.clients.poster import Poster

log = logging.getLogger(__name__)


class ResponseUrlError(Exception):
    """Slack did not take the reply; `final` when trying again cannot help."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


# A response_url past its 30 minutes or five uses, or a reply Slack will never take.
_FINAL = ("expired_url", "used_url", "invalid_payload", "invalid_blocks", "no_text")


async def reply(response_url: str, message: dict[str, Any], *, timeout: int = 15) -> None:
    """Send `message` to `response_url`; raise ResponseUrlError if Slack refuses it."""
    client = routed(
        AsyncWebhookClient(response_url, timeout=timeout, retry_handlers=retry_handlers()),
        response_url,
    )
    try:
        response = await client.send_dict(message)
    except Exception as exc:  # aiohttp and OS errors alike: the reply is lost either way
        raise ResponseUrlError(f"{type(exc).__name__} posting to response_url") from None
    if response.status_code != 200:
        # The body is Slack's short error code (e.g. "expired_url"), never a secret.
        final = response.status_code in (400, 404, 410) or any(
            code in response.body for code in _FINAL
        )
        raise ResponseUrlError(
            f"response_url answered {response.status_code}: {response.body[:100]}", final=final
        )


async def reply_or_log(response_url: str, message: dict[str, Any]) -> bool:
    """`reply`, where a refusal is logged rather than raised; False when it was refused."""
    try:
        await reply(response_url, message)
    except ResponseUrlError as exc:
        log.error("could not answer through a response_url: %s", exc)
        return False
    return True


async def reply_in_thread(
    response_url: str, message: dict[str, Any], thread_ts: str | None
) -> bool:
    """Post for everyone through a response_url, in the thread when there is one."""
    payload = {**message, "response_type": "in_channel", "replace_original": False}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return await reply_or_log(response_url, payload)


async def post_or_reply(
    poster: Poster,
    channel: str | None,
    message: dict[str, Any],
    response_url: str | None,
    *,
    thread_ts: str | None = None,
    patient: bool = False,
) -> bool:
    """Post `message` for everyone in `channel` (in the thread when there is one);
    where the bot may not post there (not a member, or no channel), through the
    press's `response_url` instead. False when neither took it."""
    if channel:
        try:
            await poster.post(channel, message, thread_ts=thread_ts, patient=patient)
            return True
        except ChannelUnavailable:
            pass  # not a member here: the press's response_url still works
    if response_url:
        return await reply_in_thread(response_url, message, thread_ts)
    return False
