"""The logs post: valid for Slack whatever Harness sends, and readable."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from bot.domain import (
    Execution,
    ExportProblem,
    Failure,
    LogScope,
    LogsLink,
    Node,
    Reason,
    ScopeKind,
)
from bot.service.targets import LogsResult
from bot.slack.views.blocks import status_label
from bot.slack.views.logs import logs_message, problem_text
from tests.blockkit import all_text, assert_valid_message

STAGE = Node("u1", "deploy_prod", "Deploy Prod", "pipeline.stages.deploy_prod", "Failed")
STEP = Node(
    "u2",
    "rollout",
    "Rollout",
    "pipeline.stages.deploy_prod.spec.execution.steps.rollout",
    "Failed",
    failure_message="timed out",
)
EXECUTION = Execution(
    account="acc",
    org="default",
    project="shop",
    pipeline_identifier="deploy_checkout",
    pipeline_name="Deploy Checkout",
    run_sequence=42,
    plan_execution_id="exec1",
    status="Failed",
    started_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    ended_at=datetime(2026, 11, 20, 10, 3, 42, tzinfo=UTC),
    nodes=(STAGE, STEP),
)
LINK = LogsLink(
    "https://app.harness.io/storage/x/logs.zip?sig=1&b=2",
    datetime(2026, 11, 27, 10, 3, 21, tzinfo=UTC),
)


def result(**changes: object) -> LogsResult:
    values: dict[str, object] = {
        "execution": EXECUTION,
        "log_scope": LogScope(ScopeKind.STEP, "p", STAGE, STEP),
        "execution_url": "https://app.harness.io/ng/account/acc/all/orgs/default/projects/shop/pipelines/deploy_checkout/executions/exec1/pipeline",
        "failures": [Failure("Deploy Prod", "Rollout", "timed out")],
        "export": LINK,
    }
    values.update(changes)
    return LogsResult(**values)  # type: ignore[arg-type]


def test_logs_message_carries_everything_a_reader_needs() -> None:
    message = logs_message(result(), "U0ALICE")
    assert_valid_message(message)
    text = all_text(message)
    assert message["response_type"] == "in_channel"
    assert "Deploy Checkout #42" in text
    assert ":x: Failed" in text
    assert "step Deploy Prod › Rollout" in text
    assert "Failed in Deploy Prod › Rollout" in text and "timed out" in text
    assert "<@U0ALICE>" in text
    assert "<!date^1795773801^" in text and "2026-11-27 10:03 UTC" in text
    assert "3m 42s" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b.get("url") for b in buttons] == [LINK.url, result().execution_url, None]
    assert buttons[2]["action_id"] == "refresh_link"
    assert json.loads(buttons[2]["value"]) == {"o": "default", "p": "shop", "e": "exec1", "n": "u2"}
    assert any(LINK.url in b.get("text", {}).get("text", "") for b in message["blocks"])


@pytest.mark.parametrize(
    ("status", "emoji"),
    [
        ("Success", ":white_check_mark:"),
        ("Failed", ":x:"),
        ("Running", ":arrows_counterclockwise:"),
        ("Aborted", ":no_entry_sign:"),
        ("Expired", ":alarm_clock:"),
        ("AbortedByFreeze", ":snowflake:"),
        ("IgnoreFailed", ":warning:"),
        ("Queued", ":hourglass_flowing_sand:"),
        ("SomethingNew", ":grey_question:"),
    ],
)
def test_every_status_reads_at_a_glance(status: str, emoji: str) -> None:
    assert status_label(status).startswith(emoji)


def test_hostile_harness_text_cannot_ping_or_break_formatting() -> None:
    hostile = "<!channel> <@U123> ``` `rm -rf` ``` <https://evil.example|click> &amp;"
    failures = [Failure(hostile, hostile, hostile * 200)]
    execution = Execution(**{**EXECUTION.__dict__, "pipeline_name": hostile})
    message = logs_message(result(execution=execution, failures=failures), None)
    assert_valid_message(message)
    text = all_text(message)
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    failure_block = next(
        b for b in message["blocks"] if "Failed in" in b.get("text", {}).get("text", "")
    )
    assert failure_block["text"]["text"].count("```") == 2


def test_many_failures_are_capped_with_a_count() -> None:
    failures = [Failure(f"Stage {i}", f"Step {i}", "x" * 2000) for i in range(7)]
    message = logs_message(result(failures=failures), None)
    assert_valid_message(message)
    assert "and 4 more failed steps" in all_text(message)


def test_a_link_too_long_for_a_button_is_still_shown() -> None:
    link = LogsLink("https://storage.googleapis.com/b/logs.zip?X-Goog-Signature=" + "a" * 3100)
    message = logs_message(result(export=link), None)
    assert_valid_message(message)
    buttons = [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert "download_logs" not in buttons
    assert link.url in message["text"]
    assert link.url in [
        e["url"]
        for b in message["blocks"]
        if b["type"] == "rich_text"
        for s in b["elements"]
        for e in s["elements"]
    ]


@pytest.mark.parametrize(
    ("problem", "says"),
    [
        (ExportProblem(Reason.NO_LOGS), "No logs yet"),
        (ExportProblem(Reason.TOO_MANY_FILES), 'deploy_checkout #42 "Deploy Prod"'),
        (ExportProblem(Reason.ACCESS), "lacks access"),
        (ExportProblem(Reason.TIMEOUT, waited=600.2), "after 600 s"),
        (ExportProblem(Reason.UNAVAILABLE), "not answering"),
        (ExportProblem(Reason.FAILED, "disk <full>"), "disk &lt;full&gt;"),
    ],
)
def test_export_problems_take_the_place_of_the_link(problem: ExportProblem, says: str) -> None:
    message = logs_message(result(export=problem), "U1")
    assert_valid_message(message)
    assert says in all_text(message)
    assert "download_logs" not in all_text(message)


@pytest.mark.parametrize("reason", list(Reason), ids=lambda r: r.value)
def test_every_reason_has_words_for_a_missing_link_and_a_missing_excerpt(
    reason: Reason,
) -> None:
    from bot.domain import ExcerptUnavailable, ExportProblem
    from bot.slack.views.failures import missing_excerpt

    problem = ExportProblem(reason, "<!channel> detail", waited=3.0)
    text = problem_text(problem, result())
    assert len(text) > 20 and "<!channel>" not in text
    words = missing_excerpt(ExcerptUnavailable(reason, "detail", waited=3.0))
    assert words.startswith(("this step", "the log"))


def test_a_hostile_step_name_in_why_there_is_no_link_cannot_ping() -> None:
    """The export covers a step whose name came from Harness: "no logs yet for the step
    …" shows it inert, as the post's other lines do."""
    hostile = dataclasses.replace(STEP, name="<!channel> `x`")
    scope = LogScope(ScopeKind.STEP, "p", STAGE, hostile)
    text = problem_text(ExportProblem(Reason.NO_LOGS, ""), result(log_scope=scope))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
