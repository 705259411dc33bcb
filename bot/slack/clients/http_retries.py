"""How every Slack client of ours retries: dropped connections, 5xx and rate limits."""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)


def retry_handlers(*, rate_limits: bool = True) -> list[AsyncRetryHandler]:
    """A fresh list per client (the handlers keep no state, but clients own their list).

    Without `rate_limits`, a 429 comes back to the caller at once: the work queue
    then waits the Retry-After out without holding a worker (see bot/slack/clients/poster.py).
    """
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]
    if rate_limits:
        handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return handlers


__all__ = ["retry_handlers"]
