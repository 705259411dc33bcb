"""Harness notification webhooks into subscribed channels, on both store backends."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from bot.clock import Clock
from bot.domain import Lane, Work
from bot.store import open_store
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.harness.world import ROLLOUT_FAILURE, checkout_stages
from emulators.slack import SlackEmulator
from tests.conftest import RunningBot, empty_database
from tests.incident import WEBHOOK_TOKEN, blocks_of, event_body, post_webhook, text_of
from tests.redis_server import RedisServer


@pytest.fixture
async def bot(start_bot: Any, redis_url: str) -> RunningBot:
    # Redis, as replicas run it; every store operation is tested on both backends in
    # tests/store, and the SQLite queue end to end in tests/test_restarts.py.
    running: RunningBot = await start_bot(
        bot_store_url=redis_url, harness_webhook_token=WEBHOOK_TOKEN
    )
    return running


async def subscribe(
    bot: RunningBot, text: str = "subscribe deploy_checkout", channel: str = "C0INCIDENT"
) -> None:
    _status, _ack, rid = await bot.command(text, channel_id=channel)
    reply = await bot.reply(rid)
    assert reply["response_type"] == "in_channel", reply


async def accepted(bot: RunningBot, body: dict[str, Any], **kwargs: Any) -> None:
    status, answer = await post_webhook(bot, body, **kwargs)
    assert (status, answer) == (202, {"status": "accepted"})


async def metrics_of(bot: RunningBot) -> str:
    async with bot.session.get(bot.url + "/metrics") as resp:
        return await resp.text()


async def idle(bot: RunningBot) -> None:
    """Wait until every job the webhook started has finished."""
    await asyncio.wait_for(bot.app.idle(), 20)


# -- the endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "header"), [(None, False), ("wrong-token", False), ("wrong-token", True)]
)
async def test_a_missing_or_wrong_token_is_401_and_does_nothing(
    bot: RunningBot, harness: HarnessEmulator, token: str | None, header: bool
) -> None:
    await subscribe(bot)
    harness.requests.clear()
    status, answer = await post_webhook(bot, event_body(harness), token=token, header=header)
    assert status == 401
    assert answer == {"error": "missing or wrong webhook token"}
    await idle(bot)
    assert harness.requests == []
    assert bot.slack.posts() == []


async def test_the_token_in_a_header_works(bot: RunningBot, harness: HarnessEmulator) -> None:
    await accepted(bot, event_body(harness, "PipelineStart"), header=True)


async def test_a_body_over_one_megabyte_is_413(bot: RunningBot) -> None:
    status, answer = await post_webhook(
        bot, None, raw=b'{"eventData": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    )
    assert status == 413
    assert answer == {"error": "body larger than 1 MB"}


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"not json at all", "body is not JSON"),
        (b'{"hello": "world"}', "not a Harness notification: eventData is missing"),
        (
            b'{"eventData": {"accountIdentifier": "a"}}',
            "not a Harness notification: eventData.orgIdentifier is missing",
        ),
        (b"[1, 2]", "not a Harness notification"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not JSON"),
    ],
)
async def test_malformed_bodies_are_400_with_a_reason(
    bot: RunningBot, raw: bytes, says: str
) -> None:
    status, answer = await post_webhook(bot, None, raw=raw)
    assert status == 400
    assert answer["error"].startswith(says)
    assert "\n" not in answer["error"]


async def test_hostile_identifiers_are_refused(bot: RunningBot, harness: HarnessEmulator) -> None:
    body = event_body(harness)
    body["eventData"]["planExecutionId"] = "../../admin"
    status, answer = await post_webhook(bot, body)
    assert status == 400
    assert "planExecutionId" in answer["error"]


async def test_a_failure_without_its_execution_id_is_400(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    body = event_body(harness)
    del body["eventData"]["planExecutionId"]
    status, answer = await post_webhook(bot, body)
    assert status == 400
    assert "planExecutionId is missing" in answer["error"]


@pytest.mark.parametrize(
    "extra",
    [
        {"eventType": "TriggerFailed", "planExecutionId": ""},
        {"eventType": "TriggerFailed", "planExecutionId": None},
        {"eventType": "SomethingHarnessAddsNextYear"},
        {"eventType": "PipelineEnd"},
    ],
    ids=["trigger-failed-blank-id", "trigger-failed-no-id", "future-event", "pipeline-end"],
)
async def test_events_the_bot_does_not_act_on_are_accepted_and_post_nothing(
    bot: RunningBot, harness: HarnessEmulator, extra: dict[str, Any]
) -> None:
    await subscribe(bot)
    harness.requests.clear()
    await accepted(bot, event_body(harness, **extra))
    await idle(bot)
    assert bot.slack.posts() == []


async def test_long_texts_and_odd_times_are_accepted_and_cut_where_shown(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    body = event_body(
        harness,
        errorMessage="E" * 30_000 + " the end",
        pipelineName="Deploy Checkout " + "x" * 1_000,
        startTs=10**30,
        endTs=10**17,
        executionUrl="https://app.harness.io/" + "p" * 5_000,
        stageIdentifier="not/an/identifier",
        triggeredBy="not an object",
    )
    await accepted(bot, body)
    await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    (post,) = slack.shown()
    assert "Deploy Prod" in text_of(post)  # the failure was posted as usual


async def test_times_in_seconds_or_milliseconds_are_both_read() -> None:
    from bot.harness.notifications import EventData

    base = {
        "accountIdentifier": "a1B2c3D4e5F6g7H8i9J0kL",
        "orgIdentifier": "default",
        "projectIdentifier": "shop",
        "pipelineIdentifier": "deploy",
        "planExecutionId": "x1",
    }
    seconds = EventData.model_validate({**base, "startTs": 1763716500, "endTs": "1763716722"})
    millis = EventData.model_validate({**base, "startTs": 1763716500000, "endTs": 1763716722000})
    assert (seconds.start_ts, seconds.end_ts) == (millis.start_ts, millis.end_ts)
    assert seconds.start_ts == 1763716500
    absurd = EventData.model_validate({**base, "startTs": 10**30, "endTs": -5})
    assert (absurd.start_ts, absurd.end_ts) == (None, None)
    cut = EventData.model_validate(
        {**base, "errorMessage": "E" * 10_500, "pipelineName": "p" * 300}
    )
    assert cut.error_message is not None
    assert cut.error_message.endswith("[cut: 500 more characters]")
    assert cut.pipeline_name is not None and len(cut.pipeline_name) < 300 + 40


async def test_the_webhook_is_off_without_a_token(start_bot: Any, harness: HarnessEmulator) -> None:
    bot = await start_bot()
    status, _ = await post_webhook(bot, event_body(harness))
    assert status == 404


# -- posts --------------------------------------------------------------------------


async def test_a_failure_posts_the_summary_to_every_subscribed_channel(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    await subscribe(bot, channel="C0OPS00001")
    body = event_body(
        harness, triggeredBy={"name": "ci-bot", "email": "ci@acme.test", "triggerType": "WEBHOOK"}
    )
    await accepted(bot, body)
    await slack.wait_for(lambda: len(slack.posts()) >= 2)
    await idle(bot)
    posts = slack.posts()
    assert sorted(p.args["channel"] for p in posts) == ["C0INCIDENT", "C0OPS00001"]
    first = text_of(posts[0])
    assert "|Deploy Checkout>*  :x: Failed" in first
    assert "Triggered by *ci-bot* (webhook)" in first
    # Each post is then filled in, in place: the run, then the link and the excerpt.
    updates = slack.calls("chat.update")
    assert sorted(u.args["channel"] for u in updates) == ["C0INCIDENT"] * 2 + ["C0OPS00001"] * 2
    assert {u.args["ts"] for u in updates} == {p.args["ts"] for p in posts}
    text = text_of(slack.shown()[0])
    assert "Deploy Checkout #42" in text
    assert "Failed in Deploy Prod › Rollout" in text
    assert ROLLOUT_FAILURE in text
    assert "Triggered by *ci-bot* (webhook)" in text
    assert "Duration:* 3m 42s" in text
    assert "download_logs" in text
    assert "1 read as errors" in text  # and the excerpt
    assert f":mag: `timeout or out of memory`  {ROLLOUT_FAILURE}" in text  # what failed, its kind
    assert "open_execution" in text


async def test_a_channel_not_subscribed_gets_nothing(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot, "subscribe release_web")
    await accepted(bot, event_body(harness))
    await idle(bot)
    assert slack.posts() == []


async def test_the_same_delivery_twice_posts_once(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    body = event_body(harness)
    await accepted(bot, body)
    await accepted(bot, body)
    await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    assert len(slack.posts()) == 1
    metrics = await metrics_of(bot)
    assert 'harness_logs_webhooks_total{event="PipelineFailed",outcome="accepted"} 1.0' in metrics
    assert 'harness_logs_webhooks_total{event="PipelineFailed",outcome="duplicate"} 1.0' in metrics


async def test_later_events_go_into_the_thread_and_update_the_parent(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    await accepted(bot, event_body(harness, "StageFailed", stageIdentifier="deploy_prod"))
    await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    await accepted(bot, event_body(harness, "PipelineFailed"))
    await slack.wait_for(lambda: len(slack.posts()) >= 2)
    await slack.wait_for(lambda: slack.calls("chat.update"))
    await idle(bot)
    first, reply = slack.posts()
    assert "thread_ts" not in first.args
    assert ":x: *Deploy Checkout #42* failed" in text_of(reply)
    # The parent was filled in after the first event (the run, then the logs), and
    # refreshed after the second (the same two steps).
    updates = slack.calls("chat.update")
    assert len(updates) == 4
    assert {u.args["ts"] for u in updates} == {reply.args["thread_ts"]} == {first.args["ts"]}
    assert "Deploy Checkout #42" in text_of(slack.shown()[0])


async def test_harness_error_messages_are_redacted_in_root_posts_and_thread_replies(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    leak = (
        "\x1b[31mhelm failed: password\x1b(B=Sup3rSecretPw "
        "token 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 <!channel>\x1b[0m"
    )
    await subscribe(bot)
    body = event_body(harness, "StageFailed", stageIdentifier="deploy_prod", errorMessage=leak)
    await accepted(bot, body)
    await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    await accepted(bot, event_body(harness, "PipelineFailed", errorMessage=leak))
    await slack.wait_for(lambda: len(slack.posts()) >= 2)
    await idle(bot)
    sent = json.dumps([c.args for c in slack.api_calls])
    assert "Sup3rSecretPw" not in sent
    assert "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" not in sent
    assert "<!channel>" not in sent
    assert "\\u001b" not in sent
    assert "[REDACTED:" in text_of(slack.posts()[1])


async def test_recovery_is_announced_in_the_last_failures_thread(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    await accepted(bot, event_body(harness, "PipelineFailed", run=42))
    await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    # Run 41 stands in for a later successful run: the world has no run 43.
    await accepted(bot, event_body(harness, "PipelineSuccess", run=41))
    await slack.wait_for(lambda: len(slack.posts()) >= 2)
    await idle(bot)
    _failure, recovered = slack.posts()
    assert "recovered in" in text_of(recovered)
    assert "run #41" in text_of(recovered)
    assert recovered.args["thread_ts"]
    # Only once: the next success says nothing more.
    await accepted(bot, event_body(harness, "PipelineSuccess", run=41, stageIdentifier="again"))
    await idle(bot)
    assert len(slack.posts()) == 2


async def test_nothing_is_lost_or_posted_twice_under_slack_rate_limits(
    start_bot: Any, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    # One backend is enough here: the queue's contract is tested on both.
    bot = await start_bot(
        bot_store_url=redis_url, harness_webhook_token=WEBHOOK_TOKEN, slack_post_interval=0.05
    )
    channels = ["C0INCIDENT", "C0OPS00001", "C0THIRD001"]
    slack.members.update(channels)
    for channel in channels:
        await subscribe(bot, channel=channel)
    slack.post_rate = 20.0  # per channel, a little over the bot's pace: 429s now and then
    slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after="1", times=2)
    stages = [f"stage{n}" for n in range(8)]
    for stage in stages:
        await accepted(bot, event_body(harness, "StageFailed", stageIdentifier=stage))
    await asyncio.wait_for(bot.app.idle(), 60)
    refused = len(slack.calls("chat.postMessage")) - len(slack.posts())
    assert refused >= 2  # Slack did refuse some (the scripted 429s at least), and they came back
    for channel in channels:
        posts = slack.posts(channel)
        assert len(posts) == len(stages), channel
        replies = [text_of(p) for p in posts if p.args.get("thread_ts")]
        assert len(replies) == len(stages) - 1 == len(set(replies))


async def test_a_post_slack_refuses_is_retried_and_a_redelivery_is_not_ignored(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    slack.fail_next("chat.postMessage", "internal_error", times=2)  # ok=false: not an HTTP retry
    await accepted(bot, event_body(harness))
    await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    (post,) = slack.shown()
    assert "Deploy Prod" in text_of(post)
    # Delivered, so the same delivery again is a duplicate now.
    await accepted(bot, event_body(harness))
    await idle(bot)
    assert len(slack.posts()) == 1


async def test_a_notification_the_store_cannot_record_is_503_so_harness_retries(
    start_bot: Any, harness: HarnessEmulator, tmp_path: Any
) -> None:
    bot = await start_bot(
        bot_store_url=f"sqlite:///{tmp_path}/gone.db", harness_webhook_token=WEBHOOK_TOKEN
    )
    await bot.app.store.close()  # the disk went away
    status, answer = await post_webhook(bot, event_body(harness))
    assert status == 503
    assert "try again" in answer["error"]


async def test_events_all_posts_one_line_replies(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot, "subscribe deploy_checkout events=all")
    await accepted(bot, event_body(harness, "PipelineStart", triggeredBy={"name": "alice"}))
    (parent,) = await slack.wait_for(lambda: slack.posts())
    await idle(bot)
    assert text_of(parent).startswith('{"text": ":arrow_forward: *Deploy Checkout #42* started')
    await accepted(bot, event_body(harness, "StageSuccess", stageIdentifier="build"))
    await accepted(bot, event_body(harness, "PipelineFailed"))
    await slack.wait_for(lambda: len(slack.posts()) >= 3)
    await slack.wait_for(lambda: slack.calls("chat.update"))
    await idle(bot)
    replies = slack.posts()[1:]
    assert all(r.args.get("thread_ts") for r in replies)
    assert any("Stage *Build* succeeded" in text_of(r) for r in replies)
    parent = slack.shown()[0]
    assert "Failed in Deploy Prod › Rollout" in text_of(parent)  # the parent now holds the summary


async def test_failures_only_subscriptions_skip_other_events(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    await accepted(bot, event_body(harness, "PipelineStart"))
    await accepted(bot, event_body(harness, "StageSuccess", stageIdentifier="build"))
    await idle(bot)
    assert slack.posts() == []


async def test_a_channel_that_removed_the_bot_is_marked_broken_and_others_still_get_theirs(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    await subscribe(bot, channel="C0OPS00001")
    slack.members.discard("C0OPS00001")  # the bot was removed from #ops
    await accepted(bot, event_body(harness))
    await slack.wait_for(lambda: slack.posts("C0INCIDENT"))
    await idle(bot)
    assert [p.args["channel"] for p in slack.posts()] == ["C0INCIDENT"]
    _status, _ack, rid = await bot.command("subscriptions", channel_id="C0OPS00001")
    listing = await bot.reply(rid)
    assert "broken (not_in_channel)" in json.dumps(listing)
    metrics = await metrics_of(bot)
    assert "harness_logs_broken_subscriptions_total 1.0" in metrics
    assert (
        'harness_logs_slack_errors_total{error="not_in_channel",method="chat.postMessage"} 1.0'
        in metrics
    )


async def test_subscriptions_survive_a_restart(
    start_bot: Any, store_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    first = await start_bot(bot_store_url=store_url, harness_webhook_token=WEBHOOK_TOKEN)
    await subscribe(first)
    await first.session.close()
    await first.app.stop()
    second = await start_bot(bot_store_url=store_url, harness_webhook_token=WEBHOOK_TOKEN)
    await accepted(second, event_body(harness))
    await slack.wait_for(lambda: slack.posts())
    await idle(second)
    (post,) = slack.shown()
    assert "Deploy Checkout #42" in text_of(post)


async def test_two_replicas_sharing_redis_post_once(
    start_bot: Any, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:

    url = redis_url
    one = await start_bot(bot_store_url=url, harness_webhook_token=WEBHOOK_TOKEN)
    two = await start_bot(bot_store_url=url, harness_webhook_token=WEBHOOK_TOKEN)
    await subscribe(one)
    body = event_body(harness)
    # The load balancer hands Harness's delivery and its retry to different replicas.
    results = await asyncio.gather(post_webhook(one, body), post_webhook(two, body))
    assert [r[0] for r in results] == [202, 202]
    await slack.wait_for(lambda: slack.posts())
    await idle(one)
    await idle(two)
    assert len(slack.posts()) == 1
    assert len(blocks_of(slack.shown()[0])) > 3
    # The failed run is read once for both replicas and both fill-ins (kept in Redis).
    assert len(harness.calls("executions.v2")) == 1


async def test_an_alert_is_posted_from_the_webhook_alone_then_filled_in(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """No Harness call stands before the first post: with Harness refusing everything,
    the alert still goes out, from what the notification says; the run (its number,
    what failed), then the excerpts and the link, fill it in once Harness answers."""
    await subscribe(bot)
    for endpoint in ("executions.v2", "executions.summary", "logs.export", "logs.blob"):
        harness.fail_next(endpoint, 503, times=10_000)
    body = event_body(
        harness,
        errorMessage="Deploy Prod failed: rollout timed out",
        triggeredBy={"name": "ci-bot", "triggerType": "WEBHOOK"},
    )
    await accepted(bot, body)
    (post,) = await slack.wait_for(lambda: slack.posts())
    first = text_of(post)
    assert "|Deploy Checkout>*  :x: Failed" in first
    assert "Deploy Prod failed: rollout timed out" in first  # what Harness reported
    assert "Triggered by *ci-bot* (webhook)" in first
    assert "Preparing the logs export" in first
    harness.clear_faults()
    await slack.wait_for(lambda: len(slack.calls("chat.update")) >= 2)
    await idle(bot)
    (alert,) = slack.shown()
    assert alert.args["ts"] == post.args["ts"]
    filled = text_of(alert)
    assert "Deploy Checkout #42" in filled and "First failure" in filled
    assert "Failed in Deploy Prod › Rollout" in filled and ROLLOUT_FAILURE in filled
    assert "download_logs" in filled and "Preparing" not in filled
    assert len(slack.posts()) == 1


async def test_an_alert_is_filled_with_the_run_before_its_export_is_ready(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    await subscribe(bot)
    harness.export_gate = asyncio.Event()
    await accepted(bot, event_body(harness))  # 202 while the export is still pending
    await slack.wait_for(lambda: slack.calls("chat.update"))
    (alert,) = slack.shown()
    assert "Preparing the logs export" in text_of(alert)
    assert "Failed in Deploy Prod › Rollout" in text_of(alert)  # the run was read
    harness.export_gate.set()
    await slack.wait_for(lambda: len(slack.calls("chat.update")) >= 2)
    await idle(bot)
    (alert,) = slack.shown()
    assert "download_logs" in text_of(alert)
    assert "Preparing" not in text_of(alert)
    assert len(slack.posts()) == 1


# -- the key's budget: calls per alert -------------------------------------------------


async def test_an_alert_reads_its_excerpt_out_of_the_export_made_for_its_link(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """The failing step logs per command unit: a person's command reads it from an
    export of its own, but an alert spends no call on it (the run's zip holds it)."""
    await subscribe(bot)
    harness.requests.clear()
    await accepted(bot, event_body(harness))
    await slack.wait_for(lambda: slack.posts())
    await slack.wait_for(lambda: "download_logs" in text_of(slack.shown()[0]) or None)
    await idle(bot)
    assert "Command finished with status FAILURE" in text_of(slack.shown()[0])  # its excerpt
    assert harness.calls("logs.blob") == []
    prefixes = [c.query["prefix"] for c in harness.calls("logs.export")]
    assert len(prefixes) == 2 and len(set(prefixes)) == 1  # started, then found ready
    assert "rollout" not in prefixes[0]  # the run's export, not the step's


async def test_first_posts_do_not_wait_behind_alerts_being_filled_in(
    start_bot: Any, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """One worker a lane: the first alert's fill-in holds it, waiting for an export that
    does not come, and the next failure is still posted at once."""
    bot = await start_bot(
        bot_store_url=redis_url, harness_webhook_token=WEBHOOK_TOKEN, max_concurrent_jobs=1
    )
    await subscribe(bot)
    harness.add_run(
        RunSpec("deploy_checkout", "Deploy Checkout", 43, "Failed", checkout_stages(True))
    )
    harness.export_gate = asyncio.Event()
    await accepted(bot, event_body(harness, run=42))
    await harness.changes.wait_for(lambda: harness.calls("logs.export"))  # stuck in its fill
    await accepted(bot, event_body(harness, run=43))
    await slack.wait_for(lambda: len(slack.posts()) == 2 or None)
    harness.export_gate.set()
    await idle(bot)


async def test_metrics_show_the_queue_per_lane_and_the_calls_per_alert(
    start_bot: Any, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator, clock: Any
) -> None:
    bot = await start_bot(
        bot_store_url=redis_url, harness_webhook_token=WEBHOOK_TOKEN, max_concurrent_jobs=1
    )
    await subscribe(bot)
    await subscribe(bot, channel="C0OPS00001")
    harness.export_gate = asyncio.Event()
    await accepted(bot, event_body(harness))
    await slack.wait_for(lambda: len(slack.posts()) == 2 or None)
    await harness.changes.wait_for(lambda: harness.calls("logs.export"))
    clock.advance(30)  # one fill-in waits on the export, the other in the queue
    page = await metrics_of(bot)
    assert 'harness_logs_queue_backlog{lane="fill"} 2.0' in page
    assert _gauge(page, 'harness_logs_queue_oldest_seconds{lane="fill"}') >= 30
    assert 'harness_logs_queue_backlog{lane="interactive"} 0.0' in page
    harness.export_gate.set()
    await idle(bot)
    page = await metrics_of(bot)
    assert "harness_logs_alerts_filled_total 2.0" in page
    alerts = _gauge(page, 'harness_logs_harness_calls_total{priority="alerts"}')
    assert 0 < alerts <= 4  # the run read once, its export started and found ready
    assert 'harness_logs_queue_backlog{lane="fill"} 0.0' in page


def _gauge(page: str, name: str) -> float:
    line = next(line for line in page.splitlines() if line.startswith(name + " "))
    return float(line.rsplit(" ", 1)[1])


async def test_two_replicas_make_no_more_calls_than_one(
    start_bot: Any, redis: RedisServer, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """The same failure, fanned out to two channels: filled in by one replica, then by
    two sharing a store (a fresh store and run each), costs Harness the same calls."""
    for run in (43, 44):
        harness.add_run(
            RunSpec("deploy_checkout", "Deploy Checkout", run, "Failed", checkout_stages(True))
        )

    async def calls_for(run: int, replicas: int) -> int:
        url = empty_database(redis)
        bots = [
            await start_bot(
                bot_store_url=url, harness_webhook_token=WEBHOOK_TOKEN, max_concurrent_jobs=1
            )
            for _ in range(replicas)
        ]
        await subscribe(bots[0])
        await subscribe(bots[0], channel="C0OPS00001")
        before = len([r for r in harness.requests if r.endpoint])
        posted = len(slack.posts())
        await accepted(bots[-1], event_body(harness, run=run))
        await slack.wait_for(lambda: len(slack.posts()) == posted + 2 or None)
        for one in bots:
            await idle(one)
        shown = slack.shown()[-2:]
        assert all("download_logs" in text_of(post) for post in shown)
        return len([r for r in harness.requests if r.endpoint]) - before

    alone = await calls_for(43, 1)
    assert await calls_for(44, 2) <= alone


async def test_an_alert_says_what_it_goes_without_when_the_budget_is_short(
    start_bot: Any, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """Past 60 % of the key's budget, history and the comparison with the last green run
    are skipped so people and alerts keep theirs; the post says so."""
    bot = await start_bot(
        bot_store_url=redis_url,
        harness_webhook_token=WEBHOOK_TOKEN,
        harness_rate_limit=20,
        excerpt_compare_last_success=True,
    )
    await subscribe(bot)
    other = await open_store(redis_url, Clock())  # another replica has spent 12 of 20
    for _ in range(12):
        await other.window("harness").take(20, 60.0)
    await other.close()
    await accepted(bot, event_body(harness))
    await slack.wait_for(lambda: slack.posts())
    await slack.wait_for(lambda: "download_logs" in text_of(slack.shown()[0]) or None)
    await idle(bot)
    text = text_of(slack.shown()[0])
    assert "goes without the comparison with the last green run and the run's history" in text
    assert "Command finished with status FAILURE" in text  # the excerpt itself is there
    assert harness.calls("executions.summary") == []


async def test_while_alerts_queue_up_for_their_fill_ins_they_go_without_the_extras(
    start_bot: Any, redis_url: str, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """The key's window is empty, but another replica has had an alert's fill-in on its
    hands for a minute: the budget is short in fact, so history and the comparison wait
    for nobody and the post says it goes without them."""
    # The other replica took its work before this one starts, or this one's workers
    # could take it first.
    other = await open_store(redis_url, Clock())
    stale = Work("elsewhere", {}, deadline=Clock().time() + 3600, lane=Lane.FILL)
    await other.enqueue(replace(stale, created_at=Clock().time() - 60))
    assert await other.take(Lane.FILL, "the-other-replica", 3600, 1)  # busy with it
    await other.close()
    bot = await start_bot(
        bot_store_url=redis_url,
        harness_webhook_token=WEBHOOK_TOKEN,
        excerpt_compare_last_success=True,
    )
    await subscribe(bot)
    await accepted(bot, event_body(harness))
    await slack.wait_for(lambda: slack.posts())
    await slack.wait_for(lambda: "download_logs" in text_of(slack.shown()[0]) or None)
    text = text_of(slack.shown()[0])  # (not idle: the other replica's work stays queued)
    assert "goes without the comparison with the last green run and the run's history" in text
    assert "Command finished with status FAILURE" in text
    assert harness.calls("executions.summary") == []
