"""`harness-logs-bot fetch`: the slash command's words in a terminal, against the
Harness emulator; text, JSON and exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.fetch_cli import run as fetch_run
from emulators.harness import HarnessEmulator
from emulators.harness.world import ROLLOUT_FAILURE
from emulators.slack import SlackEmulator
from tests.processes import bot_env, clean_env, use_environment


@pytest.fixture
def environment(
    harness: HarnessEmulator, slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The process's environment as a terminal user's: Harness settings, no Slack."""
    env = bot_env(harness, slack, HARNESS_EXPORT_POLL_INTERVAL="0.01")
    env.pop("SLACK_BOT_TOKEN")  # the terminal needs no Slack at all
    use_environment(monkeypatch, env, tmp_path)


async def fetch(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await fetch_run(argv)
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("environment")
async def test_fetch_prints_what_failed_and_the_link_and_json_for_scripts(
    harness: HarnessEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    expires = harness.clock_now().replace(second=0, microsecond=0) + timedelta(hours=20)
    harness.link_expiry = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out = await fetch(["deploy_checkout", "#42"], capsys)
    assert code == 0, out
    assert out.startswith("Deploy Checkout #42: Failed")
    assert f"Failed in Deploy Prod › Rollout: {ROLLOUT_FAILURE}" in out
    assert "[timeout or out of memory]" in out
    assert f"Download (expires {expires:%Y-%m-%d %H:%M} UTC): http://127.0.0.1:" in out
    code, out = await fetch(["deploy_checkout #42", "--json"], capsys)
    answer = json.loads(out)
    assert code == 0
    assert (answer["pipeline"], answer["run"], answer["status"]) == (
        "deploy_checkout",
        42,
        "Failed",
    )
    assert answer["link"].startswith("http://127.0.0.1:") and answer["problem"] is None
    assert answer["failures"][0]["category"] == "timeout_or_oom"


@pytest.mark.usefixtures("environment")
async def test_a_problem_harness_reports_is_exit_1(
    harness: HarnessEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.fail_next("logs.export", 403, times=2, body={"error_msg": "forbidden"})
    code, out = await fetch(["deploy_checkout", "--json"], capsys)
    assert code == 1
    assert json.loads(out)["problem"] == "access"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["fetch", "deploy_checkout", "#abc"], "not a run number"),
        (["fetch", "subscribe", "deploy_checkout"], "subscriptions live in Slack"),
        (["fetch", "deploy_checkout"], "HARNESS_API_KEY: is required"),
    ],
)
def test_bad_input_or_settings_is_exit_2(
    argv: list[str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    use_environment(monkeypatch, clean_env(), tmp_path)
    assert main(argv) == 2
    assert says in capsys.readouterr().err
