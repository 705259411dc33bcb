"""The words for every way a target can be missed (`bot.domain.misses`).

Names from Harness or from the person pass through `escape_name`, so they can
neither ping anyone nor break the formatting around them.
"""

from __future__ import annotations

from bot.domain import Reason
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
from bot.slack.views.kit import escape_name

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


def _code(name: str) -> str:
    return f"`{escape_name(name)}`"


def _bold(name: str) -> str:
    return f"*{escape_name(name)}*"


def _link_text(miss: BadLink) -> str:
    if miss.problem is LinkProblem.UNKNOWN_HOST:
        return (
            f"{_code(miss.value)} is not a Harness host this bot is set up for; "
            "paste a link from your Harness account."
        )
    if miss.problem is LinkProblem.BAD_IDENTIFIER:
        return f"The {escape_name(miss.value)} in that link is not a valid Harness identifier."
    if miss.problem is LinkProblem.BAD_NODE_PARAMETER:
        return f"The {_code(miss.value)} parameter in that link is not a Harness node id."
    return _LINK_WORDS[miss.problem]


def _refused_text(miss: HarnessRefused) -> str:
    if miss.reason is Reason.ACCESS:
        return (
            "Harness refused the bot's API key (it is wrong, expired or lacks "
            "*Pipelines: View* on that project). Ask whoever runs the bot to check it."
        )
    if miss.reason in (Reason.UNAVAILABLE, Reason.TIMEOUT):
        return (
            "Harness is not answering right now (it kept failing or rate-limiting "
            "the bot). Try again in a minute."
        )
    if miss.reason is Reason.NOT_FOUND:
        return f"Harness could not find that: {escape_name(miss.detail or 'not found')}."
    return (
        f"Harness could not answer that request: {escape_name(miss.detail or 'unexpected answer')}."
    )


def miss_text(miss: Miss) -> str:
    """One sentence (or two) for the person who asked, without the suggestions."""
    match miss:
        case BadLink():
            return _link_text(miss)
        case NoSuchProject(scope):
            return f"Harness has no project {_code(scope)} (or the bot's key cannot see it)."
        case NoSuchPipeline(name, scope):
            return f"No pipeline called {_code(name)} in {_code(scope)}."
        case SeveralPipelines(name, identifiers):
            ids = ", ".join(_code(i) for i in identifiers)
            return f"Several pipelines are called {_bold(name)} ({ids}); name one by identifier."
        case NeverRan(pipeline):
            return f"Pipeline {_bold(pipeline)} has not run yet."
        case NoSuchRun(pipeline, run):
            return f"Pipeline {_bold(pipeline)} has no run #{run}."
        case NoSuchStage(name, run):
            return f"Run #{run} has no stage called {_code(name)}."
        case NoSuchStep(name, stage):
            return f"Stage {_bold(stage)} has no step called {_code(name)}."
        case StepWithoutStage():
            return "Name the stage before the step, e.g. `deploy/rollout`."
        case NoSuchExecution(execution, scope):
            return (
                f"Harness has no execution {_code(execution)} in {_code(scope)} "
                "(or the bot's key cannot see it)."
            )
        case NodeNotInExecution(kind, from_link=True):
            return f"The {escape_name(kind)} in that link is not part of this execution."
        case NodeNotInExecution():
            return "That stage or step is not part of the execution any more."
        case ExecutionGone():
            return "That execution is no longer in Harness."
        case NotSubscribed(name):
            return f"This channel is not subscribed to {_code(name)}."
        case SeveralSubscriptions(name, scopes):
            options = ", ".join(_code(f"in {scope}") for scope in scopes)
            return f"Several subscriptions match {_code(name)}; add one of {options}."
        case HarnessRefused():
            return _refused_text(miss)
    raise AssertionError(f"no words for {miss!r}")  # pragma: no cover


def suggestions_of(miss: Miss) -> tuple[str, ...]:
    """Names the person may have meant, for "Did you mean …?"."""
    return tuple(getattr(miss, "suggestions", ()))


__all__ = ["miss_text", "suggestions_of"]
