"""The logs use case: a target -> its execution, a logs link and what failed.

Knows nothing of Slack payloads or HTTP: the Slack layer turns what a person
typed into a `Target` and renders the `LogsResult` or `TargetError` it gets back.
Resolution lives in `resolver.py`, failures and their excerpts in `failures.py`;
this module runs them beside the export and reports how the export went.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from functools import partial
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.domain import (
    Execution,
    ExportProblem,
    Failure,
    LogScope,
    LogsLink,
    NodeRef,
    PipelineEvent,
    PipelineRef,
    Reason,
    Scope,
    ScopeKind,
)
from bot.excerpt import ExcerptSettings, clean_message
from bot.excerpt.redaction import Redactor
from bot.harness.budget import noting_left_out
from bot.harness.downloads import download_allowed
from bot.harness.errors import HarnessError
from bot.harness.pipeline_api import PipelineApi
from bot.harness.urls import execution_ui_url
from bot.service.error_reasons import problem_of
from bot.service.exports import Exports
from bot.service.failures import Failures, MayRead
from bot.service.last_success import RunList
from bot.service.resolver import Resolver
from bot.service.steplogs import StepLogReader
from bot.service.targets import (
    ExcerptOptions,
    ExecutionTarget,
    FullExcerpt,
    LogsResult,
    Resolved,
    Target,
)
from bot.sharedflight import SharedFlight

log = logging.getLogger(__name__)


class LogsService:
    def __init__(
        self,
        pipelines: PipelineApi,
        exports: Exports,
        *,
        account: str,
        default_scope: Scope,
        ui_hosts: Collection[str],
        ui_base_url: str,
        download_origins: tuple[str, ...],
        clock: Clock,
        log_reader: StepLogReader | None = None,
        redactor: Redactor | None = None,
        excerpts: ExcerptOptions | None = None,
        on_export: Callable[[str, float], None] | None = None,
        runs: RunList | None = None,
        shared: SharedFlight | None = None,
    ) -> None:
        self._exports = exports
        self._clock = clock
        self._clean = partial(clean_message, redactor=redactor or Redactor())
        self._ui_base_url = ui_base_url
        self._download_origins = download_origins
        self._on_export = on_export
        self._resolver = Resolver(
            pipelines,
            account=account,
            default_scope=default_scope,
            ui_hosts=ui_hosts,
            clean=self._clean,
        )
        self._failures = Failures(
            pipelines,
            log_reader=log_reader,
            excerpts=excerpts or ExcerptOptions(),
            clean=self._clean,
            runs=runs,
            shared=shared,
        )

    # -- resolution, as the resolver does it ----------------------------------

    def execution_of_link(self, url: str) -> tuple[Scope, str] | None:
        """The execution a pasted Harness link names (for unfurls), or None for any other link."""
        return self._resolver.execution_of_link(url)

    @property
    def default_scope(self) -> Scope:
        return self._resolver.default_scope

    def scope_of(self, target: Target) -> Scope:
        """The org/project a target reads, known before Harness is asked anything."""
        return self._resolver.scope_of(target)

    def check(self, target: Target) -> None:
        """Cheap validation before anything is sent to Harness (URL host and shape)."""
        self._resolver.check(target)

    async def resolve(self, target: Target) -> Resolved:
        return await self._resolver.resolve(target)

    async def find_pipeline(
        self, name: str, scope: Scope | None = None
    ) -> tuple[PipelineRef, Scope]:
        """A pipeline by identifier or display name, with suggestions when none matches."""
        return await self._resolver.find_pipeline(name, scope)

    async def execution(self, scope: Scope, plan_execution_id: str) -> Execution:
        """One execution with its graph (no export): for unfurls and run numbers."""
        return await self._resolver.execution(scope, plan_execution_id)

    def summary_failures(self, execution: Execution) -> list[Failure]:
        """Failed stages and steps with their (redacted) messages, without reading logs."""
        return self._failures.summary(execution)

    def execution_url(self, execution: Execution) -> str:
        return execution_ui_url(self._ui_base_url, execution)

    # -- the use cases --------------------------------------------------------

    async def fetch_logs(
        self,
        target: Target,
        *,
        fresh: bool = False,
        may_read: MayRead | None = None,
        from_export: bool = False,
    ) -> LogsResult:
        """Resolve the target, export its logs and report the link or the problem.

        A finished execution's link may come from the link cache, unless `fresh`. A
        chained run in an org/project `may_read` refuses is named, not read. With
        `from_export`, the excerpts are read from the export made for the link (no
        calls of their own, but they wait for it): for alerts, which spend the key's
        budget, not for people, who should not wait.
        """
        resolved = await self.resolve(target)
        execution, log_scope = resolved.execution, resolved.log_scope
        # The link and the excerpts are independent: fetch them side by side.
        link_task = asyncio.ensure_future(
            self._timed_export(log_scope.prefix, finished=execution.finished, fresh=fresh)
        )
        with noting_left_out() as left_out:
            try:
                covering = log_scope.prefix if from_export else None
                failures = await self._failures.of(execution, log_scope, may_read, covering)
            except BaseException:
                link_task.cancel()
                raise
        base = LogsResult(
            execution=execution,
            log_scope=log_scope,
            execution_url=self.execution_url(execution),
            failures=failures,
            left_out=frozenset(left_out),
        )
        return replace(base, export=await link_task)

    async def preview(self, target: Target) -> LogsResult:
        """What failed, from the execution alone (no export, no log read): quick to post."""
        resolved = await self.resolve(target)
        execution = resolved.execution
        return LogsResult(
            execution=execution,
            log_scope=resolved.log_scope,
            execution_url=self.execution_url(execution),
            failures=self._failures.summary(execution),
            export=None,
        )

    def from_event(self, event: PipelineEvent) -> LogsResult:
        """What Harness's notification alone says of a failed run, for an alert posted
        before anything is asked of Harness: the pipeline, the stage or step that
        failed and Harness's message (already redacted at the webhook), no run number,
        graph, excerpt or link yet (`run_sequence` 0, `export` None)."""
        execution = Execution(
            account=event.account,
            org=event.org,
            project=event.project,
            pipeline_identifier=event.pipeline,
            pipeline_name=event.pipeline_name or event.pipeline,
            run_sequence=0,
            plan_execution_id=event.plan_execution_id,
            status="Failed",
            started_at=event.started_at,
            ended_at=event.ended_at,
            failure_message=event.error_message,
        )
        failures = []
        if event.stage or event.step:
            failures = [Failure(event.stage, event.step, event.error_message)]
        return LogsResult(
            execution=execution,
            log_scope=LogScope(ScopeKind.PIPELINE, ""),
            execution_url=self.execution_url(execution),
            failures=failures,
            export=None,
        )

    async def full_excerpt(self, ref: NodeRef) -> FullExcerpt:
        """The longer excerpt of one step, for "Show full excerpt"."""
        target = ExecutionTarget(Scope(ref.org, ref.project), ref.plan_execution_id, ref.node_uuid)
        resolved = await self.resolve(target)
        execution, scope = resolved.execution, resolved.log_scope
        node = scope.step or scope.stage
        assert node is not None  # a target with a node resolves to it
        failure = await self._failures.failure(
            execution, node, read=True, settings=ExcerptSettings.full()
        )
        return FullExcerpt(execution, failure, self.execution_url(execution))

    async def _timed_export(
        self, prefix: str, *, finished: bool, fresh: bool = False
    ) -> LogsLink | ExportProblem:
        started = self._clock.monotonic()
        if finished and not fresh:
            kept = await self._exports.kept(prefix)
            # The store is anyone's who can reach it: a kept link is checked as a new one.
            if kept is not None and self._safe(kept, prefix, "kept"):
                self._report_export("cached", started)
                return kept
        try:
            # One export however many ask (here or on other replicas); kept when final.
            link = await self._exports.export(prefix, final=finished, fresh=True)
        except HarnessError as exc:
            problem = problem_of(exc)
            problem = replace(problem, detail=self._clean(problem.detail) if problem.detail else "")
            self._report_export(problem.reason, started)
            log.warning("export of %s failed: %s %s", prefix, problem.reason, problem.detail)
            return problem
        if not self._safe(link, prefix, "exported"):
            self._report_export(Reason.UNSAFE_LINK, started)
            return ExportProblem(Reason.UNSAFE_LINK, urlsplit(link.url).hostname or "?")
        self._report_export("success", started)
        return link

    def _safe(self, link: LogsLink, prefix: str, how: str) -> bool:
        """Whether a link may be shown: a pre-signed link is a credential, and one the
        bot would not fetch (not Harness, a declared vanity host, GCS or S3) is not."""
        if download_allowed(link.url, self._download_origins):
            return True
        host = urlsplit(link.url).hostname or "?"
        log.warning("%s link of %s refused: it points at %s", how, prefix, host)
        return False

    def _report_export(self, outcome: str, started: float) -> None:
        if self._on_export is not None:
            self._on_export(outcome, self._clock.monotonic() - started)


__all__ = ["LogsService"]
