"""The perimeter: junk on the public endpoints is a 4xx, never a 500 or a traceback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from emulators.harness import HarnessEmulator
from emulators.harness.world import ROLLOUT_FAILURE
from emulators.slack import SIGNING_SECRET, SlackEmulator
from tests.blockkit import all_text
from tests.conftest import RunningBot
from tests.incident import WEBHOOK_TOKEN, event_body, post_webhook, slack_event
from tests.slack.support import ask, buttons


def signature(body: bytes, ts: str) -> str:
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


FORM = b"command=%2Fharness-logs&text=help&user_id=U0ALICE001&channel_id=C0INCIDENT"
NOW = "now"  # the request's time, read from the bot's clock when it is sent
NO_ACTIONS = {"type": "block_actions", "user": {"id": "U0ALICE001"}, "actions": []}
BAD_ACTION = {"type": "block_actions", "user": {"id": "U0ALICE001"}, "actions": ["x"]}
EVENT_NOT_AN_OBJECT = {"type": "event_callback", "team_id": "T0TEAM0001", "event": "x"}
EVENT_A_LIST = {"type": "event_callback", "team_id": "T0TEAM0001", "event": []}
SIGNED = b"signed"  # signed as Slack signs it, over the body sent


@pytest.mark.parametrize(
    ("timestamp", "signed", "body", "content_type", "status"),
    [
        ("abc", b"v0=00", FORM, None, 401),
        ("9" * 30, b"v0=00", FORM, None, 401),
        (None, None, FORM, None, 401),
        (NOW, b"garbage", FORM, None, 401),
        (NOW, SIGNED, b"\xff\xfe", None, 400),
        (NOW, SIGNED, FORM, "application/json", 400),
        (NOW, SIGNED, b"{not json", "application/json", 400),
        (NOW, SIGNED, b"payload=%7Bnot-json", None, 400),
        (NOW, SIGNED, b"payload=%5B1%2C2%5D", None, 400),
        (NOW, SIGNED, b"payload=" + quote(json.dumps(NO_ACTIONS)).encode(), None, 400),
        (NOW, SIGNED, b"payload=" + quote(json.dumps(BAD_ACTION)).encode(), None, 400),
        (NOW, SIGNED, json.dumps(EVENT_NOT_AN_OBJECT).encode(), "application/json", 400),
        (NOW, SIGNED, json.dumps(EVENT_A_LIST).encode(), "application/json", 400),
    ],
    ids=[
        "timestamp-abc",
        "timestamp-huge",
        "unsigned",
        "signature-garbage",
        "signed-non-utf8",
        "signed-form-as-json",
        "signed-broken-json",
        "signed-payload-not-json",
        "signed-payload-a-list",
        "signed-block-actions-without-actions",
        "signed-block-actions-with-a-junk-action",
        "signed-event-not-an-object",
        "signed-event-a-list",
    ],
)
async def test_junk_on_slack_events_is_a_4xx_and_no_traceback(
    bot: RunningBot,
    caplog: pytest.LogCaptureFixture,
    timestamp: str | None,
    signed: bytes | None,
    body: bytes,
    content_type: str | None,
    status: int,
) -> None:
    headers = {"content-type": content_type or "application/x-www-form-urlencoded"}
    if timestamp is not None:
        ts = str(int(bot.app.clock.time())) if timestamp == NOW else timestamp
        headers["x-slack-request-timestamp"] = ts
        assert signed is not None
        headers["x-slack-signature"] = signature(body, ts) if signed == SIGNED else signed.decode()
    with caplog.at_level(logging.INFO):
        async with bot.session.post(bot.url + "/slack/events", data=body, headers=headers) as r:
            assert r.status == status, await r.text()
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert not [rec for rec in caplog.records if rec.exc_info]


async def test_a_replayed_signed_request_is_answered_once(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/rollout")
    (button,) = buttons(reply, "refresh_link")
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM0001"},
        "user": {"id": "U0ALICE001"},
        "channel": {"id": "C0INCIDENT"},
        "container": {"type": "message", "message_ts": "1763700000.000100"},
        "message": {"ts": "1763700000.000100"},
        "response_url": bot.slack.response_url("replayed"),
        "actions": [{"action_id": "refresh_link", "value": button["value"]}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    stamp = int(bot.app.clock.time())
    first = await bot.post_signed("/slack/events", body, timestamp=stamp)
    again = await bot.post_signed("/slack/events", body, timestamp=stamp)  # byte for byte
    assert first[0] == again[0] == 200
    await bot.reply("replayed")
    await asyncio.wait_for(bot.app.idle(), 10)
    assert len(bot.slack.replies_to("replayed")) == 1


async def test_an_export_link_to_another_host_is_never_shown(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.link_origin = "https://logs.evil.example"
    _, reply = await ask(bot, "deploy_checkout")
    text = json.dumps(reply)
    assert "The export link was refused" in text
    assert "logs.evil.example" not in text and "X-Amz-Signature" not in text
    assert "download_logs" not in text


@pytest.mark.parametrize(
    "planted",
    ["evil", "not json", '{"url": "https://x", "expires": "2999-01-01T00:00:00"}', "[1]"],
    ids=["evil-host", "not-json", "naive-expiry", "not-an-object"],
)
async def test_a_link_planted_in_the_store_is_never_posted(
    start_bot: Any, store_url: str, harness: HarnessEmulator, planted: str
) -> None:
    """The store is shared with whoever can reach it (Redis above all): a kept link is
    checked against the download hosts as a fresh one is, right before it is shown, and
    one it cannot read is a miss, not an error."""
    bot = await start_bot(bot_store_url=store_url)
    spec = next(
        r
        for r in harness.pipelines[("default", "shop")]["deploy_checkout"].runs
        if r.run_sequence == 42
    )
    prefix = f"{harness.account}/pipeline/deploy_checkout/42/-{spec.plan_execution_id}"
    expires = (bot.app.clock.now() + timedelta(hours=12)).isoformat()
    if planted == "evil":
        planted = json.dumps(
            {"url": "https://logs.evil.example/logs.zip?sig=1", "expires": expires}
        )
    await bot.app.store.put_value(f"link:{prefix}", planted, 3600)
    _, reply = await ask(bot, "deploy_checkout #42")
    text = json.dumps(reply)
    assert "logs.evil.example" not in text
    assert f"{harness.base_url}/storage/harness-download/" in text  # exported afresh


async def test_with_links_for_the_requester_only_the_channel_never_sees_one(
    start_bot: Any, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    bot = await start_bot(link_visibility="requester", harness_webhook_token=WEBHOOK_TOKEN)
    _status, _ack, rid = await bot.command("deploy_checkout #42 deploy_prod/rollout")
    await slack.wait_for(lambda: len(slack.replies_to(rid)) >= 2 or None)
    public, private = slack.replies_to(rid)[:2]
    assert public["response_type"] == "in_channel"
    assert "X-Amz-Signature" not in json.dumps(public)
    assert ROLLOUT_FAILURE in all_text(public)  # the summary and the excerpt stay
    (get_link,) = buttons(public, "get_link")
    assert private["response_type"] == "ephemeral"
    assert "X-Amz-Signature" in json.dumps(private)
    # Someone else in the channel presses Get link: the link comes to them only.
    _status, pressed = await bot.press("get_link", get_link["value"])
    answer = await bot.reply(pressed)
    assert answer["response_type"] == "ephemeral" and "X-Amz-Signature" in json.dumps(answer)
    # Alerts carry the button, never the link.
    _status, _ack, subscribed = await bot.command("subscribe deploy_checkout")
    await bot.reply(subscribed)
    await post_webhook(bot, event_body(harness))
    await slack.wait_for(lambda: slack.calls("chat.update"))
    await asyncio.wait_for(bot.app.idle(), 20)
    sent = json.dumps([c.args for c in slack.posts() + slack.calls("chat.update")])
    assert "X-Amz-Signature" not in sent and "get_link" in sent


async def test_a_malformed_link_shared_is_dropped_not_retried(
    bot: RunningBot, slack: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    event = {"type": "link_shared", "channel": "C0INCIDENT", "links": "https://acme/x"}
    with caplog.at_level(logging.INFO):
        assert await slack_event(bot, event) == 200
        await asyncio.wait_for(bot.app.idle(), 10)
    assert "ignored a malformed link_shared" in caplog.text
    assert "work failed" not in caplog.text  # never recorded, so never tried again
    assert slack.calls("chat.unfurl") == []


async def test_an_unknown_webhook_event_type_counts_as_other(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(harness_webhook_token=WEBHOOK_TOKEN)
    for name in ("MadeUpEventA", "MadeUpEventB", "MadeUpEventC"):
        status, _ = await post_webhook(bot, event_body(harness, name))
        assert status == 202
    async with bot.session.get(bot.url + "/metrics") as resp:
        metrics = await resp.text()
    assert 'harness_logs_webhooks_total{event="other",outcome="accepted"} 3.0' in metrics
    assert "MadeUpEvent" not in metrics
