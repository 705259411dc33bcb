"""The triage controls of a failure alert and what they say (pure): the Retry
button with Slack's confirmation and the Mute menu (each option names its pipeline,
so no state is kept between a post and a press), the retry told in the thread, and
why a retry was refused."""

from __future__ import annotations

import json
from typing import Any

from bot.service.incidents import Alert
from bot.service.retry_runs import AlreadyRetried, Retried, RetryRefused
from bot.slack.views.action_ids import MUTE, RETRY
from bot.slack.views.blocks import Message, action_button, run_title, target_value
from bot.slack.views.mrkdwn import escape_name, inline, safe_url, trim

MUTE_CHOICES = (("1h", "for 1 hour"), ("24h", "for 24 hours"), ("recovery", "until it recovers"))
OPTION_VALUE_LIMIT = 150  # Slack's limit on an option's value
CONFIRM_TEXT_LIMIT = 300  # and on a confirmation dialog's text


def triage_actions(alert: Alert) -> dict[str, Any] | None:
    """Retry failed stages (where the policy lets anyone) and Mute here ▾."""
    execution = alert.result.execution
    elements: list[dict[str, Any]] = []
    if alert.retry and alert.recovered is None:
        names = ", ".join(s.name for s in execution.failed_stages()[:3]) or "the failed stages"
        button = action_button(
            ":leftwards_arrow_with_hook: Retry failed stages",
            RETRY,
            target_value(execution.org, execution.project, execution.plan_execution_id),
        )
        button["confirm"] = {
            "title": {"type": "plain_text", "text": "Retry failed stages?"},
            "text": {
                "type": "mrkdwn",
                "text": trim(
                    f"Harness runs *{escape_name(names)}* of "
                    f"*{run_title(execution)}* again, "
                    "with the same inputs, and the stages after them. Where Harness will not "
                    "retry this run, a fresh run starts instead.",
                    CONFIRM_TEXT_LIMIT,
                ),
            },
            "confirm": {"type": "plain_text", "text": "Retry"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
        elements.append(button)
    mute = mute_select(execution.org, execution.project, execution.pipeline_identifier)
    if mute is not None and alert.recovered is None:
        elements.append(mute)
    if not elements:
        return None
    return {"type": "actions", "block_id": "triage", "elements": elements}


def mute_select(org: str, project: str, pipeline: str) -> dict[str, Any] | None:
    """A menu of mutes; each option names its pipeline (no state kept between)."""
    options = []
    for how, label in MUTE_CHOICES:
        value = json.dumps(
            {"o": org, "p": project, "pl": pipeline, "m": how}, separators=(",", ":")
        )
        if len(value) > OPTION_VALUE_LIMIT:
            return None  # identifiers too long for Slack's option values: no menu
        options.append({"text": {"type": "plain_text", "text": label}, "value": value})
    return {
        "type": "static_select",
        "action_id": MUTE,
        "placeholder": {"type": "plain_text", "text": ":mute: Mute here"},
        "options": options,
    }


def retried_message(user: str, outcome: Retried) -> Message:
    """Said in the alert's thread: who retried what, and the run it started."""
    run = outcome.started.run_sequence
    new = f"<{safe_url(outcome.url)}|run #{run}>" if run else f"<{safe_url(outcome.url)}|a new run>"
    name = escape_name(outcome.pipeline_name)
    if outcome.stages:
        stages = ", ".join(f"*{escape_name(s)}*" for s in outcome.stages)
        text = f":leftwards_arrow_with_hook: <@{user}> retried the failed stages ({stages}) → {new}"
    else:
        text = f":leftwards_arrow_with_hook: <@{user}> started a fresh run of *{name}* → {new}"
        if outcome.rerun_because:
            text += (
                f" (Harness would not retry run #{outcome.failed_run}: "
                + inline(trim(outcome.rerun_because, 300))
                + ")"
            )
    return {"text": text + ". Its news follows in this thread."}


_REFUSALS = {
    "permission": "Harness refused: the bot's API key may not run this pipeline "
    "(it needs the Pipeline Execute permission).",
    "refused": "Harness would not retry or rerun this run",
    "unavailable": "Harness did not answer, so nothing was retried. Try again in a minute.",
    "unsure": "Harness did not answer the retry, so it may or may not have started. "
    "Look in Harness before you try again.",
    "not_found": "Harness no longer knows this run, so it cannot be retried.",
}


def retry_refused_message(outcome: RetryRefused | AlreadyRetried) -> Message:
    """Said to the person who pressed: why nothing (more) was started."""
    if isinstance(outcome, AlreadyRetried):
        who = f"<@{outcome.by}>" if outcome.by else "Someone"
        if outcome.run and outcome.url:
            text = f"{who} already retried this run: <{safe_url(outcome.url)}|run #{outcome.run}>."
        else:
            text = "A retry of this run is already under way."
        return {"response_type": "ephemeral", "text": f":information_source: {text}"}
    text = _REFUSALS[outcome.why]
    if outcome.why == "refused":
        text += f": {inline(trim(outcome.detail, 300))}." if outcome.detail else "."
    return {"response_type": "ephemeral", "text": f":no_entry: {text}"}


__all__ = ["mute_select", "retried_message", "retry_refused_message", "triage_actions"]
