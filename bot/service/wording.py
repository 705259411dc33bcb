"""The words for every way a target can be missed (`bot.domain.misses`), channel-
neutral: Slack and the terminal say the same sentences, each in its own markup (a
`Style`: Slack's is bot/slack/views/misses.py, the terminal's is `PLAIN` here).

In Slack, names from Harness or from the person are made inert by its style, so they
can neither ping anyone nor break the formatting around them; in a terminal they
are plain text, quoted where a person would have to quote them. Suggestions are
written as they would be typed (the grammar's `typed`), so typing one as shown names
what it suggests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import LogScope, Reason, ScopeKind
from bot.domain.misses import (
    BadLink,
    ExecutionGone,
    HarnessRefused,
    LinkProblem,
    Miss,
    NeverRan,
    NodeNotInExecution,
    NoSuchExecution,
    NoSuchPipeline,
    NoSuchProject,
    NoSuchRun,
    NoSuchStage,
    NoSuchStep,
    NotSubscribed,
    SeveralPipelines,
    SeveralSubscriptions,
    StepWithoutStage,
)
from bot.service.grammar import typed


@dataclass(frozen=True)
class Style:
    """How a sentence marks things up: `code` for a name as typed, `bold` for a name
    to notice, `name` for a name inside running text, `example` for words to type."""

    code: Callable[[str], str]
    bold: Callable[[str], str]
    name: Callable[[str], str]
    example: Callable[[str], str]


# A terminal shows text as it is; a name with spaces is quoted as it would be typed.
PLAIN = Style(code=typed, bold=str, name=str, example=str)

_LINK_WORDS = {
    LinkProblem.TOO_LONG: "That link is too long to be a Harness execution URL.",
    LinkProblem.NOT_A_URL: "That link is not a valid URL.",
    LinkProblem.NOT_HTTP: "Only http(s) links to Harness executions are understood.",
    LinkProblem.NOT_AN_EXECUTION: (
        "That link does not point at a pipeline execution "
        "(expected …/orgs/<org>/projects/<project>/pipelines/<pipeline>/executions/<id>)."
    ),
    LinkProblem.OTHER_ACCOUNT: (
        "That link is for another Harness account than the one this bot is set up for."
    ),
}


def _link_text(miss: BadLink, style: Style) -> str:
    if miss.problem is LinkProblem.UNKNOWN_HOST:
        return (
            f"{style.code(miss.value)} is not a Harness host this bot is set up for; "
            "paste a link from your Harness account."
        )
    if miss.problem is LinkProblem.BAD_IDENTIFIER:
        return f"The {style.name(miss.value)} in that link is not a valid Harness identifier."
    if miss.problem is LinkProblem.BAD_NODE_PARAMETER:
        return f"The {style.code(miss.value)} parameter in that link is not a Harness node id."
    return _LINK_WORDS[miss.problem]


def _refused_text(miss: HarnessRefused, style: Style) -> str:
    if miss.reason is Reason.ACCESS:
        return (
            "Harness refused the bot's API key (it is wrong, expired or lacks "
            f"{style.bold('Pipelines: View')} on that project). Ask whoever runs the bot "
            "to check it."
        )
    if miss.passing:
        return (
            "Harness is not answering right now (it kept failing or rate-limiting "
            "the bot). Try again in a minute."
        )
    if miss.reason is Reason.NOT_FOUND:
        return f"Harness could not find that: {style.name(miss.detail or 'not found')}."
    return (
        f"Harness could not answer that request: {style.name(miss.detail or 'unexpected answer')}."
    )


def miss_text(miss: Miss, style: Style) -> str:
    """One sentence (or two) for the person who asked, without the suggestions."""
    code, bold = style.code, style.bold
    match miss:
        case BadLink():
            return _link_text(miss, style)
        case NoSuchProject(scope):
            return f"Harness has no project {code(scope)} (or the bot's key cannot see it)."
        case NoSuchPipeline(name, scope):
            return f"No pipeline called {code(name)} in {code(scope)}."
        case SeveralPipelines(name, identifiers):
            ids = ", ".join(code(i) for i in identifiers)
            return f"Several pipelines are called {bold(name)} ({ids}); name one by identifier."
        case NeverRan(pipeline):
            return f"Pipeline {bold(pipeline)} has not run yet."
        case NoSuchRun(pipeline, run):
            return f"Pipeline {bold(pipeline)} has no run #{run}."
        case NoSuchStage(name, run):
            return f"Run #{run} has no stage called {code(name)}."
        case NoSuchStep(name, stage):
            return f"Stage {bold(stage)} has no step called {code(name)}."
        case StepWithoutStage():
            return f"Name the stage before the step, e.g. {style.example('deploy/rollout')}."
        case NoSuchExecution(execution, scope):
            return (
                f"Harness has no execution {code(execution)} in {code(scope)} "
                "(or the bot's key cannot see it)."
            )
        case NodeNotInExecution(kind, from_link=True):
            return f"The {style.name(kind)} in that link is not part of this execution."
        case NodeNotInExecution():
            return "That stage or step is not part of the execution any more."
        case ExecutionGone():
            return "That execution is no longer in Harness."
        case NotSubscribed(name):
            return f"This channel is not subscribed to {code(name)}."
        case SeveralSubscriptions(name, scopes):
            options = ", ".join(code(f"in {scope}") for scope in scopes)
            return f"Several subscriptions match {code(name)}; add one of {options}."
        case HarnessRefused():
            return _refused_text(miss, style)
    raise AssertionError(f"no words for {miss!r}")  # pragma: no cover


def suggestions_of(miss: Miss) -> tuple[str, ...]:
    """Names the person may have meant, for "Did you mean …?"."""
    return tuple(getattr(miss, "suggestions", ()))


def typed_suggestions(miss: Miss) -> tuple[str, ...]:
    """The suggestions as they would be typed in a command: names quoted where they
    hold spaces (`"Deploy Checkout"`), run numbers as `#41`."""
    if isinstance(miss, NoSuchRun):
        return suggestions_of(miss)
    return tuple(typed(s) for s in suggestions_of(miss))


__all__ = ["PLAIN", "Style", "miss_text", "scope_words", "suggestions_of", "typed_suggestions"]


def scope_words(log_scope: LogScope) -> str:
    """What a logs export covers, by display name: "whole pipeline", "stage Build" or
    "step Build › Install deps" (plain text: Slack escapes the names it shows)."""
    if log_scope.kind is ScopeKind.STEP and log_scope.step is not None:
        stage = f"{log_scope.stage.name} › " if log_scope.stage else ""
        return f"step {stage}{log_scope.step.name}"
    if log_scope.kind is ScopeKind.STAGE and log_scope.stage is not None:
        return f"stage {log_scope.stage.name}"
    return "whole pipeline"
