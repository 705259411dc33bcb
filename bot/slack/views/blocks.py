"""Block Kit's building blocks for the bot's messages: sections, context lines,
buttons (their values name an execution, so no state is kept between a post and a
press), and how a run is named and its status shown. Outside text in them is made
safe by views/mrkdwn.py.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import Execution, NodeRef, normalise_status
from bot.slack.views.mrkdwn import SECTION_LIMIT, escape_name, trim

Message = dict[str, Any]

COMMAND = "/harness-logs"
BUTTON_URL_LIMIT = 3000  # a link button's URL; a longer link is shown as text only

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


def run_title(execution: Execution) -> str:
    """ "Deploy Checkout #42", escaped; the name alone while the run number is not known
    (an alert posted from Harness's notification, before the run was read)."""
    name = escape_name(execution.pipeline_name)
    return f"{name} #{execution.run_sequence}" if execution.run_sequence else name


def status_label(status: str) -> str:
    key = normalise_status(status)
    emoji = STATUS_EMOJI.get(key, ":grey_question:")
    word = STATUS_WORDS.get(key, status.replace("_", " ").capitalize() if status else "Unknown")
    return f"{emoji} {word}"


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
    "STATUS_EMOJI",
    "STATUS_WORDS",
    "Message",
    "action_button",
    "context",
    "duration",
    "link_button",
    "node_ref_value",
    "run_title",
    "section",
    "status_label",
    "target_value",
]
