"""Running the bot as a real process in tests and benchmarks: its binary, a clean
environment, settings pointing at the emulators, and the port it bound.

Processes are started on port 0 and report the port they were given in their
start-up log line, so no test picks a port that someone else may take first.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.clock import Clock
from emulators.harness import HarnessEmulator
from emulators.slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, SlackEmulator

BIN = Path(sys.executable).with_name("harness-logs-bot")


def clean_env(**values: str) -> dict[str, str]:
    """The parent's environment without any setting of ours, plus `values`."""
    prefixes = ("SLACK_", "HARNESS_", "BOT_", "PORT", "LOG_LEVEL")
    # A proxy of the machine's would stand between the bot and the loopback emulators.
    proxies = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(prefixes) and k.lower() not in proxies
    }
    # Only a .env in the working directory counts, never the checkout's own.
    env["HARNESS_LOGS_DOTENV"] = ".env"
    env.update(values)
    return env


async def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def use_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], cwd: Path) -> None:
    """This process's environment and working directory replaced, as a fresh start of the
    bot would see them (for entry points driven in-process)."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)


def bot_env(harness: HarnessEmulator, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    """Settings for a bot process talking to the emulators."""
    settings = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "HARNESS_API_KEY": harness.api_key,
        "HARNESS_ACCOUNT_ID": harness.account,
        "HARNESS_BASE_URL": harness.base_url,
        "HARNESS_DEFAULT_PROJECT": "shop",
    }
    return clean_env(**{**settings, **extra})


def signed_command(
    slack: SlackEmulator,
    text: str,
    response_id: str,
    user: str = "U0BENCH0001",
    host: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A `/harness-logs` request body and headers, signed as Slack signs them; `host`
    names the emulator in the `response_url` (a name only a proxy knows)."""
    response_url = slack.response_url(response_id)
    if host is not None:
        response_url = response_url.replace("127.0.0.1", host, 1)
    body = urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0INCIDENT",
            "user_id": user,
            "command": "/harness-logs",
            "text": text,
            "response_url": response_url,
            "trigger_id": f"trig.{response_id}",
        }
    )
    ts = str(int(Clock().time()))  # the process's clock is the system's
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    return body.encode(), {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": str(signature),
    }


LISTENING = re.compile(r"listening on \S+:(\d+)")


@dataclass
class Serving:
    """A bot process that has bound its port; `logs` fills as it writes to stderr."""

    proc: asyncio.subprocess.Process
    url: str
    logs: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the process and wait for it to exit (and for its last log lines)."""
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self.reader is not None:
            await self.reader
        return code

    def log_text(self) -> str:
        return "".join(self.logs)


@asynccontextmanager
async def serving(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 20
) -> AsyncIterator[Serving]:
    """Start the bot (with `--port 0` or `PORT=0`) and yield once it is listening."""
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stderr=asyncio.subprocess.PIPE
    )
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    lines: list[str] = []

    async def read() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode(errors="replace")
            lines.append(line)
            if not bound.done() and (match := LISTENING.search(line)):
                bound.set_result(int(match[1]))
        if not bound.done():
            bound.set_exception(AssertionError("the bot exited before serving:\n" + "".join(lines)))

    reader = asyncio.create_task(read())
    try:
        port = await asyncio.wait_for(bound, timeout)
        yield Serving(proc, f"http://127.0.0.1:{port}", lines, reader)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await reader
