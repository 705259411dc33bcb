"""The Harness API this stand-in serves, written as Harness publishes it.

Each route: the name tests count calls under, the method and path behind Harness's
gateway, the query parameters the service refuses to go without, the body it reads,
and where this was read. Nothing here comes from the bot: a bot that calls a path
or leaves out a parameter Harness requires gets the 404 or 400 Harness would give.

Sources (public):
- harness-core, pipeline-service: `PipelineResource` / `PipelineResourceImpl`
  (`/pipelines/list`, `/pipelines/execution/summary`, `/pipelines/execution/v2/{id}`,
  `/pipelines/execution/{id}/inputsetV2`), `PipelineExecuteResource` /
  `PlanExecutionResourceImpl` (`/pipeline/execute/...`); the gateway serves the
  service under `/gateway/pipeline/api`. Identifiers marked `@NotNull` /
  `@AccountIdentifier` / `@OrgIdentifier` / `@ProjectIdentifier` are required.
- harness-core, log-service (Go): `handler/handler.go` routes `/blob/download` (POST)
  and `/blob` (GET) under the gateway's `/log-service`; both read `accountID`, the
  export `prefix`, the blob `key`.
- harness-go-sdk `nextgen/api_execute.go` and `api_pipeline_execution_details.go`:
  the same paths and parameters, as generated from Harness's OpenAPI spec.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROUTES", "Route"]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    required: tuple[str, ...]
    body: str | None = None  # "json" or "yaml": the content type the service reads
    log_service: bool = False  # the log service answers errors in its own shape


_SCOPE = ("accountIdentifier", "orgIdentifier", "projectIdentifier")

ROUTES: tuple[Route, ...] = (
    # PipelineResource#getListOfPipelines: POST, a PipelineFilterPropertiesDto body.
    Route("pipelines.list", "POST", "/gateway/pipeline/api/pipelines/list", _SCOPE, body="json"),
    # PipelineResource#getListOfExecutions: POST, a filter body; pipelineIdentifier is
    # optional (all the project's runs) but the bot always names one.
    Route(
        "executions.summary",
        "POST",
        "/gateway/pipeline/api/pipelines/execution/summary",
        _SCOPE,
        body="json",
    ),
    # ExecutionDetailsResource#getExecutionDetailV2 (stageNodeId, childStageNodeId and
    # renderFullBottomGraph are optional).
    Route(
        "executions.v2",
        "GET",
        "/gateway/pipeline/api/pipelines/execution/v2/{planExecutionId}",
        _SCOPE,
    ),
    # PlanExecutionResource#getRetryStages.
    Route(
        "pipeline.retry_stages",
        "GET",
        "/gateway/pipeline/api/pipeline/execute/{planExecutionId}/retryStages",
        (*_SCOPE, "pipelineIdentifier"),
    ),
    # ExecutionDetailsResource#getInputsetYamlV2.
    Route(
        "executions.inputset",
        "GET",
        "/gateway/pipeline/api/pipelines/execution/{planExecutionId}/inputsetV2",
        _SCOPE,
    ),
    # PlanExecutionResource#retryPipelineWithInputSetPipelineYaml: the input set as a
    # YAML body; moduleType is optional on the server (the Go SDK requires it).
    Route(
        "pipeline.retry",
        "POST",
        "/gateway/pipeline/api/pipeline/execute/retry/{pipelineIdentifier}",
        (*_SCOPE, "planExecutionId", "retryStages"),
        body="yaml",
    ),
    # PlanExecutionResource#rerunPipelineWithInputSetPipelineYaml.
    Route(
        "pipeline.rerun",
        "POST",
        "/gateway/pipeline/api/pipeline/execute/rerun/{originalExecutionId}/{pipelineIdentifier}",
        _SCOPE,
        body="yaml",
    ),
    # log-service handler/handler.go: the export of everything under a prefix.
    Route(
        "logs.export",
        "POST",
        "/gateway/log-service/blob/download",
        ("accountID", "prefix"),
        body="json",
        log_service=True,
    ),
    # log-service: one key's NDJSON.
    Route(
        "logs.blob",
        "GET",
        "/gateway/log-service/blob",
        ("accountID", "key"),
        log_service=True,
    ),
)
