"""`harness-logs-bot` as a real process: settings errors, start-up, clean shutdown."""

from __future__ import annotations

import asyncio
import functools
import json
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from emulators.harness import HarnessEmulator
from emulators.harness.world import ROLLOUT_FAILURE
from emulators.slack import BOT_TOKEN, SIGNING_SECRET, SlackEmulator
from tests.incident import WEBHOOK_TOKEN, event_body
from tests.processes import BIN, bot_env, clean_env, run, serving, signed_command, use_environment


async def test_missing_settings_exit_2_naming_each_variable(tmp_path: Path) -> None:
    code, out = await run([str(BIN)], clean_env(), tmp_path)
    assert code == 2
    for name in (
        "SLACK_BOT_TOKEN",
        "HARNESS_API_KEY",
        "HARNESS_ACCOUNT_ID",
        "HARNESS_DEFAULT_PROJECT",
    ):
        assert f"{name}: is required" in out
    assert "Traceback" not in out


async def test_invalid_values_are_named_but_never_echoed(tmp_path: Path) -> None:
    env = clean_env(
        SLACK_BOT_TOKEN="xoxp-user-token-SECRETVALUE1",
        SLACK_APP_TOKEN="not-an-app-token-SECRETVALUE2",
        HARNESS_API_KEY="pat.a.b.SECRETVALUE3",
        HARNESS_ACCOUNT_ID="acc/../x",
        HARNESS_DEFAULT_PROJECT="shop",
        HARNESS_BASE_URL="ftp://harness",
    )
    code, out = await run([str(BIN)], env, tmp_path)
    assert code == 2
    assert "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-" in out
    assert "SLACK_APP_TOKEN: must be an app-level token starting with xapp-" in out
    assert "HARNESS_ACCOUNT_ID:" in out
    assert "HARNESS_BASE_URL: must be an http(s) URL" in out
    assert "SECRETVALUE" not in out


async def test_http_mode_needs_the_signing_secret_and_reads_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\nHARNESS_API_KEY=pat.x.y.z\n"
        "HARNESS_ACCOUNT_ID=acc1\nHARNESS_DEFAULT_PROJECT=shop\n"
    )
    code, out = await run([str(BIN), "--mode", "http"], clean_env(), tmp_path)
    assert code == 2
    assert [line.strip() for line in out.strip().splitlines()[1:]] == [
        "SLACK_SIGNING_SECRET: is required in http mode"
    ]
    code, out = await run([sys.executable, "-m", "bot", "--mode", "socket"], clean_env(), tmp_path)
    assert code == 2
    assert "SLACK_APP_TOKEN: is required in socket mode" in out


# `python -m bot` here; the console script `harness-logs-bot` serves in
# tests/test_restarts.py and in test_sighup_reloads_the_policy below.
async def test_the_bot_serves_until_sigterm_then_exits_cleanly_and_logs_no_secret(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    # At DEBUG, the level where libraries say the most; the module entry point also
    # takes its mode, host and log format from the environment, and logs JSON.
    env = bot_env(
        harness,
        slack,
        PORT="0",
        LOG_LEVEL="DEBUG",
        HARNESS_EXPORT_POLL_INTERVAL="0.01",
        LOG_FORMAT="json",
        BOT_MODE="http",
        HOST="127.0.0.1",
        HARNESS_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
    )
    args = [sys.executable, "-m", "bot"]
    rid = "secretmodule"
    slack.people["dana@acme.test"] = "U0DANA0001"
    async with serving(args, env, tmp_path) as bot:
        async with aiohttp.ClientSession() as session:
            async with session.get(bot.url + "/readyz") as resp:
                assert resp.status == 200
            url = bot.url + "/slack/events"
            for text, answer in (
                ("subscribe deploy_checkout", "subscribe"),
                ("deploy_checkout", rid),
            ):
                body, headers = signed_command(slack, text, answer)
                async with session.post(url, data=body, headers=headers) as resp:
                    assert resp.status == 200
                await slack.wait_for(functools.partial(slack.replies_to, answer))
            # An alert: a Slack post, and an e-mail looked up for its mention.
            hook = event_body(harness, triggeredBy={"name": "dana", "email": "dana@acme.test"})
            webhook = f"{bot.url}/harness/webhook?token={WEBHOOK_TOKEN}"
            async with session.post(webhook, json=hook) as resp:
                assert resp.status == 202
        await slack.wait_for(lambda: slack.posts())
        await slack.wait_for(lambda: slack.calls("users.lookupByEmail"))
        (reply,) = slack.replies_to(rid)
        assert await bot.stop(signal.SIGTERM) == 0
    logs = bot.log_text()
    assert "listening on 127.0.0.1" in logs
    assert "stopped" in logs
    assert "DEBUG" in logs  # the level was on
    assert "X-Amz-Signature" in json.dumps(reply)  # the link was pre-signed ...
    assert "X-Amz-Signature" not in logs  # ... and its signature never logged
    assert f"/1234567890/{rid}" not in logs  # nor the response_url
    for secret in (BOT_TOKEN, SIGNING_SECRET, harness.api_key):
        assert secret not in logs
    # Nor what Slack was sent (message bodies) or asked (e-mails), even at DEBUG.
    assert ROLLOUT_FAILURE not in logs and "dana@acme.test" not in logs
    entries = [json.loads(line) for line in logs.splitlines() if line.strip()]
    follow = [e for e in entries if e.get("request_id") == f"trig.{rid}"]
    assert [e["message"] for e in follow] == ["command accepted", "command answered: link"]
    assert follow[1]["outcome"] == "link" and follow[1]["duration_s"] > 0
    assert follow[1]["user"] and follow[1]["command"] == "deploy_checkout"


@pytest.mark.parametrize(
    ("store_url", "says"),
    [
        ("sqlite:////dev/null/not-a-dir/bot.db", "Not a directory"),
        ("redis://:hunter2secret@127.0.0.1:1/0", "ConnectionError"),
    ],
    ids=["sqlite-unwritable", "redis-unreachable"],
)
def test_a_store_that_does_not_open_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store_url: str,
    says: str,
) -> None:
    # main() in this process (what the console script runs), with the process's
    # environment replaced as a fresh start would see it.
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        HARNESS_API_KEY="pat.x.y.z",
        HARNESS_ACCOUNT_ID="acc1",
        HARNESS_DEFAULT_PROJECT="shop",
        BOT_STORE_URL=store_url,
    )
    use_environment(monkeypatch, env, tmp_path)
    assert main(["--mode", "http", "--port", "0"]) == 2
    out = capsys.readouterr().err
    lines = out.strip().splitlines()
    at = lines.index("harness-logs-bot: cannot start")  # after any start-up notes
    assert lines[at + 1].strip().startswith("BOT_STORE_URL: cannot open the store (")
    assert says in lines[at + 1]
    assert len(lines) == at + 2
    assert "Traceback" not in out and "hunter2secret" not in out


def test_a_broken_policy_file_stops_start_up_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("default: deny\nchannels:\n  general: ['default/*']\n")
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        HARNESS_API_KEY="pat.x.y.z",
        HARNESS_ACCOUNT_ID="acc1",
        HARNESS_DEFAULT_PROJECT="shop",
        ACCESS_POLICY_FILE=str(policy),
        BOT_STORE_URL=f"sqlite:///{tmp_path}/bot.db",
    )
    use_environment(monkeypatch, env, tmp_path)
    assert main(["--mode", "http", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    at = err.index("harness-logs-bot: cannot start")
    assert err[at + 1].strip() == (
        f"ACCESS_POLICY_FILE: {policy}: line 3: channels: 'general' is neither "
        "a channel id nor '#' and a name glob"
    )


async def test_sighup_reloads_the_policy(
    tmp_path: Path, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("default: deny\n")
    env = bot_env(harness, slack, PORT="0", ACCESS_POLICY_FILE=str(policy))
    async with serving([str(BIN), "--host", "127.0.0.1", "--mode", "http"], env, tmp_path) as bot:

        async def ask(rid: str) -> str:
            body, headers = signed_command(slack, "deploy_checkout", rid)
            url = bot.url + "/slack/events"
            async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers):
                pass
            (reply,) = await slack.wait_for(lambda: slack.replies_to(rid))
            return json.dumps(reply)

        assert "access policy does not allow" in await ask("before")
        policy.write_text("default: deny\nchannels:\n  C0INCIDENT: ['default/*']\n")
        bot.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "access policy reloaded" not in bot.log_text():  # poll with a deadline
            assert time.monotonic() < deadline, "the policy was not reloaded"
            await asyncio.sleep(0.02)
        assert "download_logs" in await ask("after")
        assert await bot.stop() == 0


def test_dotenv_is_read_from_the_project_folder_and_the_working_directory_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import PROJECT, dotenv_files

    monkeypatch.delenv("HARNESS_LOGS_DOTENV", raising=False)
    monkeypatch.chdir(tmp_path)
    assert dotenv_files() == (str(PROJECT / ".env"), ".env")  # later files win
    monkeypatch.chdir(PROJECT)
    assert dotenv_files() == (str(PROJECT / ".env"),)
    monkeypatch.setenv("HARNESS_LOGS_DOTENV", "")
    assert dotenv_files() == ()
