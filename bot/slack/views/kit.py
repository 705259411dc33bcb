"""Block Kit and mrkdwn primitives: escaping, limits, sections, buttons, dates.

Text from Harness or from people goes through `escape` (no mentions, no links) and
`unfence` (no early end to a code block) before it reaches a message.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from bot.domain import Execution, NodeRef, normalise_status

Message = dict[str, Any]

COMMAND = "/harness-logs"

SECTION_LIMIT = 3000

TEXT_LIMIT = 40_000

BUTTON_URL_LIMIT = 3000

STATUS_EMOJI = {
    "success": ":white_check_mark:",
    "failed": ":x:",
    "errored": ":boom:",
    "aborted": ":no_entry_sign:",
    "abortedbyfreeze": ":snowflake:",
    "expired": ":alarm_clock:",
    "ignorefailed": ":warning:",
    "running": ":arrows_counterclockwise:",
    "asyncwaiting": ":arrows_counterclockwise:",
    "queued": ":hourglass_flowing_sand:",
    "paused": ":double_vertical_bar:",
    "approvalwaiting": ":raised_hand:",
    "interventionwaiting": ":raised_hand:",
    "waitstepwaiting": ":hourglass_flowing_sand:",
    "skipped": ":fast_forward:",
    "notstarted": ":white_circle:",
}

STATUS_WORDS = {
    "abortedbyfreeze": "Aborted by freeze",
    "ignorefailed": "Failed (ignored)",
    "approvalwaiting": "Waiting for approval",
    "interventionwaiting": "Waiting for intervention",
    "asyncwaiting": "Running",
}


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


def run_title(execution: Execution) -> str:
    """ "Deploy Checkout #42", escaped; the name alone while the run number is not known
    (an alert posted from Harness's notification, before the run was read)."""
    name = escape_name(execution.pipeline_name)
    return f"{name} #{execution.run_sequence}" if execution.run_sequence else name


def code_block(text: str, limit: int) -> str:
    """A fenced block that stays closed however long or hostile the text is."""
    body = escape(unfence(text)).strip("\n") or " "
    return "```" + trim(body, max(1, limit - 6)).rstrip("`") + "```"


def status_label(status: str) -> str:
    key = normalise_status(status)
    emoji = STATUS_EMOJI.get(key, ":grey_question:")
    word = STATUS_WORDS.get(key, status.replace("_", " ").capitalize() if status else "Unknown")
    return f"{emoji} {word}"


def slack_date(when: datetime) -> str:
    """A date each reader sees in their own time zone, with a UTC fallback."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def duration(execution: Execution) -> str | None:
    if execution.started_at is None or execution.ended_at is None:
        return None
    seconds = max(0, int((execution.ended_at - execution.started_at).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text, SECTION_LIMIT)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(text, SECTION_LIMIT)}]}


def link_button(text: str, url: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "url": url,
        "action_id": action_id,
    }
    if style:
        button["style"] = style
    return button


def action_button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def safe_url(url: str) -> str:
    """A URL that cannot break out of mrkdwn's `<url|label>` syntax."""
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def node_ref_value(ref: NodeRef) -> str:
    return target_value(ref.org, ref.project, ref.plan_execution_id, ref.node_uuid)


def target_value(
    org: str, project: str, plan_execution_id: str, node_uuid: str | None = None
) -> str:
    """A button's value naming an execution (and a node in it): no state kept server-side."""
    value = {"o": org, "p": project, "e": plan_execution_id}
    if node_uuid:
        value["n"] = node_uuid
    return json.dumps(value, separators=(",", ":"))


__all__ = [
    "BUTTON_URL_LIMIT",
    "COMMAND",
    "SECTION_LIMIT",
    "STATUS_EMOJI",
    "STATUS_WORDS",
    "TEXT_LIMIT",
    "Message",
    "action_button",
    "code_block",
    "context",
    "duration",
    "escape",
    "escape_name",
    "inline",
    "link_button",
    "node_ref_value",
    "run_title",
    "safe_url",
    "section",
    "slack_date",
    "status_label",
    "target_value",
    "trim",
    "unfence",
]
