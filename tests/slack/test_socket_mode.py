"""Socket Mode: the same command over the websocket, against a loopback Slack."""

from __future__ import annotations

from typing import Any

from tests.blockkit import all_text
from tests.emulators.harness import HarnessEmulator
from tests.emulators.slack import APP_TOKEN, SlackEmulator


async def test_command_over_socket_mode_is_acked_then_answered(
    start_bot: Any, slack: SlackEmulator, harness: HarnessEmulator
) -> None:
    bot = await start_bot(mode="socket", slack_app_token=APP_TOKEN, slack_signing_secret=None)
    assert [c.token for c in slack.calls("apps.connections.open")] == [APP_TOKEN]
    envelope = await slack.send_envelope(
        "slash_commands",
        {
            "team_id": "T0TEAM0001",
            "channel_id": "C0PRIVATE1",
            "user_id": "U0ALICE001",
            "command": "/harness-logs",
            "text": "deploy_checkout #42 deploy_prod/rollout",
            "response_url": slack.response_url("sock1"),
            "trigger_id": "trig.sock",
        },
    )
    ack = await slack.wait_for(lambda: slack.socket_acks.get(envelope))
    assert ack["response_type"] == "ephemeral"
    assert "Fetching logs" in ack["text"]
    reply = await bot.reply("sock1")
    assert reply["response_type"] == "in_channel"
    assert "step Deploy Prod › Rollout" in all_text(reply)


async def test_socket_mode_serves_health_but_not_slack_events(start_bot: Any) -> None:
    bot = await start_bot(mode="socket", slack_app_token=APP_TOKEN, slack_signing_secret=None)
    async with bot.session.get(bot.url + "/healthz") as resp:
        assert resp.status == 200
    async with bot.session.post(bot.url + "/slack/events", data=b"x") as resp:
        assert resp.status == 404
