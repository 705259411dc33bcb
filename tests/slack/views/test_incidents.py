"""Failure alerts' triage parts: valid Block Kit whatever Harness sends, and readable."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.domain import (
    ExcerptUnavailable,
    ExportProblem,
    Failure,
    History,
    Origin,
    Person,
    PipelineEvent,
    PipelineKey,
    Reason,
    Standing,
)
from bot.domain.retry_plans import Started
from bot.service.incidents import Alert
from bot.service.retry_runs import Retried, RetryRefused
from bot.service.targets import FullExcerpt
from bot.slack.views.action_ids import MUTE, RETRY
from bot.slack.views.failures import full_excerpt_messages
from bot.slack.views.incidents import event_line, notification_message, who_line
from bot.slack.views.logs import logs_message
from bot.slack.views.triage import mute_select, retried_message, retry_refused_message
from tests.blockkit import all_text, assert_valid_message
from tests.slack.views.test_logs import EXECUTION, result

EVENT = PipelineEvent("acc", "default", "shop", "deploy_checkout", "exec1", "PipelineFailed")
ORIGIN = Origin(
    triggered_by=Person("dana", "dana@acme.test"),
    trigger_type="WEBHOOK",
    author=Person("Lee Chen", "lee@acme.test"),
    branch="release/2026.11",
    commit="4f2a9c1e77aa",
)


def alert(**changes: object) -> Alert:
    execution = dataclasses.replace(EXECUTION, origin=ORIGIN)
    values: dict[str, object] = {"result": result(execution=execution), "event": EVENT}
    values.update(changes)
    return Alert(**values)  # type: ignore[arg-type]


def test_who_names_people_as_mentions_where_slack_knows_them() -> None:
    people = {"lee@acme.test": "U0LEE00001"}
    line = who_line(alert(), people)
    assert line == (
        "Triggered by *dana* (webhook) · commit by <@U0LEE00001> · "
        "on `release/2026.11` at `4f2a9c1`"
    )
    # The webhook's own words win over the execution's.
    event = dataclasses.replace(EVENT, triggered_by="Dana R", triggered_by_email="DANA@acme.test")
    line = who_line(alert(event=event), {"dana@acme.test": "U0DANA0001"})
    assert line is not None and line.startswith("Triggered by <@U0DANA0001> (webhook)")


def test_an_author_who_triggered_the_run_is_named_once() -> None:
    origin = dataclasses.replace(ORIGIN, author=Person("dana", "Dana@acme.test"))
    execution = dataclasses.replace(EXECUTION, origin=origin)
    line = who_line(alert(result=result(execution=execution)), {})
    assert line is not None and "commit by" not in line


@pytest.mark.parametrize(
    ("history", "says"),
    [
        (History(Standing.FIRST, 1, 42, 41), ":new: First failure: was green in run #41"),
        (
            History(Standing.STREAK, 3, 40, 39),
            ":repeat: Still failing: since run #40, 3 runs in a row (last green: run #39)",
        ),
        (
            History(Standing.UNKNOWN, 20, 23, None),
            "since run #23, 20 runs in a row (no green run among the recent ones)",
        ),
        (History(Standing.UNKNOWN, 1, 42, None), "No earlier finished run to compare with"),
        (History(Standing.FIRST, 1, 42, 41, flapping=True), "*Flapping*"),
    ],
)
def test_history_lines(history: History, says: str) -> None:
    message = notification_message(alert(history=history))
    assert_valid_message(message)
    assert says in all_text(message)


def test_hostile_names_stay_valid_and_inert() -> None:
    hostile = "<!channel> *bold* " + "x" * 400
    origin = Origin(Person(hostile, "a@b.c"), "MANUAL", Person(hostile, None), hostile, hostile)
    execution = dataclasses.replace(EXECUTION, origin=origin, pipeline_name=hostile)
    message = notification_message(alert(result=result(execution=execution), retry=True))
    assert_valid_message(message)
    assert "<!channel>" not in all_text(message)


def test_triage_controls_offer_retry_only_where_allowed_and_never_once_recovered() -> None:
    def actions(a: Alert) -> list[str]:
        message = notification_message(a)
        assert_valid_message(message)
        triage = [b for b in message["blocks"] if b.get("block_id") == "triage"]
        return [e["action_id"] for b in triage for e in b["elements"]]

    assert actions(alert()) == [MUTE]
    assert actions(alert(retry=True)) == [RETRY, MUTE]
    recovered = notification_message(alert(retry=True, recovered=(45, 3)))
    assert actions(alert(retry=True, recovered=(45, 3))) == []
    assert "*Recovered* in run #45 after 3 failed runs." in all_text(recovered)


def test_identifiers_too_long_for_a_menu_value_leave_the_menu_out() -> None:
    assert mute_select("o" * 60, "p" * 60, "x" * 60) is None
    menu = mute_select("default", "shop", "deploy_checkout")
    assert menu is not None and len(menu["options"]) == 3


HOSTILE = "<!channel> <@U0BOSS> ``` then ``x"


def strings(message: object) -> list[str]:
    """Every string of a message: its `text` fallback and all its blocks."""
    return all_text(message).split("\n")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: event_line(dataclasses.replace(EVENT, error_message=HOSTILE), 42),
        lambda: retried_message(
            "U0ALICE001",
            Retried(
                PipelineKey("acc", "default", "shop", "deploy_checkout"),
                "Deploy Checkout",
                42,
                Started("exec2", 43),
                (),
                HOSTILE,
                "https://app.harness.io/ng/x",
            ),
        ),
        lambda: retry_refused_message(RetryRefused("refused", HOSTILE)),
        lambda: full_excerpt_messages(
            FullExcerpt(
                EXECUTION,
                Failure(
                    "Deploy", "Rollout", None, excerpt=ExcerptUnavailable(Reason.FAILED, HOSTILE)
                ),
                "https://app.harness.io/ng/x",
            )
        )[0],
        lambda: logs_message(result(export=ExportProblem(Reason.FAILED, HOSTILE)), None),
    ],
    ids=["thread-event-line", "rerun-reason", "retry-refusal", "full-excerpt-note", "export-error"],
)
def test_outside_text_renders_literally_in_the_fallback_and_the_blocks(build: Any) -> None:
    """A Harness error that says `<!channel>` or opens a code fence is shown as written,
    in the `text` fallback (notifications, screen readers) as in the blocks."""
    message = build()
    for text in strings(message):
        assert "<!channel>" not in text and "<@U0BOSS>" not in text, text
        assert text.count("```") % 2 == 0, text  # every fence it opens, it closes
