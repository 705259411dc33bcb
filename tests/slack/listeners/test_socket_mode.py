"""Socket Mode: the same command over the websocket, against a loopback Slack."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.harness import HarnessEmulator
from emulators.slack import APP_TOKEN, SlackEmulator
from tests.blockkit import all_text


async def test_command_over_socket_mode_is_acked_then_answered(
    start_bot: Any, slack: SlackEmulator, harness: HarnessEmulator
) -> None:
    bot = await start_bot(mode="socket", slack_app_token=APP_TOKEN, slack_signing_secret=None)
    # Asked once to check the token, once by the connection itself.
    assert {c.token for c in slack.calls("apps.connections.open")} == {APP_TOKEN}
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


async def test_buttons_and_link_unfurls_over_socket_mode(
    start_bot: Any, slack: SlackEmulator, harness: HarnessEmulator
) -> None:
    await start_bot(mode="socket", slack_app_token=APP_TOKEN, slack_signing_secret=None)
    run = next(
        r
        for r in harness.pipelines[("default", "shop")]["deploy_checkout"].runs
        if r.run_sequence == 42
    )
    url = (
        f"http://127.0.0.1/ng/account/{harness.account}/module/cd/orgs/default/projects/shop/"
        f"pipelines/deploy_checkout/executions/{run.plan_execution_id}/pipeline"
    )
    event = {
        "type": "link_shared",
        "channel": "C0INCIDENT",
        "user": "U0ALICE001",
        "message_ts": "1763700000.000700",
        "links": [{"domain": "127.0.0.1", "url": url}],
    }
    envelope = await slack.send_envelope(
        "events_api",
        {
            "type": "event_callback",
            "team_id": "T0TEAM0001",
            "event_id": "EvSock0001",
            "event": event,
        },
    )
    await slack.wait_for(lambda: envelope in slack.socket_acks)
    (unfurl,) = await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    assert "Deploy Checkout #42" in str(unfurl.args["unfurls"])

    value = f'{{"o":"default","p":"shop","e":"{run.plan_execution_id}"}}'
    press = await slack.send_envelope(
        "interactive",
        {
            "type": "block_actions",
            "team": {"id": "T0TEAM0001"},
            "user": {"id": "U0ALICE001"},
            "channel": {"id": "C0INCIDENT"},
            "container": {
                "type": "message_attachment",
                "message_ts": "1763700000.000700",
                "channel_id": "C0INCIDENT",
            },
            "response_url": slack.response_url("sockpress"),
            "actions": [
                {"action_id": "get_logs", "type": "button", "value": value, "block_id": "b"}
            ],
        },
    )
    await slack.wait_for(lambda: press in slack.socket_acks)
    (post,) = await slack.wait_for(lambda: slack.posts())
    assert post.args["thread_ts"] == "1763700000.000700"
    assert "download_logs" in str(post.args["blocks"])


async def test_readiness_counts_the_socket(start_bot: Any) -> None:
    bot = await start_bot(mode="socket", slack_app_token=APP_TOKEN, slack_signing_secret=None)
    async with bot.session.get(bot.url + "/readyz") as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["socket"] == "ok"


async def test_a_refused_app_token_stops_start_up_with_one_clear_line(
    make_settings: Any,
) -> None:
    from bot.app import BotApp
    from bot.clock import Clock
    from bot.config import StartupError

    wrong = "xapp-1-A0123456789-1111111111-ffffffffffffffffffffffffffffffff"
    app = await BotApp.create(
        make_settings(slack_app_token=wrong, slack_signing_secret=None), "socket", Clock()
    )
    try:
        with pytest.raises(StartupError) as caught:
            await app.start("127.0.0.1", 0)
        assert str(caught.value) == "SLACK_APP_TOKEN: Slack refused it (invalid_auth)"
        assert wrong not in str(caught.value)
    finally:
        await app.stop()
