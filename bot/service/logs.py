"""Use cases: a named target or execution URL -> the execution, its log scope, a logs link.

Knows nothing of Slack payloads or HTTP: the Slack layer turns what a person
typed into a `Target` and renders the `LogsResult` or `TargetError` it gets back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

from bot.domain import (
    ExcerptUnavailable,
    Execution,
    ExportProblem,
    Failure,
    GreenLog,
    LogScope,
    LogsLink,
    Node,
    NodeRef,
    PipelineRef,
    Reason,
    Scope,
    ScopeKind,
)
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
from bot.excerpt import Excerpt, ExcerptSettings, clean_message
from bot.harness.errors import (
    ExportTimeoutError,
    HarnessAuthError,
    HarnessError,
    HarnessNotFoundError,
    HarnessUnavailableError,
    NoLogsError,
    TooManyLogFilesError,
)
from bot.harness.executions import PipelineApi
from bot.harness.logs import LogExporter
from bot.harness.prefixes import node_prefix, pipeline_prefix
from bot.harness.urls import ExecutionUrlError, parse_execution_url
from bot.redaction import Redactor
from bot.service.last_success import LastSuccess
from bot.service.steplogs import StepLogReader
from bot.service.targets import (
    ExcerptOptions,
    ExecutionTarget,
    FullExcerpt,
    LogsResult,
    NamedTarget,
    Resolved,
    Target,
    TargetError,
    UrlTarget,
)
from bot.singleflight import SingleFlight
from bot.suggest import closest

log = logging.getLogger(__name__)


MAX_EXCERPTS = 3


def _matches(name: str, *candidates: str) -> bool:
    wanted = name.casefold()
    return any(c.casefold() == wanted for c in candidates if c)


class LogsService:
    def __init__(
        self,
        pipelines: PipelineApi,
        exporter: LogExporter,
        *,
        account: str,
        default_scope: Scope,
        ui_hosts: Collection[str],
        ui_base_url: str,
        log_reader: StepLogReader | None = None,
        redactor: Redactor | None = None,
        excerpts: ExcerptOptions | None = None,
        on_export: Callable[[str, float], None] | None = None,
    ) -> None:
        self._pipelines = pipelines
        self._exporter = exporter
        self._log_reader = log_reader
        self._redactor = redactor or Redactor()
        self._excerpts = excerpts or ExcerptOptions()
        self._account = account
        self._default_scope = default_scope
        self._ui_hosts = ui_hosts
        self._ui_base_url = ui_base_url.rstrip("/")
        self._on_export = on_export
        self._excerpt_flights: SingleFlight[Excerpt | ExcerptUnavailable] = SingleFlight()
        self._last_success = (
            LastSuccess(pipelines, log_reader, timeout=self._excerpts.compare_timeout)
            if log_reader is not None and self._excerpts.compare_last_success
            else None
        )

    def execution_of_link(self, url: str) -> tuple[Scope, str] | None:
        """The execution a pasted Harness link names (for unfurls), or None for any other link."""
        try:
            scope, plan_execution_id, _stage, _step = self._parse_url(url)
        except TargetError:
            return None
        return scope, plan_execution_id

    def check(self, target: Target) -> None:
        """Cheap validation before anything is sent to Harness (URL host and shape)."""
        if isinstance(target, UrlTarget):
            self._parse_url(target.url)

    async def fetch_logs(self, target: Target) -> LogsResult:
        """Resolve the target, export its logs and report the link or the problem."""
        resolved = await self.resolve(target)
        execution, log_scope = resolved.execution, resolved.log_scope
        # The link and the excerpts are independent: fetch them side by side.
        link_task = asyncio.ensure_future(self._timed_export(log_scope.prefix))
        try:
            failed = await self._failed_with_children(execution, log_scope)
            failures = await asyncio.gather(
                *(
                    self._failure(where, node, read=i < MAX_EXCERPTS, via=via)
                    for i, (where, node, via) in enumerate(failed)
                )
            )
        except BaseException:
            link_task.cancel()
            raise
        if not failures and execution.failed and log_scope.kind is ScopeKind.PIPELINE:
            failures = [Failure(None, None, self._clean(execution.failure_message))]
        base = LogsResult(
            execution=execution,
            log_scope=log_scope,
            execution_url=self.execution_url(execution),
            failures=list(failures),
        )
        return replace(base, export=await link_task)

    async def full_excerpt(self, ref: NodeRef) -> FullExcerpt:
        """The longer excerpt of one step, for "Show full excerpt"."""
        target = ExecutionTarget(Scope(ref.org, ref.project), ref.plan_execution_id, ref.node_uuid)
        resolved = await self.resolve(target)
        execution, scope = resolved.execution, resolved.log_scope
        node = scope.step or scope.stage
        assert node is not None  # a target with a node resolves to it
        failure = await self._failure(execution, node, read=True, settings=ExcerptSettings.full())
        return FullExcerpt(execution, failure, self.execution_url(execution))

    async def _failed_with_children(
        self, execution: Execution, log_scope: LogScope
    ) -> list[tuple[Execution, Node, str | None]]:
        """Failed nodes, following a failed Pipeline stage into the run it chained to.

        Each entry is (the execution the node belongs to, the node, the parent
        stage's name when the node is in a child pipeline).
        """
        found: list[tuple[Execution, Node, str | None]] = []
        for node in failed_nodes(execution, log_scope):
            child = None
            if node.is_stage and execution.runs_child_pipeline(node):
                child = await self._child(execution, node)
            if child is None:
                found.append((execution, node, None))
                continue
            inner = failed_nodes(child, LogScope(ScopeKind.PIPELINE, ""))
            found.extend((child, inner_node, node.name) for inner_node in inner)
            if not inner:
                found.append((execution, node, None))
        return found

    async def _child(self, execution: Execution, stage: Node) -> Execution | None:
        key = execution.layout_key(stage)
        if key is None:
            return None
        try:
            return await self._pipelines.child_execution(execution, key)
        except HarnessError as exc:
            log.warning("could not read the child pipeline of %s: %s", stage.fqn, exc.detail)
            return None

    async def _failure(
        self,
        execution: Execution,
        node: Node,
        *,
        read: bool,
        settings: ExcerptSettings | None = None,
        via: str | None = None,
    ) -> Failure:
        failure = self._describe(execution, node, via)
        if not read or node.is_stage or self._log_reader is None:
            return failure
        wanted = settings or self._excerpts.settings
        # Several people asking about one failure at once share one read of its log.
        read_log = await self._excerpt_flights.run(
            (execution.plan_execution_id, node.uuid, wanted),
            lambda: self._read_excerpt(execution, node, wanted),
        )
        return replace(failure, excerpt=read_log)

    def _describe(self, execution: Execution, node: Node, via: str | None = None) -> Failure:
        """A failed node as people read it; `via` names the stage of a parent pipeline."""
        stage = node if node.is_stage else execution.stage_of(node)
        stage_name = stage.name if stage else None
        if via:
            stage_name = f"{via} › {stage_name}" if stage_name else via
        return Failure(
            stage_name=stage_name,
            step_name=None if node.is_stage else node.name,
            message=self._clean(node.failure_message),
            node=NodeRef(execution.org, execution.project, execution.plan_execution_id, node.uuid),
        )

    async def _read_excerpt(
        self, execution: Execution, node: Node, settings: ExcerptSettings
    ) -> Excerpt | ExcerptUnavailable:
        assert self._log_reader is not None
        green = None
        last_success = self._last_success
        if last_success is not None and node.is_step:

            async def green() -> GreenLog | None:
                return await last_success.of(execution, node)

        try:
            async with asyncio.timeout(self._excerpts.timeout):
                excerpt = await self._log_reader.excerpt(execution, node, settings, green=green)
        except TimeoutError:
            return ExcerptUnavailable(Reason.TIMEOUT, waited=self._excerpts.timeout)
        except HarnessError as exc:
            log.warning(
                "could not read the log of %s: %s", node.fqn, exc.detail or type(exc).__name__
            )
            problem = problem_of(exc)
            return ExcerptUnavailable(
                problem.reason, self._clean(problem.detail) or "", problem.waited
            )
        except Exception:
            # An excerpt is a bonus: whatever breaks here must not cost people the link.
            log.exception("unexpected error reading the log of %s", node.fqn)
            return ExcerptUnavailable(Reason.UNEXPECTED)
        if excerpt is None:
            return ExcerptUnavailable(Reason.NO_LOGS)
        return excerpt

    def _clean(self, text: str | None) -> str | None:
        return clean_message(text, self._redactor) if text else text

    async def _timed_export(self, prefix: str) -> LogsLink | ExportProblem:
        started = time.monotonic()
        try:
            link = await self._exporter.export(prefix)
        except HarnessError as exc:
            problem = problem_of(exc)
            problem = replace(problem, detail=self._clean(problem.detail) or "")
            self._report_export(problem.reason, started)
            log.warning("export of %s failed: %s %s", prefix, problem.reason, problem.detail)
            return problem
        self._report_export("success", started)
        return link

    async def resolve(self, target: Target) -> Resolved:
        async with harness_errors_explained():
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
        async with harness_errors_explained():
            return await self._find_pipeline(scope, name), scope
        raise AssertionError("unreachable")  # pragma: no cover

    async def execution(self, scope: Scope, plan_execution_id: str) -> Execution:
        """One execution with its graph (no export): for unfurls and run numbers."""
        async with harness_errors_explained():
            try:
                return await self._pipelines.execution(scope, plan_execution_id)
            except HarnessNotFoundError:
                raise TargetError(NoSuchExecution(plan_execution_id, str(scope))) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def summary_failures(self, execution: Execution) -> list[Failure]:
        """Failed stages and steps with their (redacted) messages, without reading logs."""
        scope = LogScope(ScopeKind.PIPELINE, "")
        failures = [self._describe(execution, node) for node in failed_nodes(execution, scope)]
        if not failures and execution.failed:
            failures.append(Failure(None, None, self._clean(execution.failure_message)))
        return failures

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

    def execution_url(self, execution: Execution) -> str:
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
        return f"{self._ui_base_url}/{'/'.join(parts)}"

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

    # -- export -------------------------------------------------------------

    def _report_export(self, outcome: str, started: float) -> None:
        if self._on_export is not None:
            self._on_export(outcome, time.monotonic() - started)


@asynccontextmanager
async def harness_errors_explained() -> AsyncIterator[None]:
    """Harness failures while resolving a target, as a `TargetError` (the table below)."""
    try:
        yield
    except HarnessError as exc:
        if not isinstance(exc, HarnessAuthError | HarnessUnavailableError | HarnessNotFoundError):
            log.warning("harness call failed while resolving a target: %r", exc)
        problem = problem_of(exc)
        raise TargetError(HarnessRefused(problem.reason, problem.detail)) from None


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


def failed_nodes(execution: Execution, log_scope: LogScope) -> list[Node]:
    """What failed inside the scope, leaf steps preferred over the stages holding them."""
    if log_scope.step is not None:
        nodes = [log_scope.step] if log_scope.step.failed else []
    else:
        steps = execution.failed_steps(log_scope.stage)
        if log_scope.stage is not None:
            nodes = steps or ([log_scope.stage] if log_scope.stage.failed else [])
        else:
            with_steps = {s.stage_identifier for s in steps}
            stages = [s for s in execution.failed_stages() if s.identifier not in with_steps]
            nodes = [*steps, *stages]
    # Harness's node map has no order; people read failures in the order they happened.
    never = datetime.max.replace(tzinfo=UTC)
    return sorted(nodes, key=lambda n: (n.started_at or never, n.fqn))


def problem_of(exc: HarnessError) -> ExportProblem:
    """The one table from Harness's errors to reasons."""
    if isinstance(exc, NoLogsError):
        return ExportProblem(Reason.NO_LOGS, exc.detail)
    if isinstance(exc, TooManyLogFilesError):
        return ExportProblem(Reason.TOO_MANY_FILES, exc.detail)
    if isinstance(exc, HarnessAuthError):
        return ExportProblem(Reason.ACCESS, exc.detail)
    if isinstance(exc, HarnessNotFoundError):
        return ExportProblem(Reason.NOT_FOUND, exc.detail)
    if isinstance(exc, ExportTimeoutError):
        return ExportProblem(Reason.TIMEOUT, exc.detail, waited=exc.waited)
    if isinstance(exc, HarnessUnavailableError):
        return ExportProblem(Reason.UNAVAILABLE, exc.detail)
    return ExportProblem(Reason.FAILED, exc.detail)
