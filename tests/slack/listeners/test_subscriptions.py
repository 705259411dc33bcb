"""Subscribing channels to pipelines, on both store backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.service.mutes import Mutes
from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator
from tests.conftest import RunningBot


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
        "(`default/shop/deploy_checkout`) failures: "
        "`events=failures` · `mention=author`."
    )
    await run(bot, 'subscribe "deploy payments" in payments/checkout events=all')
    listing = await run(bot, "subscriptions")
    assert listing["response_type"] == "ephemeral"
    text = listing["blocks"][0]["text"]["text"]
    assert "*Deploy Checkout* `default/shop/deploy_checkout` — `events=failures`" in text
    assert "*Deploy Payments* `payments/checkout/deploy_payments` — `events=all`" in text
    # Another channel has its own list.
    other = await run(bot, "subscriptions", channel="C0OPS00001")
    assert "no subscriptions" in other["text"]


async def test_subscribing_again_changes_it_and_says_what_changed(bot: RunningBot) -> None:
    first = await run(bot, "subscribe deploy_checkout branch=main,release/* stages=deploy_*")
    assert "`branch=main,release/*` · `stages=deploy_*`" in first["text"]
    again = await run(bot, "subscribe DEPLOY_CHECKOUT events=all branch=main mention=none")
    assert again["response_type"] == "in_channel"
    assert again["text"].endswith(
        "changed this channel's subscription to *Deploy Checkout* "
        "(`default/shop/deploy_checkout`): events failures → all; "
        "branch `main,release/*` → `main`; stages `deploy_*` → any; mention author → none."
    )
    listing = await run(bot, "subscriptions")
    text = listing["blocks"][0]["text"]["text"]
    assert text.count("Deploy Checkout") == 1
    assert "`events=all` · `branch=main` · `mention=none`" in text
    same = await run(bot, "subscribe deploy_checkout events=all branch=main mention=none")
    assert same["response_type"] == "ephemeral"
    assert "already has exactly that subscription" in same["text"]


async def test_unmute_ends_a_mute_and_says_so_in_the_channel(bot: RunningBot) -> None:
    await run(bot, "subscribe deploy_checkout")
    not_muted = await run(bot, "unmute deploy_checkout")
    assert not_muted["response_type"] == "ephemeral"
    assert "is not muted" in not_muted["text"]
    subscription = (await bot.app.store.channel_subscriptions("C0INCIDENT"))[0]
    await Mutes(bot.app.store, bot.app.clock).mute(
        "C0INCIDENT", subscription.pipeline, "U0BOB00001", "1h"
    )
    listing = await run(bot, "subscriptions")
    assert ":mute: muted by <@U0BOB00001> until <!date^" in json.dumps(listing)
    reply = await run(bot, 'unmute "Deploy Checkout"')
    assert reply["response_type"] == "in_channel"
    assert "unmuted *Deploy Checkout* in this channel (muted by <@U0BOB00001>)" in reply["text"]
    assert ":mute:" not in json.dumps(await run(bot, "subscriptions"))
    missing = await run(bot, "unmute release_web")
    assert "not subscribed to `release_web`" in missing["text"]


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
        ("subscribe deploy_checkout branch=a;b", "is not a branch pattern"),
        ("subscribe deploy_checkout colour=blue", "`colour=` is not an option"),
        ("subscribe deploy_checkout mention=everyone", "mention=author"),
        ("unsubscribe deploy_checkout branch=main", "goes with `subscribe`"),
        ("unmute", "Name the pipeline to unmute"),
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
