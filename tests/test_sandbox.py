"""The sandbox: the real bot against the emulators, as `make run` starts it without
settings; through `--script` and through its prompt in a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.sandbox import main as sandbox_main
from bot.sandbox import run_session as run_lines
from bot.sandbox.run import main as run_main
from tests.processes import BIN, clean_env, use_environment

SCRIPT = """\
/harness-logs deploy_checkout
!press Refresh link
/harness-logs deploy_chekout
!fail deploy_checkout
!press Retry
!press mute for 1 hour
!quit
/harness-logs never reached
"""


async def test_a_script_prints_the_whole_session(capsys: pytest.CaptureFixture[str]) -> None:
    # The session in this process (the prompt test below runs the console script).
    assert await run_lines(SCRIPT.splitlines()) == 0
    out = capsys.readouterr().out
    assert "> /harness-logs deploy_checkout" in out
    assert "── only you (the acknowledgement)" in out
    assert "── #incident" in out and "Deploy Checkout #42" in out
    assert "[REDACTED" in out and "hunter2-Sup3rS3cret" not in out  # the planted secret
    assert "[:arrow_down: Download logs] <http://127.0.0.1:" in out
    assert "replacing the message" in out and "Link refreshed by" in out  # the button
    assert 'Did you mean `"Deploy Checkout"`, `deploy_checkout`?' in out
    # An alert shows once, as it reads when the bot is done (posted, then filled in).
    assert "── posted in #incident" in out and "Preparing the logs export" not in out
    assert out.count(":new: First failure: was green in run #41") == 1
    # The alert's triage: who started the run, its history, retry and mute.
    assert "Triggered by @U0SANDBOX1 (manual)" in out
    assert ":new: First failure: was green in run #41" in out
    assert "(Slack asks first: Retry failed stages?" in out
    assert "retried the failed stages (*Deploy Prod*) → run #43" in out
    assert "muted *Deploy Checkout* in this channel until" in out
    assert "never reached" not in out.split("> !quit", 1)[1]


def test_make_run_without_settings_says_it_is_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_environment(monkeypatch, clean_env(), tmp_path)
    monkeypatch.setattr(sys, "argv", ["run", "--script", os.devnull])
    assert run_main() == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("No Slack or Harness settings found, so this is the sandbox")


def test_the_prompt_in_a_terminal(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN), "sandbox"],
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=clean_env(TERM="dumb"),
        cwd=tmp_path,
    )
    os.close(terminal)
    seen = b""

    def until(text: bytes, seconds: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while text not in seen:  # read the terminal with a deadline
            assert time.monotonic() < deadline, seen.decode(errors="replace")[-2000:]
            try:
                seen += os.read(controller, 65536)
            except OSError:
                break

    try:
        until(b"> ")
        os.write(controller, b"/harness-logs deploy_checkout #41\n")
        until(b"Deploy Checkout #41")
        until(b"\n> ")
        os.write(controller, b"!quit\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    assert b"Success" in seen


def test_a_missing_script_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sandbox_main(["--script", str(tmp_path / "nope.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_half_filled_env_is_the_real_bot_naming_what_is_missing(tmp_path: Path) -> None:
    # Harness settings only: somebody meant the real bot, so no sandbox hides the gap.
    (tmp_path / ".env").write_text(
        "HARNESS_API_KEY=pat.x.y.z\nHARNESS_ACCOUNT_ID=acct\nHARNESS_DEFAULT_PROJECT=shop\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bot.sandbox.run", "--script", os.devnull],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "sandbox" not in proc.stdout
    assert "SLACK_BOT_TOKEN: is required" in proc.stderr
    assert "HARNESS_API_KEY" not in proc.stderr  # given: not named as missing
