"""What a person is told while their request is handled, built by pure functions:
the usage, "Fetching …" and its progress, a name not found (with what they may have
meant), a refusal by the access policy, and the bot's own troubles. All ephemeral:
only the person who asked sees them. The logs post itself is views/logs.py.
"""

from __future__ import annotations

from bot.service.targets import NamedTarget, Target, TargetError
from bot.service.wording import typed_suggestions
from bot.slack.views.blocks import COMMAND, Message, section
from bot.slack.views.misses import miss_text
from bot.slack.views.mrkdwn import SECTION_LIMIT, escape, escape_name, trim


def usage_message(problem: str | None = None, default_scope: str | None = None) -> Message:
    examples = "\n".join(
        f"• `{COMMAND} {example}`  {what}"
        for example, what in (
            ("deploy_checkout", "latest run of a pipeline"),
            ("deploy_checkout #42", "run 42"),
            ("deploy_checkout #42 deploy_prod", "one stage of run 42"),
            ("deploy_checkout #42 deploy_prod/rollout", "one step (or `deploy_prod.rollout`)"),
            ('"Deploy Checkout" "Deploy Prod"/Rollout', "display names, any case"),
            ("deploy_checkout in payments/checkout", "another org/project"),
            ("https://app.harness.io/ng/account/…/executions/…", "an execution link"),
            ("subscribe deploy_checkout [events=all]", "its failures (or every event) posted here"),
            (
                "subscribe deploy_checkout branch=main,release/* stages=deploy_* mention=none",
                "only those branches' and stages' failures, without mentions",
            ),
            ("unsubscribe deploy_checkout", "no more posts about it here"),
            ("unmute deploy_checkout", "end a mute (set from an alert's Mute here menu)"),
            ("subscriptions", "what this channel is subscribed to"),
        )
    )
    if default_scope:
        examples += f"\nWithout `in <org>/<project>`, commands read `{escape(default_scope)}`."
    intro = (
        f":warning: {problem}\n\n" if problem else ""
    ) + "*harness-logs* posts a download link for Harness execution logs in this channel."
    text = f"{problem} Try `{COMMAND} help`." if problem else f"Usage: {COMMAND} <pipeline> …"
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [section(intro), section(examples)],
    }


def describe_target(target: Target) -> str:
    if not isinstance(target, NamedTarget):
        return "that execution"
    parts = [f"*{escape(target.pipeline)}*"]
    parts.append(f"#{target.run}" if target.run is not None else "(latest run)")
    if target.stage:
        parts.append(
            "› " + escape(target.stage) + (f" › {escape(target.step)}" if target.step else "")
        )
    if target.scope:
        parts.append(f"in `{target.scope}`")
    return " ".join(parts)


def fetching_message(target: Target) -> Message:
    return {
        "response_type": "ephemeral",
        "text": f":hourglass_flowing_sand: Fetching logs for {describe_target(target)} …",
    }


def progress_message(target: Target, waited: float) -> Message:
    """The "Fetching" note again, saying how long Harness has been at it."""
    return {
        "response_type": "ephemeral",
        "replace_original": True,
        "text": f":hourglass_flowing_sand: Harness is preparing the export for "
        f"{describe_target(target)} … {waited:.0f} s so far.",
    }


def target_error_message(error: TargetError) -> Message:
    text = f":warning: {miss_text(error.miss)}"
    if suggestions := typed_suggestions(error.miss):
        text += " Did you mean " + ", ".join(f"`{escape_name(s)}`" for s in suggestions) + "?"
    return {"response_type": "ephemeral", "text": trim(text, SECTION_LIMIT)}


def refused_message(rule: str) -> Message:
    """The access policy said no: ephemeral, naming the rule."""
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f":no_entry: The access policy does not allow that here ({escape(rule)}). "
        "Ask whoever runs the bot if you need it.",
    }


def cannot_accept_message() -> Message:
    return {
        "response_type": "ephemeral",
        "text": ":warning: The bot cannot take requests right now (its storage is not "
        "answering). Please try again in a minute.",
    }


def deadline_message(seconds: float) -> Message:
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f":hourglass: Harness did not answer within {seconds:.0f} s, so the bot "
        "stopped trying. Try again later, or name a stage or step for a smaller export.",
    }


def gave_up_message() -> Message:
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": ":warning: The bot could not finish this request in time (Slack or Harness "
        "kept failing). Please ask again.",
    }


def internal_error_message() -> Message:
    return {
        "response_type": "ephemeral",
        "text": ":warning: Something went wrong on the bot's side while fetching those logs. "
        "It has been logged; please try again.",
    }


__all__ = [
    "cannot_accept_message",
    "deadline_message",
    "describe_target",
    "fetching_message",
    "gave_up_message",
    "internal_error_message",
    "progress_message",
    "refused_message",
    "target_error_message",
    "usage_message",
]
