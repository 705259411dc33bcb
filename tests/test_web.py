"""Requests being acknowledged go before new work (`bot/web.py`'s Arrivals)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from bot.web import Arrivals


@asynccontextmanager
async def request_held(arrivals: Arrivals, method: str = "POST") -> AsyncIterator[asyncio.Event]:
    """A server with `arrivals` and one request inside its handler until the yielded
    event is set."""
    reached, release = asyncio.Event(), asyncio.Event()

    async def held(_request: web.Request) -> web.Response:
        reached.set()
        await release.wait()
        return web.Response(text="ok")

    app = web.Application(middlewares=[arrivals.middleware])
    app.router.add_route(method, "/held", held)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/held"
    try:
        async with aiohttp.ClientSession() as session:
            request = asyncio.create_task(session.request(method, url))
            await asyncio.wait_for(reached.wait(), 5)
            yield release
            release.set()
            (await request).close()
    finally:
        await runner.cleanup()


async def test_work_waits_for_requests_being_acknowledged_then_goes() -> None:
    arrivals = Arrivals(longest=30)
    await asyncio.wait_for(arrivals.quiet(), 5)  # nothing in flight: at once
    async with request_held(arrivals) as release:
        waiting = asyncio.create_task(arrivals.quiet())
        await asyncio.sleep(0)  # one turn of the loop: it is waiting, not done
        assert not waiting.done() and arrivals.in_flight == 1
        release.set()
        await asyncio.wait_for(waiting, 5)


async def test_a_request_that_never_ends_delays_work_only_a_moment() -> None:
    arrivals = Arrivals(longest=0.01)
    async with request_held(arrivals):
        await asyncio.wait_for(arrivals.quiet(), 5)  # gives up waiting, does not hang
        assert arrivals.in_flight == 1


async def test_probes_hold_nothing_up() -> None:
    arrivals = Arrivals(longest=30)
    async with request_held(arrivals, "GET"):
        assert arrivals.in_flight == 0
        await asyncio.wait_for(arrivals.quiet(), 5)
