"""Failure alerts' triage parts: valid Block Kit whatever Harness sends, and readable."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain import History, Origin, Person, PipelineEvent, Standing
from bot.service.incidents import Alert
from bot.slack import incident_blocks
from bot.slack.blocks import MUTE, RETRY
from tests.blockkit import all_text, assert_valid_message
from tests.slack.test_blocks import EXECUTION, result

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
    line = incident_blocks.who_line(alert(), people)
    assert line == (
        "Triggered by *dana* (webhook) · commit by <@U0LEE00001> · "
        "on `release/2026.11` at `4f2a9c1`"
    )
    # The webhook's own words win over the execution's.
    event = dataclasses.replace(EVENT, triggered_by="Dana R", triggered_by_email="DANA@acme.test")
    line = incident_blocks.who_line(alert(event=event), {"dana@acme.test": "U0DANA0001"})
    assert line is not None and line.startswith("Triggered by <@U0DANA0001> (webhook)")


def test_an_author_who_triggered_the_run_is_named_once() -> None:
    origin = dataclasses.replace(ORIGIN, author=Person("dana", "Dana@acme.test"))
    execution = dataclasses.replace(EXECUTION, origin=origin)
    line = incident_blocks.who_line(alert(result=result(execution=execution)), {})
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
    message = incident_blocks.notification_message(alert(history=history))
    assert_valid_message(message)
    assert says in all_text(message)


def test_hostile_names_stay_valid_and_inert() -> None:
    hostile = "<!channel> *bold* " + "x" * 400
    origin = Origin(Person(hostile, "a@b.c"), "MANUAL", Person(hostile, None), hostile, hostile)
    execution = dataclasses.replace(EXECUTION, origin=origin, pipeline_name=hostile)
    message = incident_blocks.notification_message(
        alert(result=result(execution=execution), retry=True)
    )
    assert_valid_message(message)
    assert "<!channel>" not in all_text(message)


def test_triage_controls_offer_retry_only_where_allowed_and_never_once_recovered() -> None:
    def actions(a: Alert) -> list[str]:
        message = incident_blocks.notification_message(a)
        assert_valid_message(message)
        triage = [b for b in message["blocks"] if b.get("block_id") == "triage"]
        return [e["action_id"] for b in triage for e in b["elements"]]

    assert actions(alert()) == [MUTE]
    assert actions(alert(retry=True)) == [RETRY, MUTE]
    recovered = incident_blocks.notification_message(alert(retry=True, recovered=(45, 3)))
    assert actions(alert(retry=True, recovered=(45, 3))) == []
    assert "*Recovered* in run #45 after 3 failed runs." in all_text(recovered)


def test_identifiers_too_long_for_a_menu_value_leave_the_menu_out() -> None:
    assert incident_blocks.mute_select("o" * 60, "p" * 60, "x" * 60) is None
    menu = incident_blocks.mute_select("default", "shop", "deploy_checkout")
    assert menu is not None and len(menu["options"]) == 3
