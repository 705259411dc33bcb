"""The words for a missed target (bot/service/wording.py) in Slack's markup: names
from Harness or from the person escaped, so they can neither ping anyone nor break
the formatting around them."""

from __future__ import annotations

from bot.domain.misses import Miss
from bot.service.wording import Style
from bot.service.wording import miss_text as words_for
from bot.slack.views.mrkdwn import escape_name

__all__ = ["SLACK", "miss_text"]

SLACK = Style(
    code=lambda text: f"`{escape_name(text)}`",
    bold=lambda text: f"*{escape_name(text)}*",
    name=escape_name,
    example=lambda text: f"`{text}`",
)


def miss_text(miss: Miss) -> str:
    """One sentence (or two) for the person who asked, in Slack's markup."""
    return words_for(miss, SLACK)
