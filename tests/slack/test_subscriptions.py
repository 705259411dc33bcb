"""Subscribing channels to pipelines, on both store backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningBot
from tests.emulators.harness import HarnessEmulator
from tests.emulators.slack import SlackEmulator


@pytest.fixture
async def bot(start_bot: Any, tmp_path: Path) -> RunningBot:
    store_url = f"sqlite:///{tmp_path}/bot.db"  # Redis: see tests/test_webhooks.py
    running: RunningBot = await start_bot(bot_store_url=store_url)
    return running


async def run(bot: RunningBot, text: str, channel: str = "C0INCIDENT") -> dict[str, Any]:
    status, _ack, rid = await bot.command(text, channel_id=channel)
    assert status == 200
    return await bot.reply(rid)


async def test_subscribe_confirms_in_the_channel_and_lists(bot: RunningBot) -> None:
    reply = await run(bot, "subscribe deploy_checkout")
    assert reply["response_type"] == "in_channel"
    assert reply["text"] == (
        ":bell: <@U0ALICE001> subscribed this channel to *Deploy Checkout* "
        "(`default/shop/deploy_checkout`) failures."
    )
    await run(bot, 'subscribe "deploy payments" in payments/checkout events=all')
    listing = await run(bot, "subscriptions")
    assert listing["response_type"] == "ephemeral"
    text = listing["blocks"][0]["text"]["text"]
    assert "*Deploy Checkout* `default/shop/deploy_checkout` — failures" in text
    assert "*Deploy Payments* `payments/checkout/deploy_payments` — all" in text
    # Another channel has its own list.
    other = await run(bot, "subscriptions", channel="C0OPS00001")
    assert "no subscriptions" in other["text"]


async def test_subscribing_again_updates_the_events(bot: RunningBot) -> None:
    await run(bot, "subscribe deploy_checkout")
    again = await run(bot, "subscribe DEPLOY_CHECKOUT events=all")
    assert "updated this channel's subscription" in again["text"]
    listing = await run(bot, "subscriptions")
    assert listing["blocks"][0]["text"]["text"].count("Deploy Checkout") == 1


async def test_an_unknown_pipeline_gets_suggestions_and_nothing_is_stored(bot: RunningBot) -> None:
    reply = await run(bot, "subscribe deploy_chekout")
    assert reply["response_type"] == "ephemeral"
    assert "No pipeline called `deploy_chekout`" in reply["text"]
    assert "`deploy_checkout`" in reply["text"]
    assert await bot.app.store.channel_subscriptions("C0INCIDENT") == []


async def test_the_bot_must_be_in_the_channel_first(bot: RunningBot, slack: SlackEmulator) -> None:
    reply = await run(bot, "subscribe deploy_checkout", channel="C0NOTMEMBER")
    assert reply["response_type"] == "ephemeral"
    assert "/invite @harness-logs" in reply["text"]
    assert await bot.app.store.channel_subscriptions("C0NOTMEMBER") == []
    assert [c.args["channel"] for c in slack.calls("conversations.info")] == ["C0NOTMEMBER"]


async def test_unsubscribe(bot: RunningBot) -> None:
    await run(bot, "subscribe deploy_checkout")
    reply = await run(bot, 'unsubscribe "Deploy Checkout"')
    assert reply["response_type"] == "in_channel"
    assert "unsubscribed this channel from *Deploy Checkout*" in reply["text"]
    assert await bot.app.store.channel_subscriptions("C0INCIDENT") == []
    missing = await run(bot, "unsubscribe deploy_checkout")
    assert missing["response_type"] == "ephemeral"
    assert "not subscribed to `deploy_checkout`" in missing["text"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("subscribe", "Name the pipeline to subscribe to"),
        ("subscribe deploy_checkout #42", "per pipeline"),
        ("subscribe deploy_checkout events=sometimes", "events=failures"),
        ("unsubscribe", "Name the pipeline to unsubscribe from"),
        ("subscriptions now", "takes nothing"),
    ],
)
async def test_malformed_subscription_commands(
    bot: RunningBot, harness: HarnessEmulator, text: str, says: str
) -> None:
    status, ack, _rid = await bot.command(text)
    assert status == 200
    assert isinstance(ack, dict)
    assert says in ack["text"]
    assert harness.requests == []
