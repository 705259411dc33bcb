"""Authenticated JSON calls to Harness with timeouts, retries and error mapping.

One `httpx.AsyncClient` serves the whole process (connection pooling). Transient
failures (429, 5xx, network errors) are retried with exponential backoff and
jitter, waiting at least as long as `Retry-After` asks, until an overall
deadline; everything else maps to a `HarnessError` subclass at once. Every call
and every retry first takes a turn in the key's budget (`bot/harness/budget.py`).
A host that cannot be reached at all (no such name, connection refused) may be given
a shorter deadline of its own (`RetryPolicy.network_deadline`): a person at a
terminal should hear about it in seconds, not after the deadline meant for a busy
Harness.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_before_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from bot.clock import Clock
from bot.domain.windows import LocalWindow
from bot.harness.budget import Budget, BudgetSkipped
from bot.harness.endpoints import Endpoint
from bot.harness.errors import (
    HarnessAuthError,
    HarnessBadResponseError,
    HarnessBudgetError,
    HarnessError,
    HarnessNotFoundError,
    HarnessRequestError,
    HarnessUnavailableError,
    NoLogsError,
    TooManyLogFilesError,
)
from bot.harness.streaming import ByteStream, StreamOpener, StreamTransportError

log = logging.getLogger(__name__)

QueryValue = str | int | list[str]  # a list repeats the parameter
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_DETAIL = 300
# Log-service answers whose meaning is permanent whatever their HTTP status
# (the download limit comes back as a 500, which would otherwise be retried).
_PERMANENT_TEXTS: tuple[tuple[str, type[HarnessError]], ...] = (
    ("cannot list files for prefix", NoLogsError),
    ("prefix key exceeds maximum download limit", TooManyLogFilesError),
)


@dataclass(frozen=True)
class RetryPolicy:
    deadline: float = 600.0
    initial_delay: float = 0.5
    max_delay: float = 30.0
    # When set, network failures (nothing answered at all) stop being retried after
    # this many seconds; answers such as 429 or 503 still get `deadline`.
    network_deadline: float | None = None


@dataclass(frozen=True)
class _Body:
    json: Any = None
    yaml: str | None = None


class _TransientError(Exception):
    """A retryable failure; carries what Harness asked us to wait, and whether nothing
    answered at all (`network`)."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, network: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.network = network


class _UnreachableFor(stop_base):
    """Stop once the last failure was a network one and `seconds` have passed (or
    would have, after the next wait)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if not (isinstance(exc, _TransientError) and exc.network):
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


class _BackoffHonouringRetryAfter:
    """Exponential backoff with full jitter, never shorter than Retry-After."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._jitter = wait_random_exponential(
            multiplier=policy.initial_delay, max=policy.max_delay
        )

    def __call__(self, state: RetryCallState) -> float:
        delay = float(self._jitter(state))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _TransientError) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return delay


def error_detail(response: httpx.Response, secrets: tuple[str, ...] = ()) -> str:
    """Harness's error text from any of its error shapes, trimmed and scrubbed."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("error_msg", "message", "error", "errorMessage"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    if not text and body is None:
        text = response.text.strip() if len(response.content) < 4096 else ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    text = " ".join(text.split())
    return text[:_MAX_DETAIL] + ("…" if len(text) > _MAX_DETAIL else "")


def map_error(response: httpx.Response, detail: str) -> HarnessError:
    lowered = detail.lower()
    for needle, error_type in _PERMANENT_TEXTS:
        if needle in lowered:
            return error_type(detail, status=response.status_code)
    status = response.status_code
    if status in (401, 403):
        return HarnessAuthError(detail, status=status)
    if status == 404 or "does not exist" in lowered or "not found" in lowered:
        return HarnessNotFoundError(detail, status=status)
    return HarnessRequestError(detail, status=status)


class HarnessClient:
    """JSON over HTTP to `{base}/gateway/...`, with auth and account routing."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        account_id: str,
        retry: RetryPolicy,
        clock: Clock,
        secrets: tuple[str, ...] = (),
        on_request: Callable[[str, str], None] | None = None,
        streams: StreamOpener | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._http = http
        self.clock = clock
        # Every call and every retry draws from one budget below Harness's limit per key,
        # so an outage cannot turn into a retry storm (in-process unless one is shared).
        self.budget = budget or Budget(LocalWindow(clock.monotonic), calls=900)
        self._streams = streams or StreamOpener()
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.account_id = account_id
        self._retry = retry
        # Scrubbed from any Harness text we pass on: an error body can echo a header.
        self._secrets = (api_key, *secrets)
        self._on_request = on_request

    @property
    def base_url(self) -> str:
        return self._base_url

    async def request_json(
        self,
        endpoint: Endpoint,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, QueryValue] | None = None,
        json: Any = None,
        yaml: str | None = None,
        retry: bool = True,
    ) -> Any:
        """Send one call (retrying transient failures) and return the decoded JSON body.

        `path` fills the endpoint's placeholders; `yaml` is a YAML body (input sets);
        `retry=False` is for probes.
        """
        url, query = self._gateway(endpoint, path, params)
        label = endpoint.name
        method = endpoint.method
        started = self.clock.monotonic()
        body = _Body(json, yaml)
        if not retry or not endpoint.retried:
            try:
                return await self._send_once(method, url, query, body, label)
            except _TransientError as exc:
                raise HarnessUnavailableError(exc.reason) from None
        try:
            async for attempt in self._retrying():
                with attempt:
                    retrying = attempt.retry_state.attempt_number > 1
                    return await self._send_once(method, url, query, body, label, retrying)
        except _TransientError as exc:
            waited = self.clock.monotonic() - started
            log.warning("harness %s gave up after %.1fs: %s", label, waited, exc.reason)
            raise HarnessUnavailableError(f"{exc.reason}; gave up after {waited:.0f} s") from None
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def stream(
        self, endpoint: Endpoint, *, params: Mapping[str, QueryValue]
    ) -> AsyncIterator[ByteStream]:
        """GET whose body is read as a stream; failures before the body are retried."""
        url, query = self._gateway(endpoint, None, params)
        label = endpoint.name
        try:
            async for attempt in self._retrying():
                with attempt:
                    async with self._open_stream(url, query, label) as response:
                        yield response
                        return
        except _TransientError as exc:
            raise HarnessUnavailableError(exc.reason) from None

    def _gateway(
        self,
        endpoint: Endpoint,
        path: Mapping[str, str] | None,
        params: Mapping[str, QueryValue] | None,
    ) -> tuple[str, dict[str, QueryValue]]:
        """`{base}/gateway/<path>` and its query, with the account on every call."""
        query: dict[str, QueryValue] = {
            endpoint.account_param: self.account_id,
            "routingId": self.account_id,
        }
        query.update(params or {})
        filled = endpoint.path.format(**{k: quote(v, safe="") for k, v in (path or {}).items()})
        return f"{self._base_url}/gateway/{filled}", query

    def _retrying(self) -> AsyncRetrying:
        stop: stop_base = stop_before_delay(self._retry.deadline)
        if self._retry.network_deadline is not None:
            stop = stop | _UnreachableFor(self._retry.network_deadline)
        return AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, _TransientError)),
            wait=_BackoffHonouringRetryAfter(self._retry),
            stop=stop,
            reraise=True,
        )

    @asynccontextmanager
    async def _open_stream(
        self, url: str, query: Mapping[str, QueryValue], label: str
    ) -> AsyncIterator[ByteStream]:
        headers = {"x-api-key": self._api_key, "accept-encoding": "gzip, identity"}
        params = {key: str(value) for key, value in query.items()}
        await self._spend(label, retrying=False)
        async with AsyncExitStack() as stack:
            # Only opening and error bodies are retried here: whatever the caller does
            # with a good body (the yield) is its own business, never retried.
            try:
                response = await stack.enter_async_context(
                    self._streams.get(url, params=params, headers=headers)
                )
                self._count(label, str(response.status))
                body = b"" if response.status < 400 else await response.read()
            except StreamTransportError as exc:
                self._count(label, "network_error")
                raise _TransientError(f"network error: {exc}", network=True) from None
            if response.status < 400:
                yield response
                return
        # Harness's error shapes are parsed once, by the same code as for JSON calls.
        failed = httpx.Response(
            response.status,
            headers=list(response.headers.items()),
            content=body,
            request=httpx.Request("GET", url),
        )
        detail = error_detail(failed, self._secrets)
        if response.status in TRANSIENT_STATUSES and not any(
            needle in detail.lower() for needle, _ in _PERMANENT_TEXTS
        ):
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.time())
            raise _TransientError(f"HTTP {response.status} {detail}".strip(), retry_after)
        raise map_error(failed, detail)

    async def _send_once(
        self,
        method: str,
        url: str,
        query: Mapping[str, QueryValue],
        body: _Body,
        label: str,
        retrying: bool = False,
    ) -> Any:
        headers = {"x-api-key": self._api_key, "accept": "application/json"}
        if body.yaml is not None:
            headers["content-type"] = "application/yaml"
        elif body.json is not None or method == "POST":
            headers["content-type"] = "application/json"
        await self._spend(label, retrying)
        try:
            if body.yaml is not None:
                response = await self._http.request(
                    method, url, params=query, content=body.yaml.encode(), headers=headers
                )
            else:
                response = await self._http.request(
                    method, url, params=query, json=body.json, headers=headers
                )
        except httpx.TransportError as exc:
            self._count(label, "network_error")
            # The host and what went wrong, so "cannot reach" says where and why.
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise _TransientError(
                f"network error: cannot reach {urlsplit(url).netloc} ({why})", network=True
            ) from None
        status = response.status_code
        if status >= 400:
            detail = error_detail(response, self._secrets)
            if status in TRANSIENT_STATUSES and not any(
                needle in detail.lower() for needle, _ in _PERMANENT_TEXTS
            ):
                self._count(label, str(status))
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), self.clock.time()
                )
                raise _TransientError(f"HTTP {status} {detail}".strip(), retry_after)
            self._count(label, str(status))
            raise map_error(response, detail)
        self._count(label, str(status))
        try:
            return response.json()
        except ValueError:
            raise HarnessBadResponseError(
                f"{label} answered {status} with a body that is not JSON", status=status
            ) from None

    async def _spend(self, label: str, retrying: bool) -> None:
        """A first call waits its turn in the budget (an extra is skipped instead); a
        retry with the budget spent is not sent at all (it counts as another transient
        failure until the deadline)."""
        if retrying:
            if not await self.budget.spend_now():
                self._count(label, "over_budget")
                raise _TransientError("the bot's budget of Harness calls is spent for now")
            return
        try:
            await self.budget.spend()
        except BudgetSkipped as exc:
            self._count(label, "skipped")
            raise HarnessBudgetError(str(exc)) from None

    def _count(self, label: str, outcome: str) -> None:
        if self._on_request is not None:
            self._on_request(label, outcome)
