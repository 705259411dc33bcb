"""Resolving what a person named, pasted or pressed to an execution and its log scope.

A named target walks pipeline -> run -> stage -> step by identifier or display
name, with suggestions when nothing matches; a pasted link is checked for host,
account and shape before Harness is asked anything. Every way to miss is a typed
`Miss` inside a `TargetError`; the Slack layer words it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager

from bot.domain import Execution, LogScope, Node, PipelineRef, Scope, ScopeKind
from bot.domain.misses import (
    BadLink,
    ExecutionGone,
    HarnessRefused,
    LinkProblem,
    NeverRan,
    NodeNotInExecution,
    NoSuchExecution,
    NoSuchPipeline,
    NoSuchProject,
    NoSuchRun,
    NoSuchStage,
    NoSuchStep,
    SeveralPipelines,
    StepWithoutStage,
)
from bot.harness.errors import (
    HarnessAuthError,
    HarnessError,
    HarnessNotFoundError,
    HarnessUnavailableError,
)
from bot.harness.pipeline_api import PipelineApi
from bot.harness.prefixes import node_prefix, pipeline_prefix
from bot.harness.urls import ExecutionUrlError, parse_execution_url
from bot.service.error_reasons import problem_of
from bot.service.targets import (
    ExecutionTarget,
    NamedTarget,
    Resolved,
    Target,
    TargetError,
    UrlTarget,
)
from bot.suggest import closest

log = logging.getLogger(__name__)


class Resolver:
    def __init__(
        self,
        pipelines: PipelineApi,
        *,
        account: str,
        default_scope: Scope,
        ui_hosts: Collection[str],
        clean: Callable[[str], str],
    ) -> None:
        self._pipelines = pipelines
        self._account = account
        self._default_scope = default_scope
        self._ui_hosts = ui_hosts
        self._clean = clean

    def execution_of_link(self, url: str) -> tuple[Scope, str] | None:
        """The execution a pasted Harness link names (for unfurls), or None for any other link."""
        try:
            scope, plan_execution_id, _stage, _step = self._parse_url(url)
        except TargetError:
            return None
        return scope, plan_execution_id

    @property
    def default_scope(self) -> Scope:
        return self._default_scope

    def scope_of(self, target: Target) -> Scope:
        if isinstance(target, UrlTarget):
            return self._parse_url(target.url)[0]
        if isinstance(target, ExecutionTarget):
            return target.scope
        return target.scope or self._default_scope

    def check(self, target: Target) -> None:
        """Cheap validation before anything is sent to Harness (URL host and shape)."""
        if isinstance(target, UrlTarget):
            self._parse_url(target.url)

    async def resolve(self, target: Target) -> Resolved:
        async with self._explained():
            if isinstance(target, UrlTarget):
                return await self._resolve_url(target.url)
            if isinstance(target, ExecutionTarget):
                return await self._resolve_execution(target)
            return await self._resolve_named(target)
        raise AssertionError("unreachable")  # pragma: no cover

    async def find_pipeline(
        self, name: str, scope: Scope | None = None
    ) -> tuple[PipelineRef, Scope]:
        """A pipeline by identifier or display name, with suggestions when none matches."""
        scope = scope or self._default_scope
        async with self._explained():
            return await self._find_pipeline(scope, name), scope
        raise AssertionError("unreachable")  # pragma: no cover

    async def execution(self, scope: Scope, plan_execution_id: str) -> Execution:
        """One execution with its graph (no export): for unfurls and run numbers."""
        async with self._explained():
            try:
                return await self._pipelines.execution(scope, plan_execution_id)
            except HarnessNotFoundError:
                raise TargetError(NoSuchExecution(plan_execution_id, str(scope))) from None
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def _explained(self) -> AsyncIterator[None]:
        """Harness failing the lookup itself, as a `HarnessRefused` miss (redacted detail)."""
        try:
            yield
        except HarnessError as exc:
            expected = HarnessAuthError | HarnessUnavailableError | HarnessNotFoundError
            if not isinstance(exc, expected):
                log.warning("harness call failed while resolving a target: %r", exc)
            problem = problem_of(exc)
            detail = self._clean(problem.detail) if problem.detail else ""
            raise TargetError(HarnessRefused(problem.reason, detail)) from None

    async def _resolve_execution(self, target: ExecutionTarget) -> Resolved:
        try:
            execution = await self._pipelines.execution(target.scope, target.plan_execution_id)
        except HarnessNotFoundError:
            raise TargetError(ExecutionGone()) from None
        if target.node_uuid is None:
            return Resolved(execution, _log_scope(execution, None, None))
        node = execution.node_by_uuid(target.node_uuid)
        if node is None:
            raise TargetError(NodeNotInExecution("step", from_link=False))
        if node.is_stage:
            return Resolved(execution, _log_scope(execution, node, None))
        return Resolved(execution, _log_scope(execution, execution.stage_of(node), node))

    # -- resolution ---------------------------------------------------------

    def _parse_url(self, url: str) -> tuple[Scope, str, str | None, str | None]:
        try:
            ref = parse_execution_url(url, self._ui_hosts)
        except ExecutionUrlError as exc:
            raise TargetError(BadLink(exc.problem, exc.value)) from None
        if ref.account != self._account:
            raise TargetError(BadLink(LinkProblem.OTHER_ACCOUNT))
        return Scope(ref.org, ref.project), ref.plan_execution_id, ref.stage_node, ref.step_node

    async def _resolve_url(self, url: str) -> Resolved:
        scope, execution_id, stage_node, step_node = self._parse_url(url)
        try:
            execution = await self._pipelines.execution(scope, execution_id)
        except HarnessNotFoundError:
            raise TargetError(NoSuchExecution(execution_id, str(scope))) from None
        stage = step = None
        if step_node:
            step = execution.node_by_uuid(step_node)
            if step is None:
                raise TargetError(NodeNotInExecution("step", from_link=True))
            stage = execution.stage_of(step)
        elif stage_node:
            stage = execution.node_by_uuid(stage_node) or _stage_by_layout_key(
                execution, stage_node
            )
            if stage is None:
                raise TargetError(NodeNotInExecution("stage", from_link=True))
        return Resolved(execution, _log_scope(execution, stage, step))

    async def _resolve_named(self, target: NamedTarget) -> Resolved:
        scope = target.scope or self._default_scope
        pipeline = await self._find_pipeline(scope, target.pipeline)
        if target.run is None:
            runs = await self._pipelines.runs(scope, pipeline.identifier, size=1)
            if not runs:
                raise TargetError(NeverRan(pipeline.name))
            run = runs[0]
        else:
            found, nearest = await self._pipelines.find_run(scope, pipeline.identifier, target.run)
            if found is None:
                suggestions = tuple(f"#{r.run_sequence}" for r in nearest)
                raise TargetError(NoSuchRun(pipeline.name, target.run, suggestions))
            run = found
        execution = await self._pipelines.execution(scope, run.plan_execution_id)
        stage = step = None
        if target.stage:
            stage = _find_node(target.stage, execution.stages())
            if stage is None:
                names = _names(execution.stages())
                raise TargetError(
                    NoSuchStage(
                        target.stage, execution.run_sequence, tuple(closest(target.stage, names))
                    )
                )
        if target.step:
            if stage is None:
                raise TargetError(StepWithoutStage())
            step = _find_node(target.step, execution.steps(stage))
            if step is None:
                names = _names(execution.steps(stage))
                raise TargetError(
                    NoSuchStep(target.step, stage.name, tuple(closest(target.step, names)))
                )
        return Resolved(execution, _log_scope(execution, stage, step))

    async def _find_pipeline(self, scope: Scope, name: str) -> PipelineRef:
        try:
            candidates = await self._pipelines.pipelines(scope, search=name, max_pages=1)
            exact = _pick(name, candidates)
            if exact is None:
                candidates = await self._pipelines.pipelines(scope)
                exact = _pick(name, candidates)
        except HarnessNotFoundError:
            raise TargetError(NoSuchProject(str(scope))) from None
        if exact is not None:
            return exact
        suggestions = tuple(
            closest(name, [p.name for p in candidates] + [p.identifier for p in candidates])
        )
        raise TargetError(NoSuchPipeline(name, str(scope), suggestions))


def _pick(name: str, pipelines: list[PipelineRef]) -> PipelineRef | None:
    by_id = [p for p in pipelines if _matches(name, p.identifier)]
    if by_id:
        return by_id[0]
    by_name = [p for p in pipelines if _matches(name, p.name)]
    if len(by_name) > 1:
        raise TargetError(SeveralPipelines(name, tuple(p.identifier for p in by_name[:5])))
    return by_name[0] if by_name else None


def _find_node(name: str, nodes: list[Node]) -> Node | None:
    """A stage or step by identifier, else by display name."""
    for node in nodes:
        if _matches(name, node.identifier):
            return node
    return next((node for node in nodes if _matches(name, node.name)), None)


def _names(nodes: list[Node]) -> list[str]:
    return [n.name for n in nodes] + [n.identifier for n in nodes]


def _stage_by_layout_key(execution: Execution, key: str) -> Node | None:
    identifier = dict(execution.stage_layout).get(key)
    if identifier is None:
        return None
    return next((s for s in execution.stages() if s.identifier == identifier), None)


def _log_scope(execution: Execution, stage: Node | None, step: Node | None) -> LogScope:
    if step is not None:
        return LogScope(ScopeKind.STEP, node_prefix(execution, step), stage, step)
    if stage is not None:
        return LogScope(ScopeKind.STAGE, node_prefix(execution, stage), stage)
    return LogScope(ScopeKind.PIPELINE, pipeline_prefix(execution))


def _matches(name: str, *candidates: str) -> bool:
    wanted = name.casefold()
    return any(c.casefold() == wanted for c in candidates if c)


__all__ = ["Resolver"]
