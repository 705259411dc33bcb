"""The sandbox: the real bot against the emulators, as `make run` starts it without
settings; through `--script` and through its prompt in a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
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
!help
!world
/harness-logs deploy_checkout
!press Refresh link
/harness-logs deploy_chekout
/harness-logs "Deploy Checkout" 41
!fail deploy_checkout
!fail deploy_checkout
!fail integration
!press Retry
!press mute for 1 hour
!fail deploy_checkout
!paste deploy_checkout 42
!home
!quit
/harness-logs never reached
"""


def after(out: str, line: str) -> str:
    """What the transcript shows for one line of the script."""
    return out.split(f"> {line}\n", 1)[1].split("\n> ", 1)[0]


async def test_a_script_prints_the_whole_session(capsys: pytest.CaptureFixture[str]) -> None:
    # The session in this process (the prompt test below runs the console script).
    assert await run_lines(SCRIPT.splitlines()) == 0
    out = capsys.readouterr().out
    # !help lists the commands, one example each; !world the pipelines with failed runs.
    assert "!fail deploy_checkout " in after(out, "!help") and "!paste" in after(out, "!help")
    assert "deploy_checkout        Deploy Checkout          #41 ✓ #42 ✗" in after(out, "!world")
    assert "#incident is subscribed to: deploy_checkout." in after(out, "!world")
    post = after(out, "/harness-logs deploy_checkout")
    assert "── only you (the acknowledgement)" in post
    assert "Deploy Checkout #42" in post and "❌ Failed" in post  # emoji, not :x:
    assert "[REDACTED" in out and "hunter2-Sup3rS3cret" not in out  # the planted secret
    # Rendered for a terminal: no Slack markup, people by name, links short and once.
    assert "*Deploy" not in out and ":x:" not in out and "<http" not in out and "<@" not in out
    assert "Requested by @you" in post
    assert post.count("/logs.zip") == 1 and "X-Amz-Signature" not in post
    # Refresh link: a fresh link, shown as the lines that changed.
    refreshed = after(out, "!press Refresh link")
    assert "── updated in" in refreshed
    (went,) = [line for line in refreshed.splitlines() if line.startswith("- [⬇️ Download")]
    (came,) = [line for line in refreshed.splitlines() if line.startswith("+ [⬇️ Download")]
    assert went != came and "+   Link refreshed by @you" in refreshed
    # A suggestion reads as it is typed, and typed so it works.
    assert 'Did you mean "Deploy Checkout", deploy_checkout?' in out
    assert "Deploy Checkout #41" in after(out, '/harness-logs "Deploy Checkout" 41')
    # Every !fail says what happened.
    assert "the bot posted to #incident" in after(out, "!fail deploy_checkout")
    assert out.count(":new:") == 0 and out.count("🆕 First failure: was green in run #41") == 1
    assert "Triggered by @you (manual)" in out
    assert "already reported: the bot acts on each notification once" in out
    assert "no channel is subscribed to integration" in after(out, "!fail integration")
    assert "(Slack asks first: Retry failed stages?" in out
    assert "retried the failed stages (Deploy Prod) → run #43" in out
    assert "muted Deploy Checkout in this channel until" in out
    assert re.search(
        r"deploy_checkout is muted in #incident until \d{4}-\d\d-\d\d \d\d:\d\d UTC", out
    )
    # A pasted link unfolds; App Home opens.
    assert "── the link unfolds in #incident" in after(out, "!paste deploy_checkout 42")
    home = after(out, "!home")
    assert "── your App Home tab" in home and "#incident: Deploy Checkout" in home
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
