"""Running the bot as a real process in tests and benchmarks: its binary, a clean
environment, settings pointing at the emulators, a free port.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from tests.emulators.harness import HarnessEmulator
from tests.emulators.slack import BOT_TOKEN, SIGNING_SECRET, SlackEmulator

BIN = Path(sys.executable).with_name("harness-logs-bot")


def clean_env(**values: str) -> dict[str, str]:
    """The parent's environment without any setting of ours, plus `values`."""
    prefixes = ("SLACK_", "HARNESS_", "BOT_", "PORT", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(values)
    return env


async def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def bot_env(harness: HarnessEmulator, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    """Settings for a bot process talking to the emulators."""
    return clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        HARNESS_API_KEY=harness.api_key,
        HARNESS_ACCOUNT_ID=harness.account,
        HARNESS_BASE_URL=harness.base_url,
        HARNESS_DEFAULT_PROJECT="shop",
        **extra,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
