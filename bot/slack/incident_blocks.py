"""Block Kit for incident channels: subscriptions, webhook notifications, unfurls (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import Execution, Failure, PipelineEvent, PipelineRef, Scope, Subscription
from bot.service import LogsResult
from bot.slack.blocks import (
    COMMAND,
    GET_LOGS,
    Message,
    action_button,
    code_block,
    context,
    duration,
    escape,
    escape_name,
    failure_header,
    link_button,
    logs_message,
    section,
    status_label,
    target_value,
)

EVENT_WORDS = {
    "PipelineStart": (":arrow_forward:", "started"),
    "PipelineSuccess": (":white_check_mark:", "succeeded"),
    "PipelineFailed": (":x:", "failed"),
    "PipelineEnd": (":checkered_flag:", "ended"),
    "PipelinePaused": (":double_vertical_bar:", "paused"),
    "PipelineResumed": (":arrow_forward:", "resumed"),
    "StageStart": (":arrow_forward:", "started"),
    "StageSuccess": (":white_check_mark:", "succeeded"),
    "StageFailed": (":x:", "failed"),
    "StepFailed": (":x:", "failed"),
}


def _what(pipeline: PipelineRef, scope: Scope) -> str:
    return f"*{escape_name(pipeline.name)}* (`{escape(str(scope))}/{escape(pipeline.identifier)}`)"


def subscribed_message(
    user: str, pipeline: PipelineRef, scope: Scope, events: str, new: bool
) -> Message:
    kinds = (
        "failures"
        if events == "failures"
        else "events (failures in full, the rest as thread replies)"
    )
    what = _what(pipeline, scope)
    if new:
        text = f":bell: <@{user}> subscribed this channel to {what} {kinds}."
    else:
        text = f":bell: <@{user}> updated this channel's subscription to {what}: {kinds}."
    return {"response_type": "in_channel", "text": text}


def unsubscribed_message(user: str, subscription: Subscription) -> Message:
    key = subscription.pipeline
    return {
        "response_type": "in_channel",
        "text": f":no_bell: <@{user}> unsubscribed this channel from "
        f"*{escape_name(subscription.pipeline_name)}* (`{escape(str(key))}`).",
    }


def not_member_message() -> Message:
    return {
        "response_type": "ephemeral",
        "text": ":wave: I can't post in this conversation yet. `/invite @harness-logs` here first, "
        "then subscribe again. (Subscriptions work in public and private channels.)",
    }


def subscriptions_message(subscriptions: Sequence[Subscription]) -> Message:
    if not subscriptions:
        text = f"This channel has no subscriptions. Add one with `{COMMAND} subscribe <pipeline>`."
        return {"response_type": "ephemeral", "text": text}
    lines = []
    for sub in subscriptions:
        line = f"• *{escape_name(sub.pipeline_name)}* `{escape(str(sub.pipeline))}` — {sub.events}"
        if sub.broken:
            reason = escape(sub.broken)
            line += f"  :warning: broken ({reason}): invite the bot back, then subscribe again"
        lines.append(line)
    return {
        "response_type": "ephemeral",
        "text": f"Subscriptions of this channel ({len(subscriptions)}):",
        "blocks": [section("*Subscriptions of this channel*\n" + "\n".join(lines))],
    }


def _trigger(event: PipelineEvent) -> str | None:
    if not event.triggered_by:
        return None
    how = f" ({escape(event.trigger_type.lower())})" if event.trigger_type else ""
    return f"Triggered by *{escape_name(event.triggered_by)}*{how}"


def notification_message(
    result: LogsResult, event: PipelineEvent, *, private_link: bool = False
) -> Message:
    """The parent post for a failure: the logs post, attributed to the trigger, not a person."""
    message = logs_message(result, None, note=_trigger(event), private_link=private_link)
    message.pop("response_type", None)
    if not result.failures and event.error_message:
        error = section(
            ":rotating_light: *Harness reported*\n" + code_block(event.error_message, 600)
        )
        message["blocks"].insert(2, error)
    return message


def event_line(event: PipelineEvent, run: int | None, stage_name: str | None = None) -> Message:
    """One line for an event in an execution's thread."""
    emoji, word = EVENT_WORDS.get(event.event_type, (":information_source:", event.event_type))
    name = escape_name(event.pipeline_name or event.pipeline)
    number = f" #{run}" if run else ""
    if event.event_type.startswith("Stage") and (stage_name or event.stage):
        what = f"Stage *{escape_name(stage_name or event.stage or '')}*"
    elif event.event_type.startswith("Step") and event.step:
        what = f"Step *{escape_name(event.step)}*" + (
            f" in *{escape_name(event.stage)}*" if event.stage else ""
        )
    else:
        what = f"*{name}{number}*"
    text = f"{emoji} {what} {word}"
    if word == "failed" and event.error_message:
        text += ": " + escape(event.error_message[:300])
    trigger = _trigger(event)
    if event.event_type == "PipelineStart" and trigger:
        text += f" · {trigger}"
    return {"text": text}


def recovered_line(pipeline_name: str, run: int, execution_url: str) -> Message:
    name = escape_name(pipeline_name)
    return {"text": f":white_check_mark: *{name}* recovered in <{execution_url}|run #{run}>."}


def unfurl_blocks(
    execution: Execution, failures: Sequence[Failure], execution_url: str
) -> list[dict[str, Any]]:
    """What a pasted execution link unfolds into: status, failures, and a Get logs button."""
    title = f"{escape_name(execution.pipeline_name)} #{execution.run_sequence}"
    took = duration(execution)
    head = f"*<{execution_url}|{title}>*  {status_label(execution.status)}"
    if took:
        head += f" · {took}"
    blocks = [section(head)]
    for failure in failures[:3]:
        blocks.append(section(failure_header(failure, 400)))
    if len(failures) > 3:
        blocks.append(context(f"…and {len(failures) - 3} more failed steps"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                action_button(
                    ":page_facing_up: Get logs",
                    GET_LOGS,
                    target_value(execution.org, execution.project, execution.plan_execution_id),
                ),
                link_button("Open in Harness", execution_url, "open_execution"),
            ],
        }
    )
    return blocks
