"""`harness-logs-bot doctor`: each setting checked against the emulated services,
in plain words, never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.terminal.doctor import check
from bot.terminal.doctor import main as doctor_main
from emulators.slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, SlackEmulator
from tests.conftest import SettingsFactory
from tests.processes import clean_env, use_environment


def said(findings: list) -> str:  # type: ignore[type-arg]
    return "\n".join(f"{'ok' if f.ok else 'NO'} {f.what}" for f in findings)


async def test_a_working_setup_is_all_ticks(make_settings: SettingsFactory) -> None:
    findings = await check(make_settings(slack_app_token=APP_TOKEN, harness_webhook_token="a" * 24))
    text = said(findings)
    assert all(f.ok for f in findings), text
    assert "Slack bot token works (workspace Acme" in text
    assert "every scope of manifest.yml" in text
    assert "opens a Socket Mode connection" in text
    assert "the Harness key reads default/shop" in text
    assert "the store opens" in text
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, "a" * 24):
        assert secret not in text


async def test_what_is_wrong_is_said_plainly(
    make_settings: SettingsFactory, slack: SlackEmulator, tmp_path: Path
) -> None:
    slack.scopes.remove("usergroups:read")
    policy = tmp_path / "p.yaml"
    policy.write_text("default: sometimes\n")
    findings = await check(
        make_settings(
            harness_api_key="pat.wrong.key.NotThisOne",
            slack_signing_secret="not-hex-at-all-not-hex-at-all-xx",
            harness_webhook_token="short",
            access_policy_file=str(policy),
        )
    )
    text = said(findings)
    assert "NO the bot token lacks scopes the manifest asks for: usergroups:read" in text
    assert "NO Harness refused HARNESS_API_KEY" in text
    assert "NO SLACK_SIGNING_SECRET does not look like Slack's" in text
    assert "NO HARNESS_WEBHOOK_TOKEN is short" in text
    assert "NO ACCESS_POLICY_FILE:" in text and "line 1: default" in text
    assert "NotThisOne" not in text


def test_settings_that_cannot_be_read_are_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    use_environment(monkeypatch, clean_env(), tmp_path)
    assert doctor_main([]) == 2
    assert "SLACK_BOT_TOKEN: is required" in capsys.readouterr().out
