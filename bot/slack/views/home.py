"""The App Home tab as views.publish takes it (pure functions of plain data)."""

from __future__ import annotations

from typing import Any

from bot.domain import Subscription
from bot.slack.views.blocks import COMMAND, context, section
from bot.slack.views.mrkdwn import escape, escape_name
from bot.slack.views.subscriptions import describe_filters

__all__ = ["SHOWN_SUBSCRIPTIONS", "home_view", "refused_view"]

SHOWN_SUBSCRIPTIONS = 20


def refused_view(rule: str) -> dict[str, Any]:
    """The Home tab for someone the access policy does not let use the bot."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Harness logs, in Slack"}},
            section(
                "The access policy does not let you use this bot "
                f"({escape(rule)}). Ask whoever runs it to add you."
            ),
        ],
    }


def home_view(
    recent: list[str], subscriptions: list[Subscription], harness_host: str
) -> dict[str, Any]:
    """The Home tab, as a view for views.publish (a pure function)."""
    pipelines = list(dict.fromkeys(s.pipeline.pipeline for s in subscriptions))[:3]
    example = pipelines[0] if pipelines else "deploy_checkout"
    examples = [
        (example, "the latest run's logs, with what failed"),
        (f"{example} #42", "a run by number"),
        (f"{example} #42 deploy_prod/rollout", "one stage or step"),
        (f"subscribe {example}", "alerts for its failures in a channel"),
        (f"subscribe {example} branch=main stages=deploy_*", "only some of them"),
        ("help", "everything it understands"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Harness logs, in Slack"}},
        section(
            "Type these in any channel the bot is in (or paste a Harness execution link):\n"
            + "\n".join(f"• `{COMMAND} {escape(e)}`  {w}" for e, w in examples)
        ),
        {"type": "divider"},
    ]
    if recent:
        lines = "\n".join(f"• `{COMMAND} {escape(text)}`" for text in recent)
        blocks.append(section(f"*Your recent requests*\n{lines}"))
    else:
        blocks.append(section("*Your recent requests*\nNone yet."))
    if subscriptions:
        lines = "\n".join(
            f"• <#{s.channel}>: *{escape_name(s.pipeline_name)}* "
            f"(`{escape(s.pipeline.org)}/{escape(s.pipeline.project)}`) "
            + describe_filters(s)
            + (f" · broken ({escape(s.broken)})" if s.broken else "")
            for s in subscriptions[:SHOWN_SUBSCRIPTIONS]
        )
        blocks.append(section(f"*Subscriptions in your channels*\n{lines}"))
    else:
        blocks.append(section("*Subscriptions in your channels*\nNone yet."))
    blocks.append(context(f"Talking to Harness at `{escape(harness_host)}`."))
    return {"type": "home", "blocks": blocks}
