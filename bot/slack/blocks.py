"""Block Kit messages, built by pure functions from plain data.

Every builder returns `{"text": ..., "blocks": [...]}` ready for `respond()` or
`chat.postMessage`. Text from Harness or from people is escaped for mrkdwn and
trimmed to Slack's limits here, so no caller has to remember to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain import (
    FULL_CHARS,
    MESSAGE_CHARS,
    MESSAGE_LINE_CHARS,
    Excerpt,
    ExcerptUnavailable,
    Execution,
    ExportProblem,
    Failure,
    LogsLink,
    NodeRef,
    Reason,
    ScopeKind,
    fit_lines,
    normalise_status,
)
from bot.excerpt_view import KIND_LABELS, excerpt_text
from bot.service import (
    FullExcerpt,
    LogsResult,
    NamedTarget,
    Target,
    TargetError,
    describe_scope,
)

Message = dict[str, Any]

COMMAND = "/harness-logs"
SECTION_LIMIT = 3000
TEXT_LIMIT = 40_000
BUTTON_URL_LIMIT = 3000
MAX_FAILURES_SHOWN = 3
_FAILURE_MESSAGE_LIMIT = 600
# Slack counts some characters (emoji, astral planes) double: keep a margin under 3,000.
EXCERPT_CHARS = SECTION_LIMIT - 200
FULL_EXCERPT_SECTIONS = 12
SHOW_FULL_EXCERPT = "show_full_excerpt"
REFRESH_LINK = "refresh_link"
STEP_LOGS = "step_logs"
GET_LOGS = "get_logs"

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


def usage_message(problem: str | None = None) -> Message:
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
        )
    )
    intro = (
        f":warning: {problem}\n\n" if problem else ""
    ) + "*harness-logs* posts a download link for Harness execution logs in this channel."
    text = f"{problem} Try `{COMMAND} help`." if problem else f"Usage: {COMMAND} <pipeline> …"
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [section(intro), section(examples)],
    }


def fetching_message(target: Target) -> Message:
    return {
        "response_type": "ephemeral",
        "text": f":hourglass_flowing_sand: Fetching logs for {describe_target(target)} …",
    }


def target_error_message(error: TargetError) -> Message:
    text = f":warning: {error.render(escape_name)}"
    if error.suggestions:
        text += " Did you mean " + ", ".join(f"`{escape(s)}`" for s in error.suggestions) + "?"
    return {"response_type": "ephemeral", "text": trim(text, SECTION_LIMIT)}


def internal_error_message() -> Message:
    return {
        "response_type": "ephemeral",
        "text": ":warning: Something went wrong on the bot's side while fetching those logs. "
        "It has been logged; please try again.",
    }


def problem_text(problem: ExportProblem, result: LogsResult) -> str:
    scope = describe_scope(result.log_scope)
    execution = result.execution
    if problem.reason is Reason.NO_LOGS:
        return (
            f":open_file_folder: *No logs yet* for the {scope}: Harness has nothing logged "
            "there. If the run has just started, try again in a minute."
        )
    if problem.reason is Reason.TOO_MANY_FILES:
        stage = next((f.stage_name for f in result.failures if f.stage_name), None)
        stage = stage or next((s.name for s in execution.stages()), "<stage>")
        example = f'{COMMAND} {execution.pipeline_identifier} #{execution.run_sequence} "{stage}"'
        return (
            ":package: *Too many log files to export at once.* Name a stage or a step, "
            f"e.g. `{escape(example)}`."
        )
    if problem.reason is Reason.ACCESS:
        return (
            ":lock: *Harness refused the log download*: the bot's API key lacks access to "
            "this project's logs. Ask whoever runs the bot to check its permissions."
        )
    if problem.reason is Reason.TIMEOUT:
        waited = f"{problem.waited:.0f} s" if problem.waited is not None else "a while"
        return (
            f":hourglass: *Harness was still preparing the logs after {waited}.* Try again "
            "in a few minutes, or name a stage or step for a smaller download."
        )
    if problem.reason is Reason.UNAVAILABLE:
        return (
            ":cloud: *Harness's log service is not answering right now* "
            "(errors or rate limits until the bot gave up). Try again in a minute."
        )
    detail = trim(problem.detail or "no reason given", 300)
    return f":warning: *Harness could not export the logs*: {escape(detail)}"


def failure_header(failure: Failure, limit: int = _FAILURE_MESSAGE_LIMIT) -> str:
    where = " › ".join(escape_name(n) for n in (failure.stage_name, failure.step_name) if n)
    head = f":rotating_light: *Failed in {where}*" if where else ":rotating_light: *Failed*"
    if failure.message:
        head += "\n" + code_block(failure.message, limit)
    return head


def excerpt_code(excerpt: Excerpt, max_chars: int = EXCERPT_CHARS) -> str:
    """The most telling lines as a closed code block of at most `max_chars`."""
    chosen = excerpt.render_lines(min(MESSAGE_CHARS, max_chars - 6), MESSAGE_LINE_CHARS)
    lines = [escape(unfence(line)).rstrip("`") for line in chosen]
    return "```" + "\n".join(fit_lines(lines, max_chars - 6)) + "```"


def headline_block(excerpt: Excerpt) -> dict[str, Any] | None:
    """What failed in one line, with its kind as a label people can scan for."""
    if not excerpt.headline:
        return None
    label = KIND_LABELS[excerpt.kind]
    text = f":mag: `{label}`  {escape(unfence(excerpt.headline))}"
    if excerpt.compared_with is not None:
        text += f"\n_compared with run #{excerpt.compared_with} (last success)"
        if excerpt.similar_to_green:
            lines = "line" if excerpt.similar_to_green == 1 else "lines"
            text += f": {excerpt.similar_to_green:,} failure {lines} it printed too ranked lower"
        text += "_"
    return section(text)


def excerpt_notes(excerpt: Excerpt) -> str:
    lines = "line" if excerpt.total_lines == 1 else "lines"
    notes = [f"{excerpt.total_lines:,} log {lines}, {excerpt.error_lines:,} read as errors"]
    if excerpt.truncated:
        notes.append(truncated_note(excerpt.truncated))
    return " · ".join(notes)


def missing_excerpt(missing: ExcerptUnavailable) -> str:
    """Why a failed step comes without an excerpt, in words."""
    if missing.reason is Reason.NO_LOGS:
        return "this step wrote no log"
    if missing.reason is Reason.TIMEOUT:
        waited = f" within {missing.waited:.0f} s" if missing.waited is not None else " in time"
        return "the log could not be read" + waited
    if missing.reason is Reason.UNEXPECTED:
        return "the log could not be read"
    return "the log could not be read: " + trim(
        missing.detail or _REASON_WORDS[missing.reason], 300
    )


_REASON_WORDS = {
    Reason.TOO_MANY_FILES: "too many log files",
    Reason.ACCESS: "the bot's key may not read it",
    Reason.UNAVAILABLE: "Harness is not answering",
    Reason.FAILED: "Harness error",
}


def truncated_note(reason: str) -> str:
    return f":warning: log too large, showing what was read ({escape(reason)})"


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


def action_button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def failure_blocks(failure: Failure, step_logs: bool = False) -> list[dict[str, Any]]:
    """A failure's header, its excerpt, and buttons for the longer excerpt and its own logs."""
    blocks: list[dict[str, Any]] = [section(failure_header(failure))]
    excerpt = failure.excerpt
    buttons = []
    if isinstance(excerpt, Excerpt):
        headline = headline_block(excerpt)
        if headline is not None:
            blocks.append(headline)
        blocks.append(section(excerpt_code(excerpt)))
        blocks.append(context(excerpt_notes(excerpt)))
        if failure.node is not None:
            buttons.append(
                action_button("Show full excerpt", SHOW_FULL_EXCERPT, node_ref_value(failure.node))
            )
    elif excerpt is not None:
        blocks.append(context(f":page_facing_up: No excerpt: {escape(missing_excerpt(excerpt))}"))
    if step_logs and failure.node is not None and failure.step_name:
        buttons.append(action_button("Step logs", STEP_LOGS, node_ref_value(failure.node)))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def failures_blocks(failures: Sequence[Failure], step_logs: bool = False) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for failure in failures[:MAX_FAILURES_SHOWN]:
        blocks.extend(failure_blocks(failure, step_logs))
    if len(failures) > MAX_FAILURES_SHOWN:
        more = len(failures) - MAX_FAILURES_SHOWN
        blocks.append(context(f"…and {more} more failed step{'s' if more != 1 else ''}"))
    return blocks


def logs_message(result: LogsResult, requested_by: str | None, note: str | None = None) -> Message:
    """The post with the logs link (or why there is none), status, failures and excerpts.

    `requested_by` is the Slack user who asked; `note` replaces that line for posts
    nobody asked for (a webhook) or that were refreshed.
    """
    execution = result.execution
    title = f"{escape_name(execution.pipeline_name)} #{execution.run_sequence}"
    blocks: list[dict[str, Any]] = [
        section(f"*<{result.execution_url}|{title}>*  {status_label(execution.status)}"),
    ]
    facts = [
        f"*Logs:* {escape_name(describe_scope(result.log_scope))}",
        f"*Project:* `{escape(str(execution.scope))}`",
    ]
    took = duration(execution)
    if took:
        facts.append(f"*Duration:* {took}")
    blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts]})
    blocks.extend(
        failures_blocks(result.failures, step_logs=result.log_scope.kind is not ScopeKind.STEP)
    )

    scope_node = result.log_scope.step or result.log_scope.stage
    refresh = action_button(
        ":arrows_counterclockwise: Refresh link",
        REFRESH_LINK,
        target_value(
            execution.org,
            execution.project,
            execution.plan_execution_id,
            scope_node.uuid if scope_node else None,
        ),
    )
    notes = []
    if requested_by:
        notes.append(f"Requested by <@{requested_by}>")
    if note:
        notes.append(note)
    if isinstance(result.export, LogsLink):
        link = result.export
        buttons = []
        if len(link.url) <= BUTTON_URL_LIMIT:
            buttons.append(
                link_button(":arrow_down: Download logs", link.url, "download_logs", "primary")
            )
        buttons.append(link_button("Open in Harness", result.execution_url, "open_execution"))
        buttons.append(refresh)
        blocks.append({"type": "actions", "elements": buttons})
        blocks.append(_plain_link(link.url))
        if link.expires_at is not None:
            notes.append(f"link expires {slack_date(link.expires_at)}")
        fallback = f"Logs for {title}: {link.url}"
    else:
        blocks.append(section(problem_text(result.export, result)))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    link_button("Open in Harness", result.execution_url, "open_execution"),
                    {**refresh, "text": {"type": "plain_text", "text": "Try again", "emoji": True}},
                ],
            }
        )
        fallback = f"No logs link for {title}"
    if notes:
        blocks.append(context(" · ".join(notes)))
    return {"response_type": "in_channel", "text": trim(fallback, TEXT_LIMIT), "blocks": blocks}


def safe_url(url: str) -> str:
    """A URL that cannot break out of mrkdwn's `<url|label>` syntax."""
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def _plain_link(url: str) -> dict[str, Any]:
    """The URL as text people can copy; past a section's limit, a rich-text link."""
    label = escape(trim(url, 200))
    text = f"<{safe_url(url)}|{label}>"
    if len(text) <= SECTION_LIMIT:
        return section(text)
    return {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [{"type": "link", "url": url, "text": trim(url, 200)}],
            }
        ],
    }


def full_excerpt_messages(full: FullExcerpt) -> list[Message]:
    """The longer excerpt as thread replies: code sections, split over messages if needed."""
    failure, execution = full.failure, full.execution
    title = f"{escape_name(execution.pipeline_name)} #{execution.run_sequence}"
    head = section(f"*<{full.execution_url}|{title}>*\n{failure_header(failure)}")
    if not isinstance(failure.excerpt, Excerpt):
        note = missing_excerpt(failure.excerpt) if failure.excerpt else "this step was not read"
        return [
            {
                "text": f"No excerpt: {note}",
                "blocks": [head, context(f"No excerpt: {escape(note)}")],
            }
        ]
    shown = failure.excerpt.render_lines(FULL_CHARS)
    lines = [escape(unfence(line)).rstrip("`") for line in shown]
    sections: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = trim(line, EXCERPT_CHARS - 6)
        if size + len(line) + 1 > EXCERPT_CHARS - 6 and sections[-1]:
            sections.append([])
            size = 0
        sections[-1].append(line)
        size += len(line) + 1
    code = [section("```" + "\n".join(part) + "```") for part in sections]
    messages: list[Message] = []
    headline = headline_block(failure.excerpt)
    first = [head] if headline is None else [head, headline]
    for start in range(0, len(code), FULL_EXCERPT_SECTIONS):
        blocks = (first if start == 0 else []) + code[start : start + FULL_EXCERPT_SECTIONS]
        messages.append({"text": f"Log excerpt of {title}", "blocks": blocks})
    if failure.excerpt.truncated:
        messages[-1]["blocks"].append(context(truncated_note(failure.excerpt.truncated)))
    return messages


def full_excerpt_text(full: FullExcerpt) -> str:
    """The longer excerpt as a plain text file (for when it is too long for messages)."""
    assert isinstance(full.failure.excerpt, Excerpt)
    return excerpt_text(full.failure.excerpt, 1 << 30) + "\n"
