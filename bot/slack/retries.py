"""How every Slack client of ours retries: dropped connections, 5xx and rate limits."""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)


def retry_handlers() -> list[AsyncRetryHandler]:
    """A fresh list per client (the handlers keep no state, but clients own their list)."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


__all__ = ["retry_handlers"]
