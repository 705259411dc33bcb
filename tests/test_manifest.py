"""manifest.yml declares exactly what the code uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.clients.scopes import BOT_EVENTS, BOT_SCOPES
from bot.slack.views.blocks import COMMAND

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"


def load() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(MANIFEST.read_text())  # type: ignore[no-any-return]


def test_the_command_is_declared_with_help_for_people() -> None:
    commands = load()["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    assert commands[0]["description"]
    assert "#run" in commands[0]["usage_hint"]
    for word in ("subscribe", "unsubscribe", "unmute", "branch=", "subscriptions", "help"):
        assert word in commands[0]["usage_hint"]
    assert len(commands[0]["description"]) <= 100


def test_scopes_are_exactly_what_the_code_needs() -> None:
    assert sorted(load()["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_events_unfurl_domains_and_interactivity_match_the_code() -> None:
    manifest = load()
    assert sorted(manifest["settings"]["event_subscriptions"]["bot_events"]) == sorted(BOT_EVENTS)
    assert "app.harness.io" in manifest["features"]["unfurl_domains"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    text = MANIFEST.read_text()
    assert "# request_url: https://" in text


def test_socket_mode_on_with_http_urls_as_commented_alternatives() -> None:
    manifest = load()
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "# url: https://" in MANIFEST.read_text()
    assert "/slack/events" in MANIFEST.read_text()


def test_display_information_fits_slack_limits() -> None:
    info = load()["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert load()["features"]["bot_user"]["display_name"]


def test_env_example_lists_every_setting() -> None:
    from bot.config import Settings

    text = (MANIFEST.parent / ".env.example").read_text()
    listed = {line.lstrip("# ").split("=", 1)[0] for line in text.splitlines() if "=" in line}
    assert {name.upper() for name in Settings.model_fields} <= listed
