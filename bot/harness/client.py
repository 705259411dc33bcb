"""Authenticated calls to Harness: JSON answers and streamed bodies.

One `httpx.AsyncClient` serves the whole process (connection pooling). Each call
goes to `{base}/gateway/...` with the key and the account; transient failures are
tried again as bot/harness/retrying.py says, anything else raises its `HarnessError`
(bot/harness/errors.py). Every call and every retry first takes a turn in the key's
budget (bot/harness/budget.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from bot.clock import Clock
from bot.domain.windows import LocalWindow
from bot.harness.budget import Budget, BudgetSkipped
from bot.harness.endpoints import Endpoint
from bot.harness.errors import (
    HarnessBadResponseError,
    HarnessBudgetError,
    HarnessUnavailableError,
)
from bot.harness.retrying import RetryPolicy, TransientError, failure, retrying
from bot.harness.streaming import ByteStream, StreamOpener, StreamTransportError

log = logging.getLogger(__name__)

QueryValue = str | int | list[str]  # a list repeats the parameter


@dataclass(frozen=True)
class _Body:
    json: Any = None
    yaml: str | None = None


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
            except TransientError as exc:
                raise HarnessUnavailableError(exc.reason) from None
        try:
            async for attempt in retrying(self._retry):
                with attempt:
                    again = attempt.retry_state.attempt_number > 1
                    return await self._send_once(method, url, query, body, label, again)
        except TransientError as exc:
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
            async for attempt in retrying(self._retry):
                with attempt:
                    async with self._open_stream(url, query, label) as response:
                        yield response
                        return
        except TransientError as exc:
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
                raise TransientError(f"network error: {exc}", network=True) from None
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
        raise failure(failed, self._secrets, self.clock.time())

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
            raise TransientError(
                f"network error: cannot reach {urlsplit(url).netloc} ({why})", network=True
            ) from None
        status = response.status_code
        self._count(label, str(status))
        if status >= 400:
            raise failure(response, self._secrets, self.clock.time())
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
                raise TransientError("the bot's budget of Harness calls is spent for now")
            return
        try:
            await self.budget.spend()
        except BudgetSkipped as exc:
            self._count(label, "skipped")
            raise HarnessBudgetError(str(exc)) from None

    def _count(self, label: str, outcome: str) -> None:
        if self._on_request is not None:
            self._on_request(label, outcome)
