"""Block Kit for incident channels (pure): a failure's alert (the logs post with who
triggered it, the run's history, what it goes without, and its triage controls from
views/triage.py), the thread's event lines and the recovery line."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain import (
    History,
    PipelineEvent,
    Standing,
)
from bot.service.incidents import Alert
from bot.slack.views.blocks import (
    Message,
    context,
    section,
)
from bot.slack.views.logs import logs_message
from bot.slack.views.mrkdwn import code_block, escape, escape_name, inline
from bot.slack.views.triage import triage_actions

EVENT_WORDS = {
    "PipelineStart": (":arrow_forward:", "started"),
    "PipelineSuccess": (":white_check_mark:", "succeeded"),
    "PipelineFailed": (":x:", "failed"),
    "PipelineEnd": (":checkered_flag:", "ended"),
    "PipelinePaused": (":double_vertical_bar:", "paused"),
    "PipelineResumed": (":arrow_forward:", "resumed"),
    "StageStart": (":arrow_forward:", "started"),
    "StageSuccess": (":white_check_mark:", "succeeded"),
    "StageFailed": (":x:", "failed"),
    "StepFailed": (":x:", "failed"),
}


def _trigger(event: PipelineEvent) -> str | None:
    if not event.triggered_by:
        return None
    how = f" ({escape(event.trigger_type.lower())})" if event.trigger_type else ""
    return f"Triggered by *{escape_name(event.triggered_by)}*{how}"


def _person(name: str | None, email: str | None, people: Mapping[str, str]) -> str | None:
    """A Slack mention where Slack knows the email, else the name in bold."""
    user = people.get(email.lower()) if email else None
    if user:
        return f"<@{user}>"
    shown = name or email
    return f"*{escape_name(shown)}*" if shown else None


def _trigger_of(alert: Alert) -> tuple[str | None, str | None, str | None]:
    """Who triggered the run (name, email) and how: the notification's words first, else
    the execution's."""
    event, origin = alert.event, alert.result.execution.origin
    by = origin.triggered_by if origin else None
    name = event.triggered_by or (by.shown if by else None)
    email = event.triggered_by_email or (by.email if by else None)
    how = event.trigger_type or (origin.trigger_type if origin else None)
    return name, email, how


def emails_shown(alert: Alert) -> list[str]:
    """The emails of the people `who_line` names (to look up as Slack users), lower case."""
    _name, email, _how = _trigger_of(alert)
    origin = alert.result.execution.origin
    author = origin.author.email if origin and origin.author else None
    return sorted({e.lower() for e in (email, author) if e})


def who_line(alert: Alert, people: Mapping[str, str]) -> str | None:
    """Who triggered the run and, for a CI build, whose commit on which branch."""
    origin = alert.result.execution.origin
    name, email, how = _trigger_of(alert)
    parts = []
    trigger = _person(name, email, people)
    if trigger:
        parts.append(f"Triggered by {trigger}" + (f" ({escape(how.lower())})" if how else ""))
    author = origin.author if origin else None
    if author is not None and (author.email or "").lower() != (email or "").lower():
        commit = _person(author.name, author.email, people)
        if commit:
            parts.append(f"commit by {commit}")
    if origin is not None and origin.branch:
        where = f"on `{escape(origin.branch[:100])}`"
        if origin.commit:
            where += f" at `{escape(origin.commit[:7])}`"
        parts.append(where)
    return " · ".join(parts) or None


_LEFT_OUT = {
    "history": "the run's history",
    "comparison": "the comparison with the last green run",
}


def left_out_line(left_out: frozenset[str]) -> str:
    """Why the post goes without a nice-to-have: Harness's rate limit is kept for people."""
    names = [_LEFT_OUT.get(what, what) for what in sorted(left_out)]
    return (
        ":hourglass: Harness's rate limit is busy, so this post goes without "
        + " and ".join(names)
        + "."
    )


def history_line(history: History) -> str:
    """First failure, or failing since when; flapping pipelines say so."""
    if history.standing is Standing.FIRST:
        text = f":new: First failure: was green in run #{history.last_green}"
    elif history.standing is Standing.STREAK:
        text = (
            f":repeat: Still failing: since run #{history.since_run}, "
            f"{history.failed_runs} runs in a row"
        )
        if history.last_green is not None:
            text += f" (last green: run #{history.last_green})"
    elif history.failed_runs > 1:
        text = (
            f":repeat: Still failing: since run #{history.since_run}, "
            f"{history.failed_runs} runs in a row (no green run among the recent ones)"
        )
    else:
        text = ":grey_question: No earlier finished run to compare with"
    if history.flapping:
        text += " · :zap: *Flapping*: it changed between green and red often lately"
    return text


def _after(failed_runs: int | None) -> str:
    if not failed_runs:
        return ""
    return f" after {failed_runs} failed run{'s' if failed_runs != 1 else ''}"


def _recovered_banner(run: int, failed_runs: int | None) -> str:
    return f":white_check_mark: *Recovered* in run #{run}{_after(failed_runs)}."


def notification_message(
    alert: Alert, people: Mapping[str, str] | None = None, *, private_link: bool = False
) -> Message:
    """The parent post for a failure: the logs post, attributed to whoever started the run,
    with its place in the pipeline's history and the triage controls."""
    result, event = alert.result, alert.event
    people = people or {}
    message = logs_message(result, None, note=who_line(alert, people), private_link=private_link)
    message.pop("response_type", None)
    blocks = message["blocks"]
    if not result.failures and event.error_message:
        error = section(
            ":rotating_light: *Harness reported*\n" + code_block(event.error_message, 600)
        )
        blocks.insert(2, error)
    if alert.recovered is not None:
        blocks.insert(1, section(_recovered_banner(*alert.recovered)))
    elif alert.history is not None:
        blocks.insert(1, context(history_line(alert.history)))
    if alert.left_out:
        blocks.append(context(left_out_line(alert.left_out)))
    triage = triage_actions(alert)
    if triage is not None:
        blocks.append(triage)
    return message


def event_line(event: PipelineEvent, run: int | None, stage_name: str | None = None) -> Message:
    """One line for an event in an execution's thread."""
    emoji, word = EVENT_WORDS.get(event.event_type, (":information_source:", event.event_type))
    name = escape_name(event.pipeline_name or event.pipeline)
    number = f" #{run}" if run else ""
    if event.event_type.startswith("Stage") and (stage_name or event.stage):
        what = f"Stage *{escape_name(stage_name or event.stage or '')}*"
    elif event.event_type.startswith("Step") and event.step:
        what = f"Step *{escape_name(event.step)}*" + (
            f" in *{escape_name(event.stage)}*" if event.stage else ""
        )
    else:
        what = f"*{name}{number}*"
    text = f"{emoji} {what} {word}"
    if word == "failed" and event.error_message:
        text += ": " + inline(event.error_message[:300])
    trigger = _trigger(event)
    if event.event_type == "PipelineStart" and trigger:
        text += f" · {trigger}"
    return {"text": text}


def recovered_line(
    pipeline_name: str, run: int, execution_url: str, failed_runs: int | None = None
) -> Message:
    name = escape_name(pipeline_name)
    return {
        "text": f":white_check_mark: *{name}* recovered in <{execution_url}|run #{run}>"
        f"{_after(failed_runs)}."
    }
