"""Replies through a request's `response_url`, retried through Slack hiccups.

`response_url` works in private channels and DMs where the bot is not a
member, which `chat.postMessage` does not; it allows five uses in 30 minutes.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.clients.http_retries import retry_handlers

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
    client = AsyncWebhookClient(
        response_url,
        timeout=timeout,
        retry_handlers=retry_handlers(),
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
