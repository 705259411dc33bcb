"""The Harness client against the emulator: retries, deadlines, the budget, streams."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from bot.clock import Clock
from bot.domain.windows import LocalWindow
from bot.harness.budget import Budget
from bot.harness.client import HarnessClient
from bot.harness.endpoints import ENDPOINTS, PIPELINES_LIST, Endpoint
from bot.harness.errors import HarnessError, HarnessUnavailableError
from bot.harness.retrying import RetryPolicy
from emulators.harness import HarnessEmulator, RateLimits


def client_for(harness: HarnessEmulator, http: httpx.AsyncClient, deadline: float) -> HarnessClient:
    return HarnessClient(
        http,
        base_url=harness.base_url,
        api_key=harness.api_key,
        account_id=harness.account,
        retry=RetryPolicy(deadline=deadline, initial_delay=0.01),
        clock=Clock(),
    )


async def test_retry_after_is_honoured_on_the_wire(harness: HarnessEmulator) -> None:
    harness.fail_next("pipelines.list", 429, retry_after="1")
    async with httpx.AsyncClient() as http:
        client = client_for(harness, http, deadline=10)
        await client.request_json(
            PIPELINES_LIST, params={"orgIdentifier": "default", "projectIdentifier": "shop"}
        )
    first, second = harness.calls("pipelines.list")
    assert len(harness.calls("pipelines.list")) == 2
    gap = harness.request_times[1] - harness.request_times[0]
    assert gap >= 1.0, f"retried after {gap:.2f}s despite Retry-After: 1"
    assert first.headers["x-api-key"] == second.headers["x-api-key"] == harness.api_key


async def test_past_harness_rate_limit_calls_back_off_until_they_get_through(
    harness: HarnessEmulator,
) -> None:
    # Harness's edge answers 429 without Retry-After past a key's calls a minute; the
    # window is shrunk here so the test takes a moment, not a minute.
    harness.rate_limits = RateLimits(calls=3, window=0.3)
    async with httpx.AsyncClient() as http:
        client = client_for(harness, http, deadline=10)
        answers = await asyncio.gather(
            *(
                client.request_json(
                    PIPELINES_LIST,
                    params={"orgIdentifier": "default", "projectIdentifier": "shop"},
                )
                for _ in range(6)
            )
        )
    assert all(answer["status"] == "SUCCESS" for answer in answers)
    assert harness.rate_limited > 0  # some were refused, and tried again


async def test_gives_up_at_the_deadline(harness: HarnessEmulator) -> None:
    harness.fail_next("pipelines.list", 503, times=10_000)
    async with httpx.AsyncClient() as http:
        client = client_for(harness, http, deadline=0.5)
        started = time.monotonic()
        with pytest.raises(HarnessUnavailableError, match="HTTP 503"):
            await client.request_json(PIPELINES_LIST)
    assert time.monotonic() - started < 3
    assert len(harness.calls("pipelines.list")) >= 3


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_every_endpoint_carries_its_account_parameter_and_counts_under_its_name(
    harness: HarnessEmulator, endpoint: Endpoint
) -> None:
    seen: list[tuple[str, str]] = []
    async with httpx.AsyncClient() as http:
        client = HarnessClient(
            http,
            base_url=harness.base_url,
            api_key=harness.api_key,
            account_id=harness.account,
            retry=RetryPolicy(deadline=1),
            clock=Clock(),
            on_request=lambda label, outcome: seen.append((label, outcome)),
        )
        if endpoint.method == "GET" and "{id}" not in endpoint.path:
            with contextlib.suppress(HarnessError):
                async with client.stream(endpoint, params={"key": "nothing/here"}):
                    pass
        else:
            with contextlib.suppress(HarnessError):
                await client.request_json(
                    endpoint, path={"id": "exec1", "pipeline": "p1"}, params={"prefix": "p"}
                )
    (request,) = [r for r in harness.requests if r.path.startswith("/gateway/")]
    assert request.query[endpoint.account_param] == harness.account
    assert request.method == endpoint.method
    assert seen and seen[0][0] == endpoint.name


async def test_an_outage_cannot_turn_into_a_retry_storm(harness: HarnessEmulator) -> None:
    harness.fail_next("pipelines.list", 503, times=10_000)
    async with httpx.AsyncClient() as http:
        client = HarnessClient(
            http,
            base_url=harness.base_url,
            api_key=harness.api_key,
            account_id=harness.account,
            retry=RetryPolicy(deadline=1.0, initial_delay=0.001, max_delay=0.01),
            clock=Clock(),
            # The budget, shared by every call and retry of this process.
            budget=Budget(LocalWindow(Clock().monotonic), calls=5),
        )
        with pytest.raises(HarnessUnavailableError):
            await client.request_json(
                PIPELINES_LIST, params={"page": 0, "size": 1}, json={"filterType": "x"}
            )
    # Without the budget this would be ~100 calls in the second of retrying.
    assert len(harness.calls("pipelines.list")) <= 6
