"""Pipeline API: pipelines of a project, runs of a pipeline, one execution's graph."""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.domain import ChildRun, Execution, Node, Origin, Person, PipelineRef, Run, Scope
from bot.harness.client import HarnessClient
from bot.harness.endpoints import EXECUTION_V2, EXECUTIONS_SUMMARY, PIPELINES_LIST
from bot.harness.errors import HarnessBadResponseError, HarnessRequestError
from bot.harness.models import (
    Envelope,
    ExecutionDetail,
    ExecutionSummary,
    GraphNode,
    LayoutNode,
    Page,
    PipelineListItem,
    ms_to_datetime,
)
from bot.sharedflight import SharedFlight

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 100
FINISHED_KEPT = 300.0  # seconds a finished run's answer is kept


def unwrap(payload: Any, model: type[M], endpoint: str) -> M:
    try:
        envelope = Envelope[model].model_validate(payload)  # type: ignore[valid-type]
    except ValidationError:
        raise HarnessBadResponseError(f"{endpoint} answered in an unexpected shape") from None
    if (envelope.status or "").upper() == "ERROR" or envelope.data is None:
        raise HarnessRequestError(envelope.message or f"{endpoint} answered without data")
    return envelope.data


class PipelineApi:
    def __init__(self, client: HarnessClient, shared: SharedFlight | None = None) -> None:
        self._client = client
        # A run is read once however many ask at the same time, across replicas too
        # (every channel's alert and each of its fill-ins); a finished run's answer no
        # longer changes, so it is kept a few minutes for whoever asks next.
        self._shared = shared or SharedFlight()

    def _scope_params(self, scope: Scope) -> dict[str, str | int]:
        return {"orgIdentifier": scope.org, "projectIdentifier": scope.project}

    async def pipelines(
        self, scope: Scope, search: str | None = None, max_pages: int = 10
    ) -> list[PipelineRef]:
        """Pipelines of a project (all pages up to `max_pages`), optionally filtered by Harness."""
        found: list[PipelineRef] = []
        for page in range(max_pages):
            params = {**self._scope_params(scope), "page": page, "size": PAGE_SIZE}
            if search:
                params["searchTerm"] = search
            payload = await self._client.request_json(
                PIPELINES_LIST, params=params, json={"filterType": "PipelineSetup"}
            )
            data = unwrap(payload, Page[PipelineListItem], "pipelines.list")
            found.extend(PipelineRef(p.identifier, p.name or p.identifier) for p in data.content)
            if len(data.content) < PAGE_SIZE or (data.total_pages or 0) <= page + 1:
                break
        return found

    async def probe(self, scope: Scope) -> None:
        """One cheap call without retries, for readiness checks."""
        payload = await self._client.request_json(
            PIPELINES_LIST,
            params={**self._scope_params(scope), "page": 0, "size": 1},
            json={"filterType": "PipelineSetup"},
            retry=False,
        )
        unwrap(payload, Page[PipelineListItem], "pipelines.list")

    async def runs(self, scope: Scope, pipeline: str, page: int = 0, size: int = 20) -> list[Run]:
        """Runs of a pipeline, newest first."""
        payload = await self._client.request_json(
            EXECUTIONS_SUMMARY,
            params={
                **self._scope_params(scope),
                "pipelineIdentifier": pipeline,
                "page": page,
                "size": size,
            },
            json={"filterType": "PipelineExecution"},
        )
        data = unwrap(payload, Page[ExecutionSummary], "executions.summary")
        return [Run(s.plan_execution_id, s.run_sequence, s.status) for s in data.content]

    async def find_run(
        self, scope: Scope, pipeline: str, run_sequence: int, max_pages: int = 20
    ) -> tuple[Run | None, list[Run]]:
        """The run numbered `run_sequence`, or None and the runs nearest to it.

        The summary API has no filter on run number, but lists newest first, so
        paging stops as soon as it has passed the number asked for.
        """
        seen: list[Run] = []
        for page in range(max_pages):
            runs = await self.runs(scope, pipeline, page=page, size=PAGE_SIZE)
            for run in runs:
                if run.run_sequence == run_sequence:
                    return run, []
            seen.extend(runs)
            if len(runs) < PAGE_SIZE or (runs and runs[-1].run_sequence < run_sequence):
                break
        nearest = sorted(seen, key=lambda r: abs(r.run_sequence - run_sequence))[:3]
        return None, nearest

    async def execution(self, scope: Scope, plan_execution_id: str) -> Execution:
        key = f"execution:{self._client.account_id}:{scope}:{plan_execution_id}"

        async def read() -> tuple[str, float]:
            payload = await self._client.request_json(
                EXECUTION_V2,
                path={"id": plan_execution_id},
                params={**self._scope_params(scope), "renderFullBottomGraph": "true"},
            )
            execution = self._execution(payload, scope)  # a bad answer is not passed on
            return json.dumps(payload), FINISHED_KEPT if execution.finished else 0.0

        try:
            payload = json.loads(await self._shared.run(key, read))
        except ValueError:
            raise HarnessBadResponseError("executions.v2 answered in an unexpected shape") from None
        return self._execution(payload, scope)

    def _execution(self, payload: Any, scope: Scope) -> Execution:
        detail = unwrap(payload, ExecutionDetail, "executions.v2")
        return to_execution(detail, self._client.account_id, scope)

    async def child_execution(self, parent: Execution, stage_layout_key: str) -> Execution | None:
        """The run of the pipeline that a Pipeline stage chained to, with its whole graph.

        Where the run is comes from the stage's step details when Harness publishes
        them (`childPipelineExecutionDetails`), else from asking for the stage: with
        `stageNodeId` alone, `childGraph` holds the child's summary but no graph
        (PipelineStageHelper#getChildGraph adds one only for a `childStageNodeId`, a
        stage of the child). Either way the child run is then read on its own, in its
        own org and project, as any run is."""
        child = await self.child_run(parent, stage_layout_key)
        if child is None:
            return None
        return await self.execution(child.scope, child.plan_execution_id)

    async def child_run(self, parent: Execution, stage_layout_key: str) -> ChildRun | None:
        """Where the run a Pipeline stage started is (its org, project and id), without
        reading it: from the stage's step details, else from `childGraph`."""
        return parent.child_run(stage_layout_key) or await self._child_of(parent, stage_layout_key)

    async def _child_of(self, parent: Execution, stage_layout_key: str) -> ChildRun | None:
        payload = await self._client.request_json(
            EXECUTION_V2,
            path={"id": parent.plan_execution_id},
            params={**self._scope_params(parent.scope), "stageNodeId": stage_layout_key},
        )
        detail = unwrap(payload, ExecutionDetail, "executions.v2")
        summary = detail.child_graph.pipeline_execution_summary if detail.child_graph else None
        if summary is None or not summary.plan_execution_id:
            return None  # the child has not started yet
        return ChildRun(
            summary.org_identifier or parent.org,
            summary.project_identifier or parent.project,
            summary.plan_execution_id,
        )


def to_execution(detail: ExecutionDetail, account: str, scope: Scope) -> Execution:
    summary = detail.pipeline_execution_summary
    graph = detail.execution_graph
    nodes = tuple(_to_node(key, n) for key, n in (graph.node_map.items() if graph else ()))
    return Execution(
        account=account,
        org=summary.org_identifier or scope.org,
        project=summary.project_identifier or scope.project,
        pipeline_identifier=summary.pipeline_identifier,
        pipeline_name=summary.name or summary.pipeline_identifier,
        run_sequence=summary.run_sequence,
        plan_execution_id=summary.plan_execution_id,
        status=summary.status,
        started_at=ms_to_datetime(summary.start_ts),
        ended_at=ms_to_datetime(summary.end_ts),
        failure_message=_message(summary.failure_info),
        simplified_log_keys=summary.should_use_simplified_key,
        nodes=nodes,
        stage_layout=tuple(
            (key, node.node_identifier)
            for key, node in summary.layout_node_map.items()
            if node.node_identifier
        ),
        pipeline_stages=frozenset(
            key for key, node in summary.layout_node_map.items() if node.node_type == "Pipeline"
        ),
        child_runs=tuple(
            (key, child)
            for key, node in summary.layout_node_map.items()
            if node.node_type == "Pipeline" and (child := _child_run(node, scope)) is not None
        ),
        origin=origin_of(summary),
        modules=tuple(m.lower() for m in summary.modules if isinstance(m, str)),
    )


def origin_of(summary: ExecutionSummary) -> Origin:
    """Who triggered the run and, for a CI build, the commit's author and branch."""
    trigger = summary.execution_trigger_info
    by = trigger.triggered_by if trigger else None
    triggered_by = Person(by.identifier, by.email) if by and (by.identifier or by.email) else None
    ci = summary.module_info.ci if summary.module_info else None
    hook = ci.ci_execution_info_dto if ci else None
    commits = []
    if hook is not None:
        commits = (hook.branch.commits if hook.branch else []) or (
            hook.pull_request.commits if hook.pull_request else []
        )
    author = None
    if hook is not None and hook.author and (hook.author.name or hook.author.email):
        author = Person(hook.author.name or hook.author.id, hook.author.email)
    elif commits and (commits[0].owner_name or commits[0].owner_email):
        author = Person(commits[0].owner_name, commits[0].owner_email)
    branch = (ci.branch if ci else None) or (
        (hook.branch.name if hook.branch else None)
        or (hook.pull_request.source_branch if hook.pull_request else None)
        if hook
        else None
    )
    return Origin(
        triggered_by=triggered_by,
        trigger_type=trigger.trigger_type if trigger else None,
        author=author,
        branch=branch,
        commit=commits[0].id if commits else None,
    )


def _child_run(stage: LayoutNode, scope: Scope) -> ChildRun | None:
    details = stage.step_details.child_pipeline_execution_details if stage.step_details else None
    if details is None or not details.plan_execution_id:
        return None
    return ChildRun(
        details.org_id or scope.org, details.project_id or scope.project, details.plan_execution_id
    )


def _to_node(key: str, node: GraphNode) -> Node:
    return Node(
        uuid=node.uuid or key,
        identifier=node.identifier,
        name=node.name or node.identifier,
        fqn=node.base_fqn or "",
        status=node.status or "Unknown",
        step_type=node.step_type or "",
        log_key=node.log_base_key or None,
        failure_message=_message(node.failure_info),
        started_at=ms_to_datetime(node.start_ts),
        ended_at=ms_to_datetime(node.end_ts),
    )


def _message(info: Any) -> str | None:
    message = getattr(info, "message", None)
    return message.strip() or None if isinstance(message, str) else None
