"""Helpers the benchmarks share: signed slash commands and waiting for a server."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.emulators import slack as slack_emu
from tests.emulators.slack import SlackEmulator


def signed_command(
    slack: SlackEmulator, text: str, response_id: str, user: str = "U0BENCH0001"
) -> tuple[bytes, dict[str, str]]:
    """A `/harness-logs` request body and headers, signed as Slack signs them."""
    body = urlencode(
        {
            "team_id": slack_emu.TEAM_ID,
            "channel_id": "C0INCIDENT",
            "user_id": user,
            "command": "/harness-logs",
            "text": text,
            "response_url": slack.response_url(response_id),
            "trigger_id": response_id,
        }
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(slack_emu.SIGNING_SECRET).generate_signature(
        timestamp=ts, body=body
    )
    return body.encode(), {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": str(signature),
    }


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
