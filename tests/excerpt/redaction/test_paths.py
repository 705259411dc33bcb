"""The same redaction on every path to Slack, end to end through the emulators: a step's
log in a command's post and in its full excerpt, Harness's failure messages in a post
and in an unfurl, a notification's `errorMessage` in an alert and its thread reply."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator
from tests.conftest import RunningBot
from tests.excerpt.redaction.forms import FORMS, Form, key_lines, tok
from tests.incident import WEBHOOK_TOKEN, event_body, post_webhook, run_of, slack_event, text_of
from tests.slack.support import ask, buttons, key_of, line

# One form of each family that leaked before.
SAMPLES = [
    next(f for f in FORMS if f.name == name)
    for name in (
        "docker login -p",
        "--access-token VALUE",
        "URL with an empty user",
        "key block under docker compose's prefix",
        "bare vendor token hvs.",
        "base64 of user:password",
        'password = "three word phrase"',
        "Enter password: prompt just outside the kept lines",
    )
]

# What Harness itself may say about a failure, in one message.
MESSAGE_SECRETS = {
    "docker": "DkrMsgPw" + tok("msg-docker", 10),
    "token": "ya29." + tok("msg-ya29", 60),
    "url": "UrlMsgPw" + tok("msg-url", 10),
    "flag": "FlagMsg" + tok("msg-flag", 16),
}
KEY = key_lines("msg-key", 4)
MESSAGE = "\n".join(
    [
        f"docker login -u ci -p {MESSAGE_SECRETS['docker']} registry.acme.test: unauthorized",
        f"deploy --auth-token {MESSAGE_SECRETS['flag']} used {MESSAGE_SECRETS['token']}",
        f"cannot reach postgresql://a@example.com:{MESSAGE_SECRETS['url']}@db/shop",
        "app_1  | -----BEGIN RSA PRIVATE KEY-----",
        *(f"app_1  | {row}" for row in KEY),
        "app_1  | -----END RSA PRIVATE KEY-----",
    ]
)


def assert_redacted(sent: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in sent, secret
    assert "[REDACTED:" in sent


NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def step_log(forms: list[Form]) -> bytes:
    """Each form before its own failure (worded apart, so that none folds into another)."""
    rows: list[str] = []
    for name, form in zip(NAMES, forms, strict=True):
        rows += [f"[build] {name} line {i}" for i in range(12)]
        rows += [*form.lines, f"Error: the {name} step failed"]
    rows += [f"[cleanup] removing container {i}" for i in range(24)]
    return b"".join(line("info", row + "\n", i) for i, row in enumerate(rows))


async def test_a_step_log_in_the_post_and_in_its_full_excerpt(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.logs[key_of(harness, "integration", 5, "ui", "e2e")] = step_log(SAMPLES)
    _, reply = await ask(bot, "integration #5 ui/e2e")
    (button,) = buttons(reply, "show_full_excerpt")
    await bot.press("show_full_excerpt", button["value"])
    await bot.slack.wait_for(
        lambda: (
            bot.slack.calls("chat.postMessage") or bot.slack.calls("files.completeUploadExternal")
        )
    )
    full = json.dumps([c.args for c in bot.slack.api_calls], ensure_ascii=False)
    full += "".join(content.decode() for content in bot.slack.uploads.values())
    post = json.dumps(reply, ensure_ascii=False)
    assert_redacted(post + full, [s for form in SAMPLES for s in form.secret])
    for form in SAMPLES:  # every form's line was shown, its secret hidden
        assert json.dumps(form.shown, ensure_ascii=False)[1:-1] in full, form.name


async def test_failure_messages_in_a_post(bot: RunningBot, harness: HarnessEmulator) -> None:
    rollout = next(
        s
        for s in run_of(harness, "deploy_checkout", 42).stages[-1].steps
        if s.identifier == "rollout"
    )
    rollout.failure = MESSAGE
    _, reply = await ask(bot, "deploy_checkout #42")
    assert_redacted(json.dumps(reply), [*MESSAGE_SECRETS.values(), *KEY])
    assert "registry.acme.test: unauthorized" in json.dumps(reply)


@pytest.fixture
async def unfurling(start_bot: Any, tmp_path: Path) -> RunningBot:
    running: RunningBot = await start_bot(
        bot_store_url=f"sqlite:///{tmp_path}/bot.db", harness_ui_hosts="acme.harness.io"
    )
    return running


async def test_failure_messages_in_an_unfurl(
    unfurling: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    spec = run_of(harness, "deploy_checkout", 42)
    next(s for s in spec.stages[-1].steps if s.identifier == "rollout").failure = MESSAGE
    url = (
        f"https://acme.harness.io/ng/account/{harness.account}/module/cd/orgs/default/projects/"
        f"shop/pipelines/deploy_checkout/executions/{spec.plan_execution_id}/pipeline"
    )
    event = {
        "type": "link_shared",
        "channel": "C0INCIDENT",
        "is_bot_user_member": True,
        "user": "U0ALICE001",
        "message_ts": "1763700000.000500",
        "unfurl_id": "Uf0123",
        "source": "conversations_history",
        "links": [{"domain": "acme.harness.io", "url": url}],
    }
    assert await slack_event(unfurling, event) == 200
    (call,) = await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    sent = json.dumps(call.args)
    assert_redacted(sent, [*MESSAGE_SECRETS.values(), *KEY])
    assert "registry.acme.test: unauthorized" in sent


@pytest.fixture
async def alerting(start_bot: Any, redis_url: str) -> RunningBot:
    running: RunningBot = await start_bot(
        bot_store_url=redis_url, harness_webhook_token=WEBHOOK_TOKEN
    )
    return running


async def test_error_messages_in_an_alert_and_its_thread_reply(
    alerting: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    _status, _ack, rid = await alerting.command(
        "subscribe deploy_checkout", channel_id="C0INCIDENT"
    )
    await alerting.reply(rid)
    for event in ("StageFailed", "PipelineFailed"):
        body = event_body(harness, event, stageIdentifier="deploy_prod", errorMessage=MESSAGE)
        assert await post_webhook(alerting, body) == (202, {"status": "accepted"})
        await asyncio.wait_for(alerting.app.idle(), 20)
    await slack.wait_for(lambda: len(slack.posts()) >= 2)
    root, reply = slack.posts()[:2]
    assert reply.args["thread_ts"] == root.args["ts"]
    assert_redacted(
        json.dumps([c.args for c in slack.api_calls]), [*MESSAGE_SECRETS.values(), *KEY]
    )
    assert "[REDACTED:" in text_of(reply)
