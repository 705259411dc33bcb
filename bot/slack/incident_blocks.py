"""Block Kit for incident channels: subscriptions, webhook notifications, unfurls (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.domain import Execution, Failure, Mute, PipelineEvent, PipelineRef, Scope, Subscription
from bot.service import LogsResult
from bot.service.subscriptions import Listed
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


def _events(events: str) -> str:
    if events == "failures":
        return "failures"
    return "all events (failures in full, the rest as thread replies)"


def describe_filters(subscription: Subscription) -> str:
    """Its options in the words of the command (`branch=main · stages=deploy_*`)."""
    filters = subscription.filters
    parts = [f"events={subscription.events}"]
    if filters.branches:
        parts.append("branch=" + ",".join(filters.branches))
    if filters.stages:
        parts.append("stages=" + ",".join(filters.stages))
    parts.append(f"mention={filters.mention}")
    return " · ".join(f"`{escape(part)}`" for part in parts)


def _changes(before: Subscription, after: Subscription) -> list[str]:
    def globs(values: tuple[str, ...]) -> str:
        return "`" + escape(",".join(values)) + "`" if values else "any"

    changed = []
    if before.events != after.events:
        changed.append(f"events {before.events} → {after.events}")
    b, a = before.filters, after.filters
    if b.branches != a.branches:
        changed.append(f"branch {globs(b.branches)} → {globs(a.branches)}")
    if b.stages != a.stages:
        changed.append(f"stages {globs(b.stages)} → {globs(a.stages)}")
    if b.mention != a.mention:
        changed.append(f"mention {b.mention} → {a.mention}")
    return changed


def subscribed_message(
    user: str,
    pipeline: PipelineRef,
    scope: Scope,
    subscription: Subscription,
    before: Subscription | None,
) -> Message:
    what = _what(pipeline, scope)
    if before is None:
        text = (
            f":bell: <@{user}> subscribed this channel to {what} "
            f"{_events(subscription.events)}: {describe_filters(subscription)}."
        )
        return {"response_type": "in_channel", "text": text}
    changes = _changes(before, subscription)
    if not changes:
        return {
            "response_type": "ephemeral",
            "text": f"This channel already has exactly that subscription to {what}: "
            f"{describe_filters(subscription)}.",
        }
    text = f":bell: <@{user}> changed this channel's subscription to {what}: " + "; ".join(changes)
    return {"response_type": "in_channel", "text": text + "."}


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


def when(epoch: float) -> str:
    """A time every reader sees in their own zone (UTC where Slack cannot say)."""
    fallback = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} at {{time}}|{fallback}>"


def mute_words(mute: Mute) -> str:
    if mute.until is None:
        return "until it recovers"
    return f"until {when(mute.until)}"


def subscriptions_message(listed: Sequence[Listed]) -> Message:
    if not listed:
        text = f"This channel has no subscriptions. Add one with `{COMMAND} subscribe <pipeline>`."
        return {"response_type": "ephemeral", "text": text}
    lines = []
    for item in listed:
        sub = item.subscription
        line = (
            f"• *{escape_name(sub.pipeline_name)}* `{escape(str(sub.pipeline))}` — "
            + describe_filters(sub)
        )
        if item.mute is not None:
            line += f"  :mute: muted by <@{item.mute.by}> {mute_words(item.mute)}"
        if sub.broken:
            reason = escape(sub.broken)
            line += f"  :warning: broken ({reason}): invite the bot back, then subscribe again"
        lines.append(line)
    return {
        "response_type": "ephemeral",
        "text": f"Subscriptions of this channel ({len(listed)}):",
        "blocks": [section("*Subscriptions of this channel*\n" + "\n".join(lines))],
    }


def muted_message(user: str, pipeline_name: str, mute: Mute) -> Message:
    """Said in the channel: who muted which pipeline here, until when."""
    return {
        "text": f":mute: <@{user}> muted *{escape_name(pipeline_name)}* in this channel "
        f"{mute_words(mute)}. Its posts stop here meanwhile; "
        f"`{COMMAND} unmute {escape(pipeline_name)}` ends it sooner."
    }


def unmuted_message(user: str | None, subscription: Subscription, mute: Mute | None) -> Message:
    name = escape_name(subscription.pipeline_name)
    if mute is None:
        return {"response_type": "ephemeral", "text": f"*{name}* is not muted in this channel."}
    who = f"<@{user}> unmuted" if user else "Unmuted"
    return {
        "response_type": "in_channel",
        "text": f":loud_sound: {who} *{name}* in this channel (muted by <@{mute.by}>).",
    }


def recovery_unmuted_message(subscription: Subscription, mute: Mute) -> Message:
    return {
        "text": f":loud_sound: *{escape_name(subscription.pipeline_name)}* recovered, so its "
        f"mute here (by <@{mute.by}>) has ended."
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
