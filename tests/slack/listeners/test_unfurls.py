"""Execution links pasted in Slack unfold into their summary; the buttons on posts."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import MovableClock
from emulators.harness import HarnessEmulator
from emulators.harness.world import ROLLOUT_FAILURE
from emulators.slack import SlackEmulator
from tests.conftest import RunningBot
from tests.incident import run_of, slack_event, text_of
from tests.slack.support import ask, buttons


@pytest.fixture
async def bot(start_bot: Any, tmp_path: Path) -> RunningBot:
    store_url = f"sqlite:///{tmp_path}/bot.db"  # Redis: see tests/test_webhooks.py
    running: RunningBot = await start_bot(
        bot_store_url=store_url, harness_ui_hosts="acme.harness.io"
    )
    return running


def link(harness: HarnessEmulator, run: int = 42, host: str = "acme.harness.io") -> str:
    spec = run_of(harness, "deploy_checkout", run)
    return (
        f"https://{host}/ng/account/{harness.account}/module/cd/orgs/default/projects/shop/"
        f"pipelines/deploy_checkout/executions/{spec.plan_execution_id}/pipeline"
    )


def shared(*urls: str) -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": "C0INCIDENT",
        "is_bot_user_member": True,
        "user": "U0ALICE001",
        "message_ts": "1763700000.000500",
        "unfurl_id": "Uf0123",
        "source": "conversations_history",
        "links": [{"domain": url.split("/")[2], "url": url} for url in urls],
    }


async def idle(bot: RunningBot) -> None:
    await asyncio.wait_for(bot.app.idle(), 20)


async def test_a_pasted_link_unfurls_into_its_summary(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    url = link(harness)
    assert await slack_event(bot, shared(url)) == 200
    (call,) = await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    assert call.args["channel"] == "C0INCIDENT"
    assert call.args["ts"] == "1763700000.000500"
    unfurls = (
        call.args["unfurls"]
        if isinstance(call.args["unfurls"], dict)
        else json.loads(call.args["unfurls"])
    )
    text = json.dumps(unfurls[url], ensure_ascii=False)
    assert "Deploy Checkout #42" in text
    assert ":x: Failed" in text
    assert "Failed in Deploy Prod › Rollout" in text
    assert ROLLOUT_FAILURE in text
    assert '"action_id": "get_logs"' in text
    assert harness.calls("logs.export") == []  # a summary only: no export until someone asks


async def test_a_link_typed_in_the_composer_previews_before_it_is_sent(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """A link not yet sent arrives with `channel: "COMPOSER"`, `source: "composer"` and
    a `message_ts` that names no message; Slack takes its unfurl by `unfurl_id` and
    `source` only (https://api.slack.com/methods/chat.unfurl)."""
    draft = "U0ALICE001-909b5454-75f8-4ac4-b325-1b40e230bbd8-gryl3kb80b3wm49ihzoo35fyqoq08n2y"
    event = {
        **shared(link(harness)),
        "channel": "COMPOSER",
        "is_bot_user_member": False,
        "message_ts": draft,
        "unfurl_id": draft,
        "source": "composer",
    }
    assert await slack_event(bot, event) == 200
    await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    await idle(bot)
    (accepted,) = slack.unfurled
    assert (accepted.args["unfurl_id"], accepted.args["source"]) == (draft, "composer")
    assert "channel" not in accepted.args and "ts" not in accepted.args
    assert "Deploy Checkout #42" in json.dumps(accepted.args["unfurls"], ensure_ascii=False)


async def test_slack_retries_and_repeated_links_unfurl_once(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    url = link(harness)
    event = shared(url, url, url)
    assert await slack_event(bot, event, event_id="EvSame001") == 200
    assert await slack_event(bot, event, event_id="EvSame001", retry=1) == 200
    await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    await idle(bot)
    (call,) = slack.calls("chat.unfurl")
    unfurls = (
        call.args["unfurls"]
        if isinstance(call.args["unfurls"], dict)
        else json.loads(call.args["unfurls"])
    )
    assert list(unfurls) == [url]
    assert len(harness.calls("executions.v2")) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.harness.io/ng/account/x/settings",
        "https://evil.example/ng/account/a/cd/orgs/o/projects/p/pipelines/q/executions/e/pipeline",
        "https://acme.harness.io/ng/account/{acc}/cd/orgs/default/projects/shop/pipelines/deploy_checkout/executions/nosuchexec/pipeline",
    ],
)
async def test_links_that_do_not_resolve_are_ignored_quietly(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator, url: str
) -> None:
    assert await slack_event(bot, shared(url.format(acc=harness.account))) == 200
    await idle(bot)
    assert slack.calls("chat.unfurl") == []
    assert slack.posts() == []


async def test_get_logs_posts_the_logs_in_the_thread_of_the_link(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await slack_event(bot, shared(link(harness)))
    (call,) = await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    unfurls = (
        call.args["unfurls"]
        if isinstance(call.args["unfurls"], dict)
        else json.loads(call.args["unfurls"])
    )
    value = next(
        e["value"]
        for b in next(iter(unfurls.values()))["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "get_logs"
    )
    status, _ = await bot.press("get_logs", value, message_ts="1763700000.000500")
    assert status == 200
    (post,) = await slack.wait_for(lambda: slack.posts())
    assert post.args["thread_ts"] == "1763700000.000500"
    text = text_of(post)
    assert "download_logs" in text
    assert "whole pipeline" in text
    assert ":mag: `timeout or out of memory`  kubectl rollout status" in text


async def test_refresh_link_replaces_the_message_in_place(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator, clock: MovableClock
) -> None:
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/rollout")
    (refresh,) = buttons(reply, "refresh_link")
    clock.advance(2 * 86400)  # the link expired; a refresh makes a new one
    _status, response_id = await bot.press("refresh_link", refresh["value"])
    refreshed = await bot.reply(response_id)
    assert refreshed["replace_original"] is True
    text = json.dumps(refreshed, ensure_ascii=False)
    assert "step Deploy Prod › Rollout" in text
    assert "Link refreshed by <@U0ALICE001>" in text
    run = run_of(harness, "deploy_checkout", 42)
    step = f"{harness.account}/pipeline/deploy_checkout/42/-{run.plan_execution_id}"
    expires = harness.link_expires(step + "/deploy_prod/rollout")
    assert expires is not None and expires > clock.now() + timedelta(hours=23)  # a new day
    assert f"{expires:%Y-%m-%d %H:%M} UTC" in text


async def test_step_logs_posts_that_steps_logs_in_the_thread(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    _, reply = await ask(bot, "integration")
    step_buttons = buttons(reply, "step_logs")
    assert len(step_buttons) == 2
    await bot.press("step_logs", step_buttons[1]["value"], message_ts="1763700000.000900")
    (post,) = await slack.wait_for(lambda: slack.posts())
    assert post.args["thread_ts"] == "1763700000.000900"
    assert "step UI › E2E" in text_of(post)


async def test_buttons_work_where_the_bot_is_not_a_member(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    _, reply = await ask(bot, "integration")
    value = buttons(reply, "step_logs")[0]["value"]
    _status, response_id = await bot.press("step_logs", value, channel_id="C0PRIVATE1")
    answer = await bot.reply(response_id)
    assert answer["response_type"] == "in_channel"
    assert answer["thread_ts"] == "1763700000.000100"
    assert "step API › Contract Tests" in json.dumps(answer, ensure_ascii=False)
