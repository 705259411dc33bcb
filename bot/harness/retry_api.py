"""Pipeline execute API: retry a failed run from its failed stages, or run it afresh.

Harness retries a run "exactly as it was run": the same input set, from the
stages chosen among those `retryStages` offers. It refuses runs older than 30
days, runs of a pipeline changed since, and people (keys) without Pipeline
Execute permission. A rerun starts a new run with the same inputs.
"""

from __future__ import annotations

from bot.domain import Execution, normalise_status
from bot.domain.executions import FAILED_STATUSES
from bot.domain.retry_plans import RetryPlan, Started
from bot.harness.client import HarnessClient
from bot.harness.endpoints import INPUT_SET, RERUN, RETRY, RETRY_STAGES
from bot.harness.errors import HarnessRequestError
from bot.harness.models import InputSet, PlanExecutionResponse, RetryInfo
from bot.harness.pipeline_api import unwrap


class RetryApi:
    def __init__(self, client: HarnessClient) -> None:
        self._client = client

    def _params(self, execution: Execution) -> dict[str, str | int | list[str]]:
        return {
            "orgIdentifier": execution.org,
            "projectIdentifier": execution.project,
            "pipelineIdentifier": execution.pipeline_identifier,
        }

    async def plan(self, execution: Execution) -> RetryPlan:
        try:
            payload = await self._client.request_json(
                RETRY_STAGES,
                path={"id": execution.plan_execution_id},
                params=self._params(execution),
            )
        except HarnessRequestError as exc:
            # Newer Harness refuses some runs with an error instead of `resumable: false`
            # (RetryExecutionHelper#validateParentExecution: "The pipeline execution
            # cannot be retried because ... more than 30 days old"). Any other 400 is a
            # refusal of the request, not of the run: no fresh run for it.
            if exc.status != 400 or _CANNOT_RETRY not in exc.detail.lower():
                raise
            return RetryPlan(False, exc.detail or None, ())
        info = unwrap(payload, RetryInfo, RETRY_STAGES.name)
        stages = _failed_group(info)
        if not info.is_resumable:
            return RetryPlan(False, (info.error_message or "").strip() or None, stages)
        if not stages:
            return RetryPlan(False, "Harness offers no stage to retry from", ())
        return RetryPlan(True, None, stages)

    async def retry(self, execution: Execution, stages: tuple[tuple[str, str], ...]) -> Started:
        """Retry from `stages` (one parallel group), running every stage after them."""
        params = {
            **self._params(execution),
            "moduleType": module_type(execution),
            "planExecutionId": execution.plan_execution_id,
            "retryStages": [identifier for identifier, _name in stages],
            "runAllStages": "true",
        }
        payload = await self._client.request_json(
            RETRY,
            path={"id": execution.pipeline_identifier},
            params=params,
            yaml=await self._input_set(execution),
        )
        return _started(payload, RETRY.name)

    async def rerun(self, execution: Execution) -> Started:
        """A fresh run with the inputs of `execution`."""
        params = self._params(execution)
        del params["pipelineIdentifier"]
        params["moduleType"] = module_type(execution)
        payload = await self._client.request_json(
            RERUN,
            path={"id": execution.plan_execution_id, "pipeline": execution.pipeline_identifier},
            params=params,
            yaml=await self._input_set(execution),
        )
        return _started(payload, RERUN.name)

    async def _input_set(self, execution: Execution) -> str:
        payload = await self._client.request_json(
            INPUT_SET,
            path={"id": execution.plan_execution_id},
            params={
                "orgIdentifier": execution.org,
                "projectIdentifier": execution.project,
                "resolveExpressions": "false",
            },
        )
        return unwrap(payload, InputSet, INPUT_SET.name).input_set_yaml or ""


_CANNOT_RETRY = "cannot be retried"


def module_type(execution: Execution) -> str:
    """The `moduleType` a start names: the run's module, as Harness's UI sends it ("cd"
    for a deployment, "ci" for a build); optional on the server, required by the
    generated Go SDK (harness-go-sdk nextgen/api_execute.go, RetryPipeline)."""
    known = [module for module in execution.modules if module != "pms"]
    return known[0] if known else "cd"


def _failed_group(info: RetryInfo) -> tuple[tuple[str, str], ...]:
    """The failed stages of the first group holding any (a group runs in parallel)."""
    for group in info.groups:
        failed = tuple(
            (stage.identifier, stage.name or stage.identifier)
            for stage in group.info
            if stage.identifier and normalise_status(stage.status) in FAILED_STATUSES
        )
        if failed:
            return failed
    return ()


def _started(payload: object, endpoint: str) -> Started:
    answer = unwrap(payload, PlanExecutionResponse, endpoint)
    execution = answer.plan_execution
    run = execution.metadata.run_sequence if execution.metadata else None
    return Started(execution.uuid, run)


__all__ = ["RetryApi"]
