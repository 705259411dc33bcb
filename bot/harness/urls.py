"""Parsing the Harness UI execution URLs people paste into Slack.

Accepted shapes (module segments vary; hash routes carry the path and query in
the fragment):

    https://<host>/ng/account/<acc>/module/cd/orgs/<org>/projects/<p>/pipelines/<pipe>/executions/<id>/pipeline
    https://<host>/ng/account/<acc>/all/cd/orgs/...   .../deployments/<id>/pipeline
    https://<host>/ng/#/account/<acc>/cd/orgs/...     ?stage=<uuid>&step=<uuid>

Only hosts the bot is configured for are accepted, so a pasted URL never
makes the bot talk to anyone else.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection
from urllib.parse import parse_qs, quote, unquote, urlsplit

from bot.domain import Execution, ExecutionRef
from bot.domain.identifiers import ACCOUNT_ID, EXECUTION_ID, IDENTIFIER, NODE_ID
from bot.domain.misses import LinkProblem

_MAX_URL = 2048


class ExecutionUrlError(ValueError):
    """The text is not an execution URL the bot can use; `problem` says why."""

    def __init__(self, problem: LinkProblem, value: str = "") -> None:
        super().__init__(problem.value, value)
        self.problem = problem
        self.value = value


def execution_ui_url(base_url: str, execution: Execution) -> str:
    """Where people open the execution in Harness's UI."""
    parts = [
        "ng/account",
        quote(execution.account, safe=""),
        "all/orgs",
        quote(execution.org, safe=""),
        "projects",
        quote(execution.project, safe=""),
        "pipelines",
        quote(execution.pipeline_identifier, safe=""),
        "executions",
        quote(execution.plan_execution_id, safe=""),
        "pipeline",
    ]
    return f"{base_url.rstrip('/')}/{'/'.join(parts)}"


def looks_like_url(text: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", text.strip(), re.IGNORECASE))


def parse_execution_url(url: str, allowed_hosts: Collection[str]) -> ExecutionRef:
    if len(url) > _MAX_URL:
        raise ExecutionUrlError(LinkProblem.TOO_LONG)
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        raise ExecutionUrlError(LinkProblem.NOT_A_URL) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ExecutionUrlError(LinkProblem.NOT_HTTP)
    if host not in allowed_hosts:
        raise ExecutionUrlError(LinkProblem.UNKNOWN_HOST, host)

    path, query = parts.path, parts.query
    # Hash routes (`/ng/#/account/...`) keep the real route and its query in the fragment.
    if parts.fragment.startswith("/"):
        fragment_path, _, fragment_query = parts.fragment.partition("?")
        path = fragment_path
        query = "&".join(q for q in (query, fragment_query) if q)

    segments = [unquote(s) for s in path.split("/") if s]
    fields = _route_fields(segments)
    missing = [
        k for k in ("account", "orgs", "projects", "pipelines", "execution") if k not in fields
    ]
    if missing:
        raise ExecutionUrlError(LinkProblem.NOT_AN_EXECUTION)
    _check(ACCOUNT_ID, fields["account"], "account")
    for key, what in (("orgs", "organization"), ("projects", "project"), ("pipelines", "pipeline")):
        _check(IDENTIFIER, fields[key], what)
    _check(EXECUTION_ID, fields["execution"], "execution")

    params = parse_qs(query, keep_blank_values=False)
    stage = _node_param(params, "stage")
    step = _node_param(params, "step")
    return ExecutionRef(
        account=fields["account"],
        org=fields["orgs"],
        project=fields["projects"],
        pipeline=fields["pipelines"],
        plan_execution_id=fields["execution"],
        stage_node=stage,
        step_node=step,
    )


def _route_fields(segments: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in itertools.pairwise(segments):
        if key in ("account", "orgs", "projects", "pipelines") and key not in fields:
            fields[key] = value
        elif key in ("executions", "deployments") and "execution" not in fields:
            fields["execution"] = value
    return fields


def _check(pattern: re.Pattern[str], value: str, what: str) -> None:
    if not pattern.fullmatch(value):
        raise ExecutionUrlError(LinkProblem.BAD_IDENTIFIER, what)


def _node_param(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    value = values[0].strip()
    if not NODE_ID.fullmatch(value):
        raise ExecutionUrlError(LinkProblem.BAD_NODE_PARAMETER, name)
    return value
