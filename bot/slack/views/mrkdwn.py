"""mrkdwn made safe and short: text from Harness or from people renders literally.

`escape` (no mentions, no links), `escape_name` (no backticks to open a code span)
and `unfence` (no early end to a code block) are how outside text reaches a
message; `trim` keeps it within Slack's limits, `safe_url` keeps a URL inside its
`<url|label>`, `slack_date` shows each reader their own time zone.
"""

from __future__ import annotations

import re
from datetime import datetime

# Slack's limits: a section's (or context element's) text, a message's fallback text.
SECTION_LIMIT = 3000
TEXT_LIMIT = 40_000


def escape(text: str) -> str:
    """Make arbitrary text render literally in mrkdwn (no mentions, no links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_name(text: str) -> str:
    """A name for bold or inline use: escaped, and no backticks to open code spans."""
    return escape(text.replace("`", "'"))


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


_BACKTICK_RUN = re.compile(r"`(?=`)")


def unfence(text: str) -> str:
    """Text that cannot close a code block: no two backticks side by side (any run length)."""
    return _BACKTICK_RUN.sub("`\u200b", text)


def inline(text: str) -> str:
    """Outside text (a Harness error, a reason) for a line of mrkdwn: it renders
    literally, and cannot open a code block the line would not close."""
    return escape(unfence(text))


def code_block(text: str, limit: int) -> str:
    """A fenced block that stays closed however long or hostile the text is."""
    body = escape(unfence(text)).strip("\n") or " "
    return "```" + trim(body, max(1, limit - 6)).rstrip("`") + "```"


def slack_date(when: datetime) -> str:
    """A date each reader sees in their own time zone, with a UTC fallback."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def safe_url(url: str) -> str:
    """A URL that cannot break out of mrkdwn's `<url|label>` syntax."""
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


__all__ = [
    "SECTION_LIMIT",
    "TEXT_LIMIT",
    "code_block",
    "escape",
    "escape_name",
    "inline",
    "safe_url",
    "slack_date",
    "trim",
    "unfence",
]
