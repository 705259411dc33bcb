"""When a Harness call is tried again: backoff, Retry-After in both forms, and which
failed answers are retried at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from tenacity import RetryCallState

from bot.harness.errors import NoLogsError, TooManyLogFilesError
from bot.harness.retrying import (
    BackoffHonouringRetryAfter,
    RetryPolicy,
    TransientError,
    failure,
    parse_retry_after,
)


def state_after(exc: Exception, attempt: int) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_retry_after_is_a_floor_on_the_backoff() -> None:
    wait = BackoffHonouringRetryAfter(RetryPolicy(initial_delay=0.01, max_delay=30))
    assert wait(state_after(TransientError("429", retry_after=7), 1)) >= 7
    assert wait(state_after(TransientError("503"), 1)) <= 0.02


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    wait = BackoffHonouringRetryAfter(RetryPolicy(initial_delay=0.5, max_delay=30))
    delays = [wait(state_after(TransientError("503"), 8)) for _ in range(50)]
    assert max(delays) <= 30
    assert len({round(d, 3) for d in delays}) > 10  # jittered, not in lockstep


def test_retry_after_in_both_http_forms() -> None:
    now = 1_000_000_000.0
    assert parse_retry_after("3", now) == 3.0
    when = datetime.fromtimestamp(now, UTC) + timedelta(seconds=10)
    assert parse_retry_after(format_datetime(when, usegmt=True), now) == 10.0
    assert parse_retry_after(format_datetime(when, usegmt=True), now + 60) == 0.0  # passed
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_a_busy_harness_is_tried_again_after_what_it_asks() -> None:
    busy = httpx.Response(503, headers={"retry-after": "4"}, json={"message": "overloaded"})
    answer = failure(busy, (), now=0.0)
    assert isinstance(answer, TransientError)
    assert answer.retry_after == 4.0 and "overloaded" in answer.reason


def test_log_service_answers_that_mean_the_same_whatever_the_status_are_not_retried() -> None:
    """The download limit comes back as a 500: retrying it would only spend the budget."""
    limit = httpx.Response(500, json={"error_msg": "Prefix Key Exceeds Maximum Download Limit"})
    assert isinstance(failure(limit, (), now=0.0), TooManyLogFilesError)
    empty = httpx.Response(503, json={"error_msg": "cannot list files for prefix"})
    assert isinstance(failure(empty, (), now=0.0), NoLogsError)
