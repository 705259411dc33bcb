"""Helpers the benchmarks share: signed slash commands (from tests/processes.py) and
waiting for a server."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.processes import signed_command


async def wait_until_up(url: str, seconds: float = 30) -> None:
    """Poll `url` until it answers 200 (a process starting up), with a deadline."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.05)


__all__ = ["signed_command", "wait_until_up"]
