"""What a channel is told about its subscriptions and mutes: subscribed (and what
changed), unsubscribed, the list, muted and unmuted (pure functions of plain data)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.domain import (
    Mute,
    PipelineRef,
    Scope,
    Subscription,
)
from bot.service.subscriptions import Listed
from bot.slack.views.blocks import COMMAND, Message, section
from bot.slack.views.mrkdwn import escape, escape_name, slack_date


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


def mute_words(mute: Mute) -> str:
    if mute.until is None:
        return "until it recovers"
    return f"until {slack_date(datetime.fromtimestamp(mute.until, tz=UTC))}"


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


def muted_message(user: str, pipeline_name: str, pipeline: str, mute: Mute) -> Message:
    """Said in the channel: who muted which pipeline here, until when."""
    return {
        "text": f":mute: <@{user}> muted *{escape_name(pipeline_name)}* in this channel "
        f"{mute_words(mute)}. Its posts stop here meanwhile; "
        f"`{COMMAND} unmute {escape(pipeline)}` ends it sooner."
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


__all__ = [
    "describe_filters",
    "mute_words",
    "muted_message",
    "not_member_message",
    "recovery_unmuted_message",
    "subscribed_message",
    "subscriptions_message",
    "unmuted_message",
    "unsubscribed_message",
]
