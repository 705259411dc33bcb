"""What failed in an execution, and the excerpt of each failed step's log.

Failed stages and steps are listed in the order they happened, following a failed
Pipeline stage into the run it chained to; the first few steps get an excerpt of
their log (compared with the last success when that is on), read once however
many people and replicas ask (bot/service/excerpt_cache.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.domain import (
    ExcerptUnavailable,
    Execution,
    Failure,
    GreenLog,
    LogScope,
    Node,
    NodeRef,
    Reason,
    Scope,
    ScopeKind,
)
from bot.excerpt import Excerpt, ExcerptSettings
from bot.harness.errors import HarnessError
from bot.harness.pipeline_api import PipelineApi
from bot.service.error_reasons import problem_of
from bot.service.excerpt_cache import ExcerptCache
from bot.service.last_success import LastSuccess, RunList
from bot.service.steplogs import StepLogReader
from bot.service.targets import ExcerptOptions
from bot.sharedflight import SharedFlight

log = logging.getLogger(__name__)

MAX_EXCERPTS = 3
# Whether the asker may see an org/project (the access gate's answer, for one channel).
MayRead = Callable[[Scope], Awaitable[bool]]


@dataclass(frozen=True, eq=False)
class _Found:
    execution: Execution  # the run the node is in (a chained run, for failures inside one)
    node: Node
    via: str | None = None  # the parent's Pipeline stage, for a node in a chained run
    hidden_in: str | None = None  # a chained run's "org/project" the asker may not read


class Failures:
    def __init__(
        self,
        pipelines: PipelineApi,
        *,
        log_reader: StepLogReader | None,
        excerpts: ExcerptOptions,
        clean: Callable[[str], str],
        runs: RunList | None = None,
        shared: SharedFlight | None = None,
    ) -> None:
        self._pipelines = pipelines
        self._log_reader = log_reader
        self._excerpts = excerpts
        self._clean_text = clean
        self._shared = shared or SharedFlight()
        self._cache = ExcerptCache(self._shared)
        self._last_success = (
            LastSuccess(
                pipelines,
                log_reader,
                timeout=excerpts.compare_timeout,
                runs=runs,
                shared=self._shared,
            )
            if log_reader is not None and excerpts.compare_last_success
            else None
        )

    async def of(
        self,
        execution: Execution,
        log_scope: LogScope,
        may_read: MayRead | None = None,
        covering: str | None = None,
    ) -> list[Failure]:
        """The failures inside the scope, the first `MAX_EXCERPTS` steps with excerpts.

        A chained run in an org/project `may_read` refuses is named by its parent stage
        and never read (no graph, no log, no excerpt budget spent on it). `covering`
        names an export being made anyway whose zip the excerpts may be read from."""
        failed = await self._failed_with_children(execution, log_scope, may_read)
        readable = [found for found in failed if found.hidden_in is None]
        read = {id(found) for found in readable[:MAX_EXCERPTS]}
        failures = await asyncio.gather(
            *(
                self._hidden(found)
                if found.hidden_in is not None
                else self.failure(
                    found.execution,
                    found.node,
                    read=id(found) in read,
                    via=found.via,
                    covering=covering,
                )
                for found in failed
            )
        )
        if not failures and execution.failed and log_scope.kind is ScopeKind.PIPELINE:
            return [Failure(None, None, self._clean(execution.failure_message))]
        return list(failures)

    def summary(self, execution: Execution) -> list[Failure]:
        """Failed stages and steps with their (redacted) messages, without reading logs."""
        scope = LogScope(ScopeKind.PIPELINE, "")
        failures = [self._describe(execution, node) for node in failed_nodes(execution, scope)]
        if not failures and execution.failed:
            failures.append(Failure(None, None, self._clean(execution.failure_message)))
        return failures

    async def _failed_with_children(
        self, execution: Execution, log_scope: LogScope, may_read: MayRead | None
    ) -> list[_Found]:
        """Failed nodes, following a failed Pipeline stage into the run it chained to
        (when `may_read` lets the asker see that run's org/project)."""
        found: list[_Found] = []
        for node in failed_nodes(execution, log_scope):
            child: Execution | str | None = None
            if node.is_stage and execution.runs_child_pipeline(node):
                child = await self._child(execution, node, may_read)
            if isinstance(child, str):
                found.append(_Found(execution, node, None, hidden_in=child))
                continue
            if child is None:
                found.append(_Found(execution, node))
                continue
            inner = failed_nodes(child, LogScope(ScopeKind.PIPELINE, ""))
            found.extend(_Found(child, inner_node, node.name) for inner_node in inner)
            if not inner:
                found.append(_Found(execution, node))
        return found

    async def _child(
        self, execution: Execution, stage: Node, may_read: MayRead | None
    ) -> Execution | str | None:
        """The run the stage chained to; its "org/project" when the asker may not read
        it; None when Harness cannot say."""
        key = execution.layout_key(stage)
        if key is None:
            return None
        try:
            run = await self._pipelines.child_run(execution, key)
            if run is None:
                return None
            elsewhere = run.scope != execution.scope
            if elsewhere and may_read is not None and not await may_read(run.scope):
                return str(run.scope)
            return await self._pipelines.execution(run.scope, run.plan_execution_id)
        except HarnessError as exc:
            log.warning("could not read the child pipeline of %s: %s", stage.fqn, exc.detail)
            return None

    @staticmethod
    async def _hidden(found: _Found) -> Failure:
        stage = found.node if found.node.is_stage else found.execution.stage_of(found.node)
        return Failure(stage.name if stage else None, None, None, hidden_in=found.hidden_in)

    async def failure(
        self,
        execution: Execution,
        node: Node,
        *,
        read: bool,
        settings: ExcerptSettings | None = None,
        via: str | None = None,
        covering: str | None = None,
    ) -> Failure:
        failure = self._describe(execution, node, via)
        if not read or node.is_stage or self._log_reader is None:
            return failure
        wanted = settings or self._excerpts.settings
        excerpt = await self._cache.excerpt(
            execution,
            node,
            wanted,
            read=lambda: self._read_excerpt(execution, node, wanted, covering),
            again=lambda: self._read_excerpt(execution, node, wanted),
        )
        return replace(failure, excerpt=excerpt)

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
            via=via,
        )

    async def _read_excerpt(
        self,
        execution: Execution,
        node: Node,
        settings: ExcerptSettings,
        covering: str | None = None,
    ) -> Excerpt | ExcerptUnavailable:
        assert self._log_reader is not None
        green = None
        last_success = self._last_success
        if last_success is not None and node.is_step:

            async def green() -> GreenLog | None:
                return await last_success.of(execution, node)

        try:
            async with asyncio.timeout(self._excerpts.timeout):
                excerpt = await self._log_reader.excerpt(
                    execution, node, settings, green=green, covering=covering
                )
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
        return self._clean_text(text) if text else text


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


__all__ = ["MAX_EXCERPTS", "Failures", "failed_nodes"]
