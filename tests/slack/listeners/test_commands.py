"""/harness-logs end to end: signed requests in, Harness emulator behind, replies recorded.

Tests with `bot` drive the running app over real sockets; tests with `dispatch`
(the in-process tier, for the many forms people type) hand the same signed requests
straight to Bolt. Either way the Slack emulator records what reaches `response_url`
and the Harness emulator what was asked.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import MovableClock
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RECORDED_KEYS, RunSpec, StageSpec, StepSpec, uid
from emulators.harness.world import ROLLOUT_FAILURE, checkout_stages
from emulators.slack import BOT_TOKEN, SIGNING_SECRET
from tests.blockkit import all_text, assert_valid_message
from tests.conftest import RunningBot
from tests.slack.support import ACK_TIMEOUT, ask


async def refused_in_ack(bot: RunningBot, harness: HarnessEmulator, text: str) -> str:
    """Run a command that must be refused at once, without any call to Harness."""
    status, ack, rid = await asyncio.wait_for(bot.command(text), ACK_TIMEOUT)
    assert status == 200
    assert isinstance(ack, dict) and ack["response_type"] == "ephemeral"
    assert harness.requests == []
    assert_valid_message(ack)
    assert bot.slack.replies_to(rid) == []
    return all_text(ack)


def exported_prefixes(harness: HarnessEmulator) -> set[str]:
    return {r.query["prefix"] for r in harness.calls("logs.export")}


def run_base(
    harness: HarnessEmulator, pipeline: str, run: int, org: str = "default", project: str = "shop"
) -> str:
    spec = next(
        r for r in harness.pipelines[(org, project)][pipeline].runs if r.run_sequence == run
    )
    return f"{harness.account}/pipeline/{pipeline}/{run}/-{spec.plan_execution_id}"


# -- the forms people type ----------------------------------------------------


@pytest.mark.parametrize("text", ["", "help", "  HELP "])
async def test_help_is_a_private_usage_message(
    dispatch: RunningBot, harness: HarnessEmulator, text: str
) -> None:
    said = await refused_in_ack(dispatch, harness, text)
    assert "deploy_checkout #42 deploy_prod/rollout" in said
    for command in ("subscribe deploy_checkout", "unsubscribe deploy_checkout", "subscriptions"):
        assert command in said
    assert "commands read `default/shop`" in said


async def test_latest_run_posts_link_status_failure_and_requester(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    ack, reply = await ask(bot, "deploy_checkout", user_id="U0BOB00001")
    assert "*deploy_checkout* (latest run)" in ack["text"]
    assert reply["response_type"] == "in_channel"
    text = all_text(reply)
    assert "Deploy Checkout #42" in text and ":x: Failed" in text
    assert "whole pipeline" in text
    assert "Failed in Deploy Prod › Rollout" in text and ROLLOUT_FAILURE in text
    assert "<@U0BOB00001>" in text
    assert "link expires <!date^" in text
    link = next(
        e["url"]
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "download_logs"
    )
    assert "/storage/harness-download/" in link
    # The link's export, and the failed step's (its log is per command unit, so zipped).
    base = run_base(harness, "deploy_checkout", 42)
    assert exported_prefixes(harness) == {base, base + "/deploy_prod/rollout"}
    # The export was polled until ready, with the key and account on every API call,
    # and the pre-signed zip was fetched without the key.
    assert len(harness.calls("logs.export")) >= 2
    api_calls = [r for r in harness.requests if r.path.startswith("/gateway/")]
    downloads = [r for r in harness.requests if r.path.startswith("/storage/")]
    assert all(r.headers["x-api-key"] == harness.api_key for r in api_calls)
    assert downloads
    assert all("x-api-key" not in {h.lower() for h in r.headers} for r in downloads)
    assert all(r.query["accountID"] == harness.account for r in harness.calls("logs.export"))


async def test_a_numbered_run(bot: RunningBot, harness: HarnessEmulator) -> None:
    _, reply = await ask(bot, "deploy_checkout #41")
    text = all_text(reply)
    assert "Deploy Checkout #41" in text and ":white_check_mark: Success" in text
    assert "Failed in" not in text
    assert exported_prefixes(harness) == {run_base(harness, "deploy_checkout", 41)}


async def test_one_stage_of_a_run(bot: RunningBot, harness: HarnessEmulator) -> None:
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod")
    assert "stage Deploy Prod" in all_text(reply)
    stage = run_base(harness, "deploy_checkout", 42) + "/deploy_prod"
    assert exported_prefixes(harness) == {stage, stage + "/rollout"}


@pytest.mark.parametrize(
    "text",
    [
        "deploy_checkout #42 deploy_prod/rollout",
        "deploy_checkout #42 deploy_prod.rollout",
        "deploy_checkout deploy_prod/rollout",
        '"deploy checkout" #42 "DEPLOY PROD"/rollout',
        "“Deploy Checkout” #42 “Deploy Prod”/Rollout",
        "DEPLOY_CHECKOUT #42 Deploy_Prod.ROLLOUT",
    ],
)
async def test_one_step_by_identifier_or_display_name(
    bot: RunningBot, harness: HarnessEmulator, text: str
) -> None:
    _, reply = await ask(bot, text)
    said = all_text(reply)
    assert "step Deploy Prod › Rollout" in said
    assert "Failed in Deploy Prod › Rollout" in said
    assert exported_prefixes(harness) == {
        run_base(harness, "deploy_checkout", 42) + "/deploy_prod/rollout"
    }


async def test_another_org_and_project(bot: RunningBot, harness: HarnessEmulator) -> None:
    _, reply = await ask(bot, "deploy_payments in payments/checkout")
    assert "Deploy Payments #3" in all_text(reply)
    assert "`payments/checkout`" in all_text(reply)
    assert exported_prefixes(harness) == {
        run_base(harness, "deploy_payments", 3, "payments", "checkout")
    }
    assert all(r.query["orgIdentifier"] == "payments" for r in harness.calls("pipelines.list"))


async def test_older_executions_use_legacy_log_keys(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    await ask(bot, "release_web build/install")
    base = f"accountId:{harness.account}/orgId:default/projectId:shop/pipelineId:release_web/runSequence:7"
    assert exported_prefixes(harness) == {
        f"{base}/level0:pipeline/level1:stages/level2:build/level3:spec/level4:execution/level5:steps/level6:install"
    }


async def test_a_failed_rollback_step_is_read_where_harness_logged_it(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.add_pipeline("deploy_cart", "Deploy Cart")
    run = harness.add_run(
        RunSpec(
            "deploy_cart",
            "Deploy Cart",
            8,
            "Failed",
            [
                StageSpec(
                    "prod",
                    "Prod",
                    "Failed",
                    [
                        StepSpec("rollout", "Rollout", "Failed", "rollout timed out"),
                        StepSpec(
                            "undo",
                            "Undo",
                            "Failed",
                            "Error: UPGRADE FAILED: release cart has no deployed releases",
                            rollback=True,
                            key=RECORDED_KEYS["rollback_step"],
                        ),
                    ],
                )
            ],
            node_log_keys=False,
        )
    )
    _, reply = await ask(bot, "deploy_cart prod/undo")
    base = f"{harness.account}/pipeline/deploy_cart/8/-{run.plan_execution_id}"
    assert exported_prefixes(harness) == {f"{base}/prod/undo"}
    assert "release cart has no deployed releases" in all_text(reply)


async def test_two_failed_steps_are_both_named(bot: RunningBot) -> None:
    _, reply = await ask(bot, "integration")
    text = all_text(reply)
    assert "Failed in API › Contract Tests" in text and "3 contract tests failed" in text
    assert "Failed in UI › E2E" in text and "exit status 2" in text


# -- execution URLs -----------------------------------------------------------


def execution_url(
    harness: HarnessEmulator, host: str, run: int = 42, query: str = "", hash_route: bool = False
) -> str:
    spec = next(
        r
        for r in harness.pipelines[("default", "shop")]["deploy_checkout"].runs
        if r.run_sequence == run
    )
    route = "/ng/#/account" if hash_route else "/ng/account"
    return (
        f"https://{host}{route}/{harness.account}/module/cd/orgs/default/projects/shop/"
        f"pipelines/deploy_checkout/executions/{spec.plan_execution_id}/pipeline{query}"
    )


async def test_a_pasted_execution_url(start_bot: Any, harness: HarnessEmulator) -> None:
    bot = await start_bot(harness_ui_hosts="acme.harness.io")
    _, reply = await ask(bot, f"<{execution_url(harness, 'acme.harness.io')}>")
    assert "Deploy Checkout #42" in all_text(reply)
    base = run_base(harness, "deploy_checkout", 42)
    assert exported_prefixes(harness) == {base, base + "/deploy_prod/rollout"}


async def test_an_export_link_on_the_accounts_vanity_host_is_posted_and_read(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    """The log service may sign its links on the account's vanity host (log-service
    handler/store.go): a host the operator declared in HARNESS_UI_HOSTS is fetched
    from, with its exact scheme and port, and shown."""
    vanity = f"http://localhost:{harness.port}"  # another name for the emulator
    harness.link_origin = vanity
    bot = await start_bot(harness_ui_hosts=vanity)
    _, reply = await ask(bot, "deploy_checkout #42")
    said = all_text(reply)
    assert f"{vanity}/storage/harness-download/" in said
    assert ROLLOUT_FAILURE in said  # the excerpt, read from the link
    assert harness.downloads  # fetched on the vanity host


async def test_url_stage_and_step_parameters_select_nodes(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(harness_ui_hosts="acme.harness.io")
    spec = harness.pipelines[("default", "shop")]["deploy_checkout"].runs[0]
    stage_key = uid("setup", "pipeline.stages.deploy_prod")  # layoutNodeMap key, as the UI uses
    step_uuid = uid(
        spec.plan_execution_id, "pipeline.stages.deploy_prod.spec.execution.steps.rollout"
    )
    url = execution_url(
        harness, "acme.harness.io", query=f"?stage={stage_key}&step={step_uuid}", hash_route=True
    )
    _, reply = await ask(bot, url.replace("&", "&amp;"))
    assert "step Deploy Prod › Rollout" in all_text(reply)
    assert exported_prefixes(harness) == {
        run_base(harness, "deploy_checkout", 42) + "/deploy_prod/rollout"
    }

    harness.requests.clear()
    _, reply = await ask(
        bot, execution_url(harness, "acme.harness.io", query=f"?stage={stage_key}")
    )
    assert "stage Deploy Prod" in all_text(reply)
    assert ROLLOUT_FAILURE in all_text(reply)  # the failed step's excerpt, read once already
    stage = run_base(harness, "deploy_checkout", 42) + "/deploy_prod"
    assert exported_prefixes(harness) == {stage}


@pytest.mark.parametrize(
    ("host", "says"),
    [("evil.example.com", "not a Harness host"), ("acme.harness.io", "not a Harness host")],
)
async def test_urls_on_other_hosts_are_refused_and_never_fetched(
    dispatch: RunningBot, harness: HarnessEmulator, host: str, says: str
) -> None:
    said = await refused_in_ack(dispatch, harness, execution_url(harness, host))
    assert says in said


async def test_url_for_another_account_is_refused(
    dispatch: RunningBot, harness: HarnessEmulator
) -> None:
    url = execution_url(harness, "127.0.0.1").replace(harness.account, "otherAccount123")
    said = await refused_in_ack(dispatch, harness, url)
    assert "another Harness account" in said


async def test_url_to_an_unknown_execution(bot: RunningBot, harness: HarnessEmulator) -> None:
    url = execution_url(harness, "127.0.0.1").replace("/executions/x", "/executions/nope")
    status, _ack, rid = await bot.command(url)
    assert status == 200
    reply = await bot.reply(rid)
    assert reply["response_type"] == "ephemeral"
    assert "no execution `nope" in reply["text"]


# -- mistakes: private answers with suggestions, nothing in the channel ------


@pytest.mark.parametrize(
    ("text", "says", "suggests"),
    [
        ("deploy_chekout", "No pipeline called `deploy_chekout`", "deploy_checkout"),
        ("deploy_checkout #99", "has no run #99", "#42"),
        ("deploy_checkout #42 deploy_prd", "has no stage called `deploy_prd`", "deploy_prod"),
        ("deploy_checkout #42 deploy_prod/rolout", "has no step called `rolout`", "rollout"),
        ('deploy_checkout "Deploy Prod"/Rolback', "has no step called `Rolback`", "Rollout"),
        ("nightly", "has not run yet", ""),
        ("deploy_checkout in payments/nope", "no project `payments/nope`", ""),
    ],
)
async def test_unknown_names_get_a_private_answer_with_suggestions(
    dispatch: RunningBot, harness: HarnessEmulator, text: str, says: str, suggests: str
) -> None:
    status, _ack, rid = await dispatch.command(text)
    assert status == 200
    reply = await dispatch.reply(rid)
    assert reply["response_type"] == "ephemeral"
    assert reply.get("replace_original") is False
    assert says in reply["text"]
    if suggests:
        assert f"`{suggests}`" in reply["text"].split("Did you mean", 1)[1]
    assert harness.calls("logs.export") == []


async def test_harness_names_in_error_replies_cannot_ping_or_break_formatting(
    dispatch: RunningBot, harness: HarnessEmulator
) -> None:
    harness.add_pipeline("hostile_names", "<!channel> ```Deploy``` <@U0BOSS>")
    status, _ack, rid = await dispatch.command("hostile_names")
    assert status == 200
    reply = await dispatch.reply(rid)
    assert reply["response_type"] == "ephemeral"
    assert "has not run yet" in reply["text"]
    assert "<!channel>" not in reply["text"]
    assert "<@U0BOSS>" not in reply["text"]
    assert "```" not in reply["text"]
    assert "&lt;!channel&gt;" in reply["text"]


@pytest.mark.parametrize(
    "text",
    [
        "../../etc/passwd",
        "deploy_checkout ../../admin",
        "deploy?x=1&y=2",
        "deploy_checkout 'a/b'",
        "deploy_checkout #-1",
        "deploy_checkout in ../x",
        "deploy\x07checkout",
        "x" * 10_000,
        "deploy_checkout some extra words",
        "https://app.harness.io.evil.com/ng/account/a/cd/orgs/o/projects/p/pipelines/x/executions/e/pipeline",
    ],
)
async def test_malformed_input_is_refused_before_anything_reaches_harness(
    dispatch: RunningBot, harness: HarnessEmulator, text: str
) -> None:
    said = await refused_in_ack(dispatch, harness, text)
    assert ":warning:" in said


# -- log-service errors: an actionable note in place of the link -------------


async def test_too_many_log_files_suggests_naming_a_stage(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.too_many_files.add(run_base(harness, "deploy_checkout", 42))
    _, reply = await ask(bot, "deploy_checkout #42")
    text = all_text(reply)
    assert reply["response_type"] == "in_channel"
    assert (
        "Too many log files" in text and '/harness-logs deploy_checkout #42 "Deploy Prod"' in text
    )
    assert "download_logs" not in text
    # A permanent answer is not retried even though Harness sends it as a 500.
    pipeline_calls = [
        c
        for c in harness.calls("logs.export")
        if c.query["prefix"] == run_base(harness, "deploy_checkout", 42)
    ]
    assert len(pipeline_calls) == 1


async def test_no_logs_under_the_prefix(bot: RunningBot, harness: HarnessEmulator) -> None:
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/verify")
    assert "No logs yet" in all_text(reply)


async def test_export_refused_for_the_key(bot: RunningBot, harness: HarnessEmulator) -> None:
    # Twice: the pipeline's export and the failed step's run side by side, in either order.
    harness.fail_next(
        "logs.export", 403, times=2, body={"error_msg": f"forbidden for {harness.api_key}"}
    )
    _, reply = await ask(bot, "deploy_checkout")
    text = all_text(reply)
    assert "lacks access" in text
    assert harness.api_key not in text


async def test_export_that_never_finishes_times_out_and_says_how_long(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(harness_export_timeout=0.6)
    harness.export_gate = asyncio.Event()
    _, reply = await ask(bot, "deploy_checkout")
    assert "still preparing the logs after 0 s" in all_text(reply) or "after 1 s" in all_text(reply)


async def test_export_that_fails_reports_harness_message(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.export_final_status = "error"
    _, reply = await ask(bot, "deploy_checkout")
    assert "could not export the logs*: emulated export failure" in all_text(reply)


# -- transient failures are retried ---------------------------------------------


async def test_rate_limits_and_server_errors_are_retried(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.fail_next("pipelines.list", 429, times=2, retry_after="0")
    harness.fail_next("executions.summary", 502)
    harness.fail_next("executions.v2", 503, retry_after="0")
    harness.fail_next("logs.export", 500, times=2)
    _, reply = await ask(bot, "deploy_checkout")
    assert "download_logs" in all_text(reply)


async def test_dropped_connections_are_retried(bot: RunningBot, harness: HarnessEmulator) -> None:
    harness.drop_next("executions.v2")
    harness.drop_next("logs.export")
    _, reply = await ask(bot, "deploy_checkout")
    assert "download_logs" in all_text(reply)


async def test_harness_down_past_the_deadline(start_bot: Any, harness: HarnessEmulator) -> None:
    bot = await start_bot(harness_retry_deadline=0.5)
    harness.fail_next("logs.export", 503, times=10_000)
    _, reply = await ask(bot, "deploy_checkout")
    assert "not answering right now" in all_text(reply)
    assert len(harness.calls("logs.export")) >= 2


async def test_harness_down_while_resolving(start_bot: Any, harness: HarnessEmulator) -> None:
    bot = await start_bot(harness_retry_deadline=0.3)
    harness.fail_next("pipelines.list", 503, times=10_000)
    status, _ack, rid = await bot.command("deploy_checkout")
    assert status == 200
    reply = await bot.reply(rid)
    assert reply["response_type"] == "ephemeral"
    assert "Harness is not answering right now" in reply["text"]


async def test_a_wrong_api_key_is_explained_without_showing_it(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(harness_api_key="pat.wrong.key.Sup3rS3cretValue")
    status, _ack, rid = await bot.command("deploy_checkout")
    assert status == 200
    reply = await bot.reply(rid)
    assert "refused the bot's API key" in reply["text"]
    assert "Sup3rS3cretValue" not in all_text(reply)


# -- Slack's rules ------------------------------------------------------------------


async def test_the_ack_does_not_wait_for_harness(bot: RunningBot, harness: HarnessEmulator) -> None:
    harness.export_gate = asyncio.Event()
    status, ack, rid = await asyncio.wait_for(bot.command("deploy_checkout"), ACK_TIMEOUT)
    assert status == 200 and "Fetching logs" in ack["text"]  # type: ignore[index]
    await harness.changes.wait_for(lambda: len(harness.calls("logs.export")) >= 2)
    assert bot.slack.replies_to(rid) == []  # still exporting, and Slack already has its answer
    harness.export_gate.set()
    reply = await bot.reply(rid)
    assert "download_logs" in all_text(reply)


@pytest.mark.parametrize(
    ("secret", "age"),
    [("wrong-secret-000000000000000", 0), (SIGNING_SECRET, 60 * 10)],
    ids=["wrong-signature", "stale-timestamp"],
)
async def test_unsigned_or_stale_requests_get_401_and_run_nothing(
    dispatch: RunningBot, harness: HarnessEmulator, secret: str, age: int
) -> None:
    status, _body, rid = await dispatch.command(
        "deploy_checkout", secret=secret, timestamp=int(dispatch.app.clock.time()) - age
    )
    assert status == 401
    assert harness.requests == []
    assert dispatch.slack.replies_to(rid) == []


async def test_a_replayed_command_runs_once(bot: RunningBot, harness: HarnessEmulator) -> None:
    body = {"trigger_id": "trig.replayed.1", "response_id": "replayed"}
    first = await bot.command(
        "deploy_checkout", response_id=body["response_id"], trigger_id=body["trigger_id"]
    )
    again = await bot.command(
        "deploy_checkout", response_id=body["response_id"], trigger_id=body["trigger_id"]
    )
    assert first[0] == again[0] == 200
    await bot.reply("replayed")
    await asyncio.wait_for(bot.app.idle(), 10)
    assert len(bot.slack.replies_to("replayed")) == 1
    assert len(harness.calls("executions.v2")) == 1


async def test_a_command_the_store_cannot_record_is_refused_in_the_ack(
    start_bot: Any, harness: HarnessEmulator, tmp_path: Any
) -> None:
    bot = await start_bot(bot_store_url=f"sqlite:///{tmp_path}/gone.db")
    await bot.app.store.close()
    status, ack, _rid = await bot.command("deploy_checkout")
    assert status == 200
    assert isinstance(ack, dict) and ack["response_type"] == "ephemeral"
    assert "cannot take requests right now" in ack["text"]
    assert harness.requests == []


async def test_a_slow_export_updates_the_fetching_note_then_clears_it(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(command_progress_after=0.02)
    harness.export_gate = asyncio.Event()
    _status, _ack, rid = await bot.command("deploy_checkout")
    notes = await bot.slack.wait_for(
        lambda: [r for r in bot.slack.replies_to(rid) if "so far" in r.get("text", "")][1:] or None
    )
    assert all(n["replace_original"] is True and n["response_type"] == "ephemeral" for n in notes)
    assert "Harness is preparing the export for *deploy_checkout*" in notes[0]["text"]
    harness.export_gate.set()
    await bot.slack.wait_for(
        lambda: [r for r in bot.slack.replies_to(rid) if r.get("delete_original")] or None
    )
    replies = bot.slack.replies_to(rid)
    assert len(replies) == 4  # two notes, the result, the note cleared: within Slack's five
    assert replies[2]["response_type"] == "in_channel"
    assert "download_logs" in all_text(replies[2])


async def test_a_hung_harness_is_told_within_the_request_deadline(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(request_deadline=0.5, harness_export_timeout=600)
    harness.export_gate = asyncio.Event()  # the export never finishes
    _, reply = await ask(bot, "deploy_checkout")
    assert "did not answer within 0 s" in all_text(reply) or "within 1 s" in all_text(reply)


async def test_reply_survives_a_response_url_hiccup(bot: RunningBot) -> None:
    bot.slack.response_failures["flaky"] = [500]
    _ack, reply = await ask(bot, "deploy_checkout", response_id="flaky")
    assert reply["response_type"] == "in_channel"
    assert len(bot.slack.replies_to("flaky")) == 1


async def test_many_people_asking_at_once_share_one_export(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.export_gate = asyncio.Event()
    asked = [await bot.command("deploy_checkout #42", user_id=f"U{i:09d}") for i in range(5)]
    await harness.changes.wait_for(lambda: harness.calls("logs.export"))
    prefix = harness.calls("logs.export")[-1].query["prefix"]

    def polls() -> int:
        return sum(c.query["prefix"] == prefix for c in harness.calls("logs.export"))

    seen = polls()
    await harness.changes.wait_for(lambda: polls() > seen + 1)
    before = polls()
    harness.export_gate.set()
    for _status, _ack, rid in asked:
        assert "download_logs" in all_text(await bot.reply(rid))
    # One export polled on one schedule: the poll after the gate opened answered all five.
    assert polls() - before == 1
    assert len(harness.calls("executions.v2")) == 1  # one read of the run, kept for all five


async def test_a_finished_runs_link_is_reused_until_it_nears_expiry_and_a_running_ones_never(
    start_bot: Any, store_url: str, harness: HarnessEmulator, clock: MovableClock
) -> None:
    # On both stores: Redis expires the kept link on its own clock, the bot on the link's.
    bot = await start_bot(bot_store_url=store_url)

    def exports_of(prefix: str) -> int:
        return sum(c.query["prefix"] == prefix for c in harness.calls("logs.export"))

    finished = run_base(harness, "deploy_checkout", 42)
    for _ in range(3):
        _, reply = await ask(bot, "deploy_checkout #42")
        assert "download_logs" in all_text(reply)
    assert exports_of(finished) == 2  # one export (queued, then ready), then the kept link

    clock.advance(23 * 3600)  # the link (a day's) has an hour left: still handed out
    await ask(bot, "deploy_checkout #42")
    assert exports_of(finished) == 2
    clock.advance(3600 - 120)  # two minutes left: too little to keep handing out
    _, reply = await ask(bot, "deploy_checkout #42")
    assert exports_of(finished) == 3  # asked again; the log service still has that link
    assert "download_logs" in all_text(reply)
    clock.advance(180)  # gone: the log service makes a new export, with a new day
    _, reply = await ask(bot, "deploy_checkout #42")
    assert exports_of(finished) == 5  # queued, then ready
    expires = harness.link_expires(finished)
    assert expires is not None and expires > clock.now() + timedelta(hours=23)  # a new day
    assert f"{expires:%Y-%m-%d %H:%M} UTC" in all_text(reply)

    harness.add_run(
        RunSpec("deploy_checkout", "Deploy Checkout", 43, "Running", checkout_stages(False))
    )
    running = run_base(harness, "deploy_checkout", 43)
    await ask(bot, "deploy_checkout #43")
    first = exports_of(running)
    await ask(bot, "deploy_checkout #43")
    assert exports_of(running) > first  # still logging: exported again


async def test_no_secret_reaches_slack(bot: RunningBot, harness: HarnessEmulator) -> None:
    harness.fail_next(
        "logs.export", 400, body={"error_msg": f"bad key {harness.api_key} {BOT_TOKEN}"}
    )
    _, reply = await ask(bot, "deploy_checkout")
    text = all_text(reply)
    assert harness.api_key not in text and BOT_TOKEN not in text and SIGNING_SECRET not in text


async def test_a_step_known_to_log_per_unit_is_read_from_its_export_without_trying_a_blob(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    """Rollout logs one file per command unit: the first run's read learns there is no
    blob at its key (a 404 costs a call of the key's budget); the next run's goes
    straight to the export."""
    harness.add_run(
        RunSpec(
            "deploy_checkout",
            "Deploy Checkout",
            43,
            "Failed",
            checkout_stages(True),
            failure=ROLLOUT_FAILURE,
        )
    )
    _, reply = await ask(bot, "deploy_checkout #42")
    assert "Command finished with status FAILURE" in all_text(reply)
    assert len(harness.calls("logs.blob")) == 1
    _, reply = await ask(bot, "deploy_checkout #43")
    assert "Command finished with status FAILURE" in all_text(reply)
    assert len(harness.calls("logs.blob")) == 1
