"""The logs post, built by a pure function from a `LogsResult`: the run, its status,
the failed steps with their excerpts, and the download link, or why there is none
(the export's problem in words). With LINK_VISIBILITY=requester the link stays out of
the post and goes, privately, to whoever asks for it.

Text from Harness or from people is escaped for mrkdwn and trimmed to Slack's limits
here, so no caller has to remember to; the primitives are in views/mrkdwn.py and views/blocks.py.
"""

from __future__ import annotations

from typing import Any

from bot.domain import ExportProblem, LogsLink, Reason, ScopeKind
from bot.service.targets import LogsResult
from bot.service.wording import scope_words
from bot.slack.views.action_ids import (
    DOWNLOAD_LOGS,
    GET_LINK,
    OPEN_EXECUTION,
    REFRESH_LINK,
)
from bot.slack.views.blocks import (
    BUTTON_URL_LIMIT,
    COMMAND,
    Message,
    action_button,
    context,
    duration,
    link_button,
    run_title,
    section,
    status_label,
    target_value,
)
from bot.slack.views.failures import failures_blocks
from bot.slack.views.mrkdwn import (
    SECTION_LIMIT,
    TEXT_LIMIT,
    escape,
    escape_name,
    inline,
    safe_url,
    slack_date,
    trim,
)


def logs_message(
    result: LogsResult,
    requested_by: str | None,
    note: str | None = None,
    *,
    private_link: bool = False,
) -> Message:
    """The post with the logs link (or why there is none), status, failures and excerpts.

    `requested_by` is the Slack user who asked; `note` replaces that line for posts
    nobody asked for (a webhook) or that were refreshed. With `private_link`
    (LINK_VISIBILITY=requester) the pre-signed link stays out of the post: a "Get
    link" button sends it to whoever presses it, after the access policy's check.
    """
    execution = result.execution
    title = run_title(execution)
    blocks: list[dict[str, Any]] = [
        section(f"*<{result.execution_url}|{title}>*  {status_label(execution.status)}"),
    ]
    facts = [
        f"*Logs:* {escape_name(scope_words(result.log_scope))}",
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
    if isinstance(result.export, LogsLink) and private_link:
        get_link = action_button(":key: Get link", GET_LINK, refresh["value"])
        opening = link_button("Open in Harness", result.execution_url, OPEN_EXECUTION)
        blocks.append({"type": "actions", "elements": [get_link, opening]})
        notes.append("download links go only to whoever asks for one")
        fallback = f"Logs for {title} (ask for the link with Get link)"
    elif isinstance(result.export, LogsLink):
        link = result.export
        buttons = []
        if len(link.url) <= BUTTON_URL_LIMIT:
            buttons.append(
                link_button(":arrow_down: Download logs", link.url, DOWNLOAD_LOGS, "primary")
            )
        buttons.append(link_button("Open in Harness", result.execution_url, OPEN_EXECUTION))
        buttons.append(refresh)
        blocks.append({"type": "actions", "elements": buttons})
        blocks.append(_plain_link(link.url))
        if link.expires_at is not None:
            notes.append(f"link expires {slack_date(link.expires_at)}")
        fallback = f"Logs for {title}: {link.url}"
    elif result.export is None:
        blocks.append(
            section(
                ":hourglass_flowing_sand: *Preparing the logs export …* this post updates itself."
            )
        )
        blocks.append(
            {
                "type": "actions",
                "elements": [link_button("Open in Harness", result.execution_url, OPEN_EXECUTION)],
            }
        )
        fallback = f"{title} failed; preparing its logs"
    else:
        blocks.append(section(problem_text(result.export, result)))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    link_button("Open in Harness", result.execution_url, OPEN_EXECUTION),
                    {**refresh, "text": {"type": "plain_text", "text": "Try again", "emoji": True}},
                ],
            }
        )
        fallback = f"No logs link for {title}"
    if notes:
        blocks.append(context(" · ".join(notes)))
    return {"response_type": "in_channel", "text": trim(fallback, TEXT_LIMIT), "blocks": blocks}


def private_link_message(result: LogsResult) -> Message:
    """The pre-signed link, for the person who asked only."""
    execution = result.execution
    title = run_title(execution)
    if not isinstance(result.export, LogsLink):
        if result.export is None:
            return {"response_type": "ephemeral", "text": "The export is still being prepared."}
        return {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": problem_text(result.export, result),
        }
    link = result.export
    expires = f" (it expires {slack_date(link.expires_at)})" if link.expires_at else ""
    blocks: list[dict[str, Any]] = [
        section(
            f":key: Download link for *{title}*, {escape_name(scope_words(result.log_scope))}"
            f"{expires}. Only you can see it; anyone holding it can download the whole log."
        )
    ]
    if len(link.url) <= BUTTON_URL_LIMIT:
        button = link_button(":arrow_down: Download logs", link.url, DOWNLOAD_LOGS, "primary")
        blocks.append({"type": "actions", "elements": [button]})
    blocks.append(_plain_link(link.url))
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": trim(f"Download link for {title}: {link.url}", TEXT_LIMIT),
        "blocks": blocks,
    }


def problem_text(problem: ExportProblem, result: LogsResult) -> str:
    # Stage and step names are Harness's: inert in mrkdwn like every other name.
    scope = escape_name(scope_words(result.log_scope))
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
    if problem.reason is Reason.UNSAFE_LINK:
        return (
            ":no_entry: *The export link was refused*: Harness handed out a link to a host "
            "the bot does not fetch from, so it is not shown. Ask whoever runs the bot to "
            "check `HARNESS_BASE_URL`."
        )
    detail = trim(problem.detail or "no reason given", 300)
    return f":warning: *Harness could not export the logs*: {inline(detail)}"


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


__all__ = ["logs_message", "private_link_message", "problem_text"]
