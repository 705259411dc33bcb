"""When a Harness call is tried again, and after how long.

Transient failures (429, 5xx, network errors) are retried with exponential backoff
and full jitter, never sooner than `Retry-After` asks, until an overall deadline. A
host that cannot be reached at all (no such name, connection refused) may be given a
shorter deadline of its own (`RetryPolicy.network_deadline`): a person at a terminal
should hear about it in seconds, not after the deadline meant for a busy Harness.
Anything else fails at once with its `HarnessError` (bot/harness/errors.py).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_before_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from bot.harness.errors import error_detail, map_error, permanent

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    deadline: float = 600.0
    initial_delay: float = 0.5
    max_delay: float = 30.0
    # When set, network failures (nothing answered at all) stop being retried after
    # this many seconds; answers such as 429 or 503 still get `deadline`.
    network_deadline: float | None = None


class TransientError(Exception):
    """A retryable failure (it never leaves the Harness client); carries what Harness
    asked us to wait, and whether nothing answered at all (`network`)."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, network: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.network = network


class UnreachableFor(stop_base):
    """Stop once the last failure was a network one and `seconds` have passed (or
    would have, after the next wait)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if not (isinstance(exc, TransientError) and exc.network):
            return False
        elapsed = state.seconds_since_start or 0.0
        return elapsed + (state.upcoming_sleep or 0.0) >= self._seconds


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds, or an HTTP date
    compared with `now`, the wall time in seconds)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class BackoffHonouringRetryAfter:
    """Exponential backoff with full jitter, never shorter than Retry-After."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._jitter = wait_random_exponential(
            multiplier=policy.initial_delay, max=policy.max_delay
        )

    def __call__(self, state: RetryCallState) -> float:
        delay = float(self._jitter(state))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return delay


def failure(response: httpx.Response, secrets: tuple[str, ...], now: float) -> Exception:
    """What a failed answer (status 400 or more) means: a `TransientError` to try again
    (with what Retry-After asks, `now` being the wall time), or its `HarnessError`."""
    detail = error_detail(response, secrets)
    status = response.status_code
    if status in TRANSIENT_STATUSES and not permanent(detail):
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        return TransientError(f"HTTP {status} {detail}".strip(), retry_after)
    return map_error(response, detail)


def retrying(policy: RetryPolicy) -> AsyncRetrying:
    """Tenacity's loop for one call under `policy` (only `TransientError` is retried)."""
    stop: stop_base = stop_before_delay(policy.deadline)
    if policy.network_deadline is not None:
        stop = stop | UnreachableFor(policy.network_deadline)
    return AsyncRetrying(
        retry=retry_if_exception(lambda e: isinstance(e, TransientError)),
        wait=BackoffHonouringRetryAfter(policy),
        stop=stop,
        reraise=True,
    )


__all__ = [
    "TRANSIENT_STATUSES",
    "BackoffHonouringRetryAfter",
    "RetryPolicy",
    "TransientError",
    "UnreachableFor",
    "failure",
    "parse_retry_after",
    "retrying",
]
