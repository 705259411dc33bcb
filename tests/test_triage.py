"""Incident channels that triage, end to end against the emulators: who broke it, since
when, subscription filters, mutes from the post and retries from the post."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.clock import MovableClock
from bot.slack.views.action_ids import MUTE, RETRY
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.harness.world import checkout_stages
from emulators.slack import SlackEmulator
from tests.conftest import RunningBot
from tests.incident import WEBHOOK_TOKEN, blocks_of, event_body, post_webhook, run_of, text_of

RETRY_POLICY = """\
default: allow
retry: {"default/shop": ["U0ALICE001", "@release-leads"]}
"""


@pytest.fixture
async def bot(start_bot: Any, tmp_path: Path) -> RunningBot:
    running: RunningBot = await start_bot(
        bot_store_url=f"sqlite:///{tmp_path}/bot.db", harness_webhook_token=WEBHOOK_TOKEN
    )
    return running


@pytest.fixture
async def retrying_bot(start_bot: Any, tmp_path: Path, slack: SlackEmulator) -> RunningBot:
    policy = tmp_path / "policy.yaml"
    policy.write_text(RETRY_POLICY)
    slack.usergroups["release-leads"] = ("S0LEADS001", ["U0CAROL001"])
    running: RunningBot = await start_bot(
        bot_store_url=f"sqlite:///{tmp_path}/bot.db",
        harness_webhook_token=WEBHOOK_TOKEN,
        access_policy_file=str(policy),
    )
    return running


async def run(bot: RunningBot, text: str, channel: str = "C0INCIDENT") -> dict[str, Any]:
    _status, _ack, rid = await bot.command(text, channel_id=channel)
    return await bot.reply(rid)


async def notify(bot: RunningBot, body: dict[str, Any]) -> None:
    status, _answer = await post_webhook(bot, body)
    assert status == 202
    await asyncio.wait_for(bot.app.idle(), 20)


def add_runs(harness: HarnessEmulator, *statuses: str, first: int = 43, **extra: Any) -> None:
    """More runs of deploy_checkout after #42, in order."""
    for number, status in enumerate(statuses, start=first):
        harness.add_run(
            RunSpec(
                "deploy_checkout",
                "Deploy Checkout",
                number,
                status,
                checkout_stages(status == "Failed"),
                **extra,
            )
        )


def alert_of(slack: SlackEmulator, channel: str = "C0INCIDENT") -> str:
    """The alert as it stands: its last update, else its post."""
    updates = [u for u in slack.calls("chat.update") if u.args["channel"] == channel]
    return text_of(updates[-1] if updates else slack.posts(channel)[0])


def control(slack: SlackEmulator, action_id: str) -> dict[str, Any] | None:
    updates = slack.calls("chat.update")
    for block in blocks_of(updates[-1] if updates else slack.posts()[0]):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return dict(element)
    return None


# -- who ----------------------------------------------------------------------------


async def test_a_ci_failure_mentions_who_triggered_it_and_whose_commit_it_built(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    add_runs(
        harness,
        "Failed",
        triggered_by="ci-bot",
        branch="main",
        author=("Dana Reyes", "dana@acme.test"),
        commit="4f2a9c1e77",
    )
    slack.people["dana@acme.test"] = "U0DANA0001"
    await run(bot, "subscribe deploy_checkout")
    body = event_body(harness, run=43, triggeredBy={"name": "Ci Bot", "email": "ci@acme.test"})
    await notify(bot, body)
    text = alert_of(slack)
    assert "Triggered by *Ci Bot*" in text  # Slack does not know the bot's address
    assert "commit by <@U0DANA0001> · on `main` at `4f2a9c1`" in text
    looked_up = sorted(c.args["email"] for c in slack.calls("users.lookupByEmail"))
    assert looked_up == ["ci@acme.test", "dana@acme.test"]


async def test_mention_none_names_people_without_asking_slack(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    add_runs(harness, "Failed", branch="main", author=("Dana Reyes", "dana@acme.test"))
    slack.people["dana@acme.test"] = "U0DANA0001"
    await run(bot, "subscribe deploy_checkout mention=none")
    await notify(bot, event_body(harness, run=43))
    assert "commit by *Dana Reyes*" in alert_of(slack)
    assert "<@U0DANA0001>" not in alert_of(slack)
    assert slack.calls("users.lookupByEmail") == []


async def test_the_trigger_is_a_mention_when_slack_knows_the_email(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    slack.people["alice@acme.test"] = "U0ALICE001"
    await run(bot, "subscribe deploy_checkout")
    body = event_body(harness, triggeredBy={"name": "alice", "email": "Alice@Acme.test"})
    await notify(bot, body)
    assert "Triggered by <@U0ALICE001>" in alert_of(slack)


# -- since when ---------------------------------------------------------------------


async def test_a_first_failure_says_when_it_was_last_green(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    assert ":new: First failure: was green in run #41" in text_of(slack.shown()[0])


async def test_a_streak_says_since_when_and_a_recovery_ends_it_in_the_thread(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    add_runs(harness, "Failed", "Failed", "Success")
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness, run=44))
    (alert,) = slack.shown()
    assert "Still failing: since run #42, 3 runs in a row (last green: run #41)" in text_of(alert)
    await notify(bot, event_body(harness, "PipelineSuccess", run=45))
    recovered = slack.posts()[-1]
    assert recovered.args["thread_ts"] == alert.args["ts"]
    assert "recovered in" in text_of(recovered)
    assert "run #45> after 3 failed runs." in text_of(recovered)
    # The alert itself now says so, and offers no more triage.
    root = [u for u in slack.calls("chat.update") if u.args["ts"] == alert.args["ts"]][-1]
    assert ":white_check_mark: *Recovered* in run #45 after 3 failed runs." in text_of(root)
    assert MUTE not in text_of(root)


async def test_a_pipeline_that_keeps_changing_is_labelled_flapping(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    add_runs(harness, "Success", "Failed", "Success", "Failed")
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness, run=46))
    assert "*Flapping*" in text_of(slack.shown()[0])


# -- filters ------------------------------------------------------------------------


async def test_a_branch_filter_posts_only_that_branchs_failures(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    add_runs(harness, "Failed", branch="feature/cart")
    add_runs(harness, "Failed", first=44, branch="release/2026.11")
    await run(bot, "subscribe deploy_checkout branch=main,release/*")
    await notify(bot, event_body(harness, run=43))
    assert slack.posts() == []
    await notify(bot, event_body(harness, run=44))
    assert "Deploy Checkout #44" in text_of(slack.shown()[0])
    await notify(bot, event_body(harness, run=42))  # a CD run: no branch to match
    assert len(slack.posts()) == 1


async def test_a_stage_filter_posts_only_failures_in_those_stages(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await run(bot, "subscribe deploy_checkout stages=build*")
    await notify(bot, event_body(harness, "StageFailed", stageIdentifier="deploy_prod"))
    await notify(bot, event_body(harness))  # deploy_prod failed: not a build stage
    assert slack.posts() == []
    await run(bot, "subscribe deploy_checkout stages=deploy_*", channel="C0OPS00001")
    add_runs(harness, "Failed")
    await notify(bot, event_body(harness, run=43))
    assert [p.args["channel"] for p in slack.posts()] == ["C0OPS00001"]


# -- mute ---------------------------------------------------------------------------


async def test_mute_from_the_post_stops_posts_says_who_and_lists_it(
    start_bot: Any, store_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    # On both store backends: mutes are kept values that replicas share.
    bot = await start_bot(bot_store_url=store_url, harness_webhook_token=WEBHOOK_TOKEN)
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    menu = control(slack, MUTE)
    assert menu is not None and menu["type"] == "static_select"
    assert [o["text"]["text"] for o in menu["options"]] == [
        "for 1 hour",
        "for 24 hours",
        "until it recovers",
    ]
    hour = menu["options"][0]["value"]
    await bot.press(MUTE, hour, select=True, user_id="U0BOB00001")
    said = await slack.wait_for(lambda: [p for p in slack.posts() if " muted " in text_of(p)])
    assert "<@U0BOB00001> muted *Deploy Checkout* in this channel until <!date^" in text_of(said[0])
    posted = len(slack.posts())
    add_runs(harness, "Failed")
    await notify(bot, event_body(harness, run=43))
    assert len(slack.posts()) == posted  # muted: nothing more here
    listing = await run(bot, "subscriptions")
    assert ":mute: muted by <@U0BOB00001> until" in json.dumps(listing)
    await run(bot, "unmute deploy_checkout")
    await notify(bot, event_body(harness, "StageFailed", run=43, stageIdentifier="deploy_prod"))
    assert len(slack.posts()) == posted + 1
    # Green again while muted: no post then, and no stale "recovered" after the mute.
    add_runs(harness, "Success", "Success", first=44)
    await bot.press(MUTE, hour, select=True)
    await slack.wait_for(lambda: len(slack.posts()) == posted + 2)  # "muted" again
    await notify(bot, event_body(harness, "PipelineSuccess", run=44))
    await run(bot, "unmute deploy_checkout")
    await notify(bot, event_body(harness, "PipelineSuccess", run=45))
    assert len(slack.posts()) == posted + 2


async def test_a_mute_where_the_bot_may_no_longer_post_is_said_through_the_press(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """Removed from the channel after the alert: the mute still holds, and the channel
    hears of it through the menu's response_url, for everyone."""
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    menu = control(slack, MUTE)
    assert menu is not None
    slack.members.discard("C0INCIDENT")
    _status, rid = await bot.press(MUTE, menu["options"][0]["value"], select=True)
    said = await bot.reply(rid)
    assert said["response_type"] == "in_channel" and said.get("replace_original") is False
    assert "muted *Deploy Checkout* in this channel" in said["text"]
    listing = await run(bot, "subscriptions")
    assert ":mute: muted by <@U0ALICE001>" in json.dumps(listing)


async def test_a_mute_for_an_hour_ends_by_itself_when_the_hour_is_over(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator, clock: MovableClock
) -> None:
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    menu = control(slack, MUTE)
    assert menu is not None
    await bot.press(MUTE, menu["options"][0]["value"], select=True)  # for 1 hour
    await slack.wait_for(lambda: [p for p in slack.posts() if " muted " in text_of(p)])
    posted = len(slack.posts())
    add_runs(harness, "Failed", "Failed")
    clock.advance(59 * 60)
    await notify(bot, event_body(harness, run=43))
    assert len(slack.posts()) == posted  # still muted
    clock.advance(2 * 60)
    await notify(bot, event_body(harness, run=44))
    assert len(slack.posts()) == posted + 1  # the hour is over: posted again
    assert "Deploy Checkout #44" in text_of(slack.shown()[-1])
    assert ":mute:" not in json.dumps(await run(bot, "subscriptions"))


async def test_a_recovery_ends_a_mute_until_recovery_and_says_so(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    add_runs(harness, "Success")
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    menu = control(slack, MUTE)
    assert menu is not None
    await bot.press(MUTE, menu["options"][2]["value"], select=True)
    await slack.wait_for(lambda: [p for p in slack.posts() if " muted " in text_of(p)])
    await notify(bot, event_body(harness, "PipelineSuccess", run=43))
    texts = [text_of(p) for p in slack.shown()]
    assert any("recovered, so its mute here (by <@U0ALICE001>) has ended" in t for t in texts)
    assert any("recovered in" in t for t in texts)
    assert ":mute:" not in json.dumps(await run(bot, "subscriptions"))


# -- retry --------------------------------------------------------------------------


async def test_without_a_retry_rule_no_post_offers_a_retry(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    assert control(slack, RETRY) is None
    assert control(slack, MUTE) is not None


async def test_retry_from_the_post_starts_the_failed_stages_and_follows_the_new_run(
    retrying_bot: RunningBot,
    harness: HarnessEmulator,
    slack: SlackEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = retrying_bot
    spec = run_of(harness, "deploy_checkout", 42)
    harness.input_sets[spec.plan_execution_id] = "pipeline:\n  identifier: deploy_checkout\n"
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    (alert,) = slack.shown()
    button = control(slack, RETRY)
    assert button is not None
    assert button["confirm"]["title"]["text"] == "Retry failed stages?"  # Slack asks first
    assert "*Deploy Prod* of *Deploy Checkout #42*" in button["confirm"]["text"]["text"]
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await bot.press(RETRY, button["value"], message_ts=alert.args["ts"])
        said = await slack.wait_for(lambda: [p for p in slack.posts() if "retried" in text_of(p)])
    assert said[0].args["thread_ts"] == alert.args["ts"]
    assert "<@U0ALICE001> retried the failed stages (*Deploy Prod*) → <" in text_of(said[0])
    assert "|run #43>" in text_of(said[0])
    (call,) = harness.calls("pipeline.retry")
    assert call.query["retryStages"] == "deploy_prod"
    assert call.body == "pipeline:\n  identifier: deploy_checkout\n"
    (audit,) = [r.getMessage() for r in caplog.records if r.name == "bot.audit"]
    assert audit.startswith("retry: U0ALICE001 retried stages Deploy Prod of ")
    assert "default/shop/deploy_checkout #42 -> run #43" in audit
    # A second press is told who retried it; Harness is not asked again.
    _status, rid = await bot.press(RETRY, button["value"], message_ts=alert.args["ts"])
    again = await bot.reply(rid)
    assert "<@U0ALICE001> already retried this run" in again["text"]
    assert len(harness.calls("pipeline.retry")) == 1
    async with bot.session.get(bot.url + "/metrics") as resp:
        metrics = await resp.text()
    assert 'harness_logs_triage_total{action="retry",outcome="retried"} 1.0' in metrics
    assert 'harness_logs_triage_total{action="retry",outcome="already"} 1.0' in metrics
    # The new run's failure lands in the same thread.
    await notify(bot, event_body(harness, run=43))
    last = slack.posts()[-1]
    assert last.args["thread_ts"] == alert.args["ts"]
    assert "Deploy Checkout #43* failed" in text_of(last)


async def test_retry_is_refused_to_people_the_policy_does_not_name(
    retrying_bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await run(retrying_bot, "subscribe deploy_checkout")
    await notify(retrying_bot, event_body(harness))
    button = control(slack, RETRY)
    assert button is not None
    _status, rid = await retrying_bot.press(RETRY, button["value"], user_id="U0BOB00001")
    reply = await retrying_bot.reply(rid)
    assert "retry.default/shop does not list you" in reply["text"]
    assert reply["replace_original"] is False
    assert harness.calls("pipeline.retry_stages") == []
    # A member of the listed group may.
    await retrying_bot.press(RETRY, button["value"], user_id="U0CAROL001")
    await slack.wait_for(lambda: harness.calls("pipeline.retry"))


async def test_harness_refusals_are_told_plainly_and_a_refused_retry_becomes_a_fresh_run(
    retrying_bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    bot = retrying_bot
    spec = run_of(harness, "deploy_checkout", 42)
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    button = control(slack, RETRY)
    assert button is not None
    harness.no_execute = True
    _status, rid = await bot.press(RETRY, button["value"])
    reply = await bot.reply(rid)
    assert "needs the Pipeline Execute permission" in reply["text"]
    harness.no_execute = False
    harness.retry_refusals[spec.plan_execution_id] = "Execution is older than 30 days"
    await bot.press(RETRY, button["value"])
    said = await slack.wait_for(
        lambda: [p for p in slack.posts() if "started a fresh run" in text_of(p)]
    )
    assert "(Harness would not retry run #42: Execution is older than 30 days)" in text_of(said[0])
    assert [how for how, _run in harness.started] == ["rerun"]


@pytest.mark.parametrize("as_error", [False, True], ids=["resumable-false", "a-400"])
async def test_a_run_past_harness_30_days_gets_a_fresh_run(
    retrying_bot: RunningBot,
    harness: HarnessEmulator,
    slack: SlackEmulator,
    clock: MovableClock,
    as_error: bool,
) -> None:
    """Harness retries runs up to 30 days old; older ones it refuses, with
    `resumable: false` (and `groups: null`) or, in newer versions, a 400. Either way
    the press starts a fresh run with the same inputs."""
    bot = retrying_bot
    harness.old_runs_refused_with_error = as_error
    await run(bot, "subscribe deploy_checkout")
    await notify(bot, event_body(harness))
    button = control(slack, RETRY)
    assert button is not None
    clock.advance(31 * 86400)
    await bot.press(RETRY, button["value"])
    said = await slack.wait_for(
        lambda: [p for p in slack.posts() if "started a fresh run" in text_of(p)]
    )
    assert "more than 30 days old" in text_of(said[0])
    assert [how for how, _run in harness.started] == ["rerun"]
    (rerun,) = harness.calls("pipeline.rerun")
    assert rerun.query["moduleType"] == "cd"  # the run's module, as Harness's UI sends it


async def test_one_run_list_serves_every_channel_of_a_failure(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await run(bot, "subscribe deploy_checkout")
    await run(bot, "subscribe deploy_checkout", channel="C0OPS00001")
    harness.requests.clear()
    await notify(bot, event_body(harness))
    assert len(slack.posts()) == 2
    assert all("First failure" in text_of(p) for p in slack.shown())
    assert len(harness.calls("executions.summary")) == 1


async def test_a_shutdown_during_a_retry_lets_it_finish_and_be_recorded(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    from bot.domain import Scope
    from bot.service.retry_runs import Retried, RunRetries

    bot = await start_bot(in_process=True)
    retries = RunRetries(
        bot.app.harness.service, bot.app.harness.retries, bot.app.store, account=harness.account
    )
    spec = run_of(harness, "deploy_checkout", 42)
    harness.start_gate = asyncio.Event()
    retry = asyncio.create_task(
        retries.retry("U0ALICE001", Scope("default", "shop"), spec.plan_execution_id, None)
    )
    await harness.changes.wait_for(lambda: harness.calls("pipeline.retry"))
    retry.cancel()  # a shutdown, while Harness is starting the run
    harness.start_gate.set()
    with pytest.raises(asyncio.CancelledError):
        await retry
    # The run Harness started is on record: the work coming back cannot start another.
    again = await retries.retry(
        "U0BOB00001", Scope("default", "shop"), spec.plan_execution_id, None
    )
    assert not isinstance(again, Retried)
    assert (again.by, again.run) == ("U0ALICE001", 43)  # type: ignore[union-attr]
    assert len(harness.started) == 1


async def test_one_execution_read_serves_the_filters_and_every_channel(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await run(bot, "subscribe deploy_checkout events=all stages=deploy_*")
    await run(bot, "subscribe deploy_checkout events=all", channel="C0OPS00001")
    harness.requests.clear()
    await notify(bot, event_body(harness, "StageStart", stageIdentifier="deploy_prod"))
    assert len(slack.posts()) == 2
    assert len(harness.calls("executions.v2")) == 1
