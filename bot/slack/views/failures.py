"""A failed step in a post: its header, headline and kind, excerpt, and the longer
excerpt behind "Show full excerpt" (thread replies, or a text file).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import (
    FULL_CHARS,
    MESSAGE_CHARS,
    MESSAGE_LINE_CHARS,
    Excerpt,
    ExcerptUnavailable,
    Failure,
    ReadStop,
    Reason,
    StopKind,
    fit_lines,
)
from bot.excerpt_view import KIND_LABELS, excerpt_text
from bot.service.targets import FullExcerpt
from bot.slack.views.action_ids import SHOW_FULL_EXCERPT, STEP_LOGS
from bot.slack.views.blocks import (
    Message,
    action_button,
    context,
    node_ref_value,
    run_title,
    section,
)
from bot.slack.views.mrkdwn import (
    SECTION_LIMIT,
    code_block,
    escape,
    escape_name,
    inline,
    trim,
    unfence,
)

MAX_FAILURES_SHOWN = 3

_FAILURE_MESSAGE_LIMIT = 600
# Slack counts some characters (emoji, astral planes) double: keep a margin under 3,000.

EXCERPT_CHARS = SECTION_LIMIT - 200

FULL_EXCERPT_SECTIONS = 12


def failure_header(failure: Failure, limit: int = _FAILURE_MESSAGE_LIMIT) -> str:
    where = " › ".join(escape_name(n) for n in (failure.stage_name, failure.step_name) if n)
    head = f":rotating_light: *Failed in {where}*" if where else ":rotating_light: *Failed*"
    if failure.hidden_in:
        head += (
            f"\n_It ran a pipeline in `{escape(failure.hidden_in)}`, which this channel "
            "may not read: what failed there is not shown here._"
        )
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
    if missing.reason is Reason.UNSAFE_LINK:
        # Where the link pointed is for the bot's log, not for the channel.
        return "the log could not be read: the export link was refused (ask whoever runs the bot)"
    return "the log could not be read: " + trim(
        missing.detail or _REASON_WORDS[missing.reason], 300
    )


_REASON_WORDS = {
    Reason.TOO_MANY_FILES: "too many log files",
    Reason.ACCESS: "the bot's key may not read it",
    Reason.UNAVAILABLE: "Harness is not answering",
    Reason.FAILED: "Harness error",
    Reason.UNSAFE_LINK: "the export link was refused",
    Reason.NOT_FOUND: "Harness could not find it",
    Reason.NO_LOGS: "this step wrote no log",
    Reason.TIMEOUT: "not read in time",
    Reason.UNEXPECTED: "the bot failed to read it",
}


def size_text(size: int) -> str:
    """A byte count as people read it: 48 KB, 512 MB, 2.0 GB."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}" if unit == "GB" else f"{size / scale:,.0f} {unit}"
    return f"{max(1, size // 1024):,} KB"


def stop_words(stop: ReadStop) -> str:
    limit = stop.limit or 0
    if stop.kind is StopKind.TOO_LARGE:
        return f"log larger than {size_text(limit)} uncompressed"
    if stop.kind is StopKind.DOWNLOAD_CAP:
        return f"log larger than the {size_text(limit)} download limit"
    if stop.kind is StopKind.TOO_MANY_FILES:
        return f"more than {limit:,} log files"
    if stop.kind is StopKind.DAMAGED:
        return "the log archive is damaged or cut short"
    return f"the download broke off ({stop.detail})" if stop.detail else "the download broke off"


def truncated_note(stop: ReadStop) -> str:
    """Said under an excerpt whose log was read only in part."""
    if stop.kind in (StopKind.DAMAGED, StopKind.BROKE_OFF):
        return f":warning: {escape(stop_words(stop))}; showing what was read"
    return f":warning: log too large, showing what was read ({escape(stop_words(stop))})"


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
        blocks.append(context(f":page_facing_up: No excerpt: {inline(missing_excerpt(excerpt))}"))
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


def full_excerpt_messages(full: FullExcerpt) -> list[Message]:
    """The longer excerpt as thread replies: code sections, split over messages if needed."""
    failure, execution = full.failure, full.execution
    title = run_title(execution)
    head = section(f"*<{full.execution_url}|{title}>*\n{failure_header(failure)}")
    if not isinstance(failure.excerpt, Excerpt):
        note = missing_excerpt(failure.excerpt) if failure.excerpt else "this step was not read"
        return [
            {
                "text": f"No excerpt: {inline(note)}",
                "blocks": [head, context(f"No excerpt: {inline(note)}")],
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


__all__ = [
    "EXCERPT_CHARS",
    "FULL_EXCERPT_SECTIONS",
    "MAX_FAILURES_SHOWN",
    "excerpt_code",
    "excerpt_notes",
    "failure_blocks",
    "failure_header",
    "failures_blocks",
    "full_excerpt_messages",
    "full_excerpt_text",
    "headline_block",
    "missing_excerpt",
    "truncated_note",
]
