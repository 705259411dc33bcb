"""The Harness API the bot calls, stated literally as Harness publishes it.

Each test drives the bot's own call (through its client and endpoint table) and reads
the request that reached the Harness emulator: the method, the path behind the
gateway, the query parameters Harness requires and the body type, written here by
hand from the public source named in the test. A wrong path, a lost parameter or a
body of the wrong type in `bot/harness/endpoints.py` (or in the calls built on it)
fails here, whatever the emulator answers.

Sources:
- harness-core pipeline-service (public copy vigneswara-propelo/harness-core):
  `PipelineResource`, `ExecutionDetailsResource`, `PlanExecutionResource`; query
  names from `NGCommonEntityConstants` (`accountIdentifier`, `orgIdentifier`,
  `projectIdentifier`, `pipelineIdentifier`, `planExecutionId`, `retryStages`,
  `moduleType`); `@NotNull` marks what is required.
- harness-core product/log-service (Go): `handler/handler.go` routes,
  `handler/helper.go` (`accountID`, `prefix`, `key`), `RequiredQueryParams`.
- harness-go-sdk `harness/nextgen/api_execute.go`, `api_pipeline_execution_details.go`.
- Every call carries `x-api-key` (log-service `handler/middleware.go`: authAPIKeyHeader).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.domain import Execution, Scope
from bot.excerpt import ExcerptSettings
from bot.excerpt.redaction import Redactor
from bot.harness.bodies import LogBodies
from bot.harness.client import HarnessClient
from bot.harness.endpoints import ENDPOINTS
from bot.harness.log_export import LogExporter
from bot.harness.pipeline_api import PipelineApi
from bot.harness.retry_api import RetryApi
from bot.harness.streaming import StreamOpener
from bot.service.exports import Exports
from bot.service.steplogs import StepLogReader
from emulators.harness import HarnessEmulator
from emulators.harness.server import Recorded

SHOP = Scope("default", "shop")
GATEWAY = "/gateway"
COVERED: set[str] = set()  # the endpoint-table names with a contract below

F = TypeVar("F", bound=Callable[..., Any])


def contract(name: str) -> Callable[[F], F]:
    """Marks the test that states the contract of the bot's endpoint `name`."""

    def mark(test: F) -> F:
        COVERED.add(name)
        return test

    return mark


def sent(harness: HarnessEmulator, method: str, path: str) -> Recorded:
    """The one request made to `method path`."""
    found = [r for r in harness.requests if (r.method, r.path) == (method, GATEWAY + path)]
    others = [f"{r.method} {r.path}" for r in harness.requests]
    assert len(found) == 1, f"expected one {method} {path}, saw {others}"
    return found[0]


def check(request: Recorded, harness: HarnessEmulator, body: str | None, **required: str) -> None:
    """The key in `x-api-key`, each required parameter with its value, the body type."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers.get("x-api-key") == harness.api_key
    for name, value in required.items():
        assert request.query.get(name) == value, f"{name}={request.query.get(name)!r}"
    if body is not None:
        expected = {"json": "application/json", "yaml": "application/yaml"}[body]
        assert headers.get("content-type", "").split(";")[0] == expected


def shop(harness: HarnessEmulator) -> dict[str, str]:
    """The scope every pipeline-service call names (account, org, project: @NotNull)."""
    return {
        "accountIdentifier": harness.account,
        "orgIdentifier": "default",
        "projectIdentifier": "shop",
    }


def run(harness: HarnessEmulator, pipeline: str, number: int) -> Any:
    return next(
        r
        for p in harness.pipelines.values()
        if pipeline in p
        for r in p[pipeline].runs
        if r.run_sequence == number
    )


async def execution(
    harness_client: HarnessClient, harness: HarnessEmulator, pipeline: str
) -> Execution:
    spec = run(harness, pipeline, {"deploy_checkout": 42, "release_train": 3}.get(pipeline, 5))
    found = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    harness.requests.clear()
    return found


@contract("pipelines.list")
async def test_pipelines_list(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # PipelineResource#getListOfPipelines: POST pipelines/list; account, org, project
    # @NotNull; a FilterPropertiesDTO body whose filterType is "PipelineSetup".
    await PipelineApi(harness_client).pipelines(SHOP, "deploy")
    request = sent(harness, "POST", "/pipeline/api/pipelines/list")
    check(
        request,
        harness,
        "json",
        **shop(harness),
        searchTerm="deploy",
    )
    assert request.body == {"filterType": "PipelineSetup"}


@contract("executions.summary")
async def test_executions_summary(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # ExecutionDetailsResource#getListOfExecutions: POST pipelines/execution/summary;
    # account, org, project @NotNull, pipelineIdentifier to name one pipeline, size at
    # most 1000; body filterType "PipelineExecution".
    await PipelineApi(harness_client).runs(SHOP, "deploy_checkout", size=20)
    request = sent(harness, "POST", "/pipeline/api/pipelines/execution/summary")
    check(
        request,
        harness,
        "json",
        **shop(harness),
        pipelineIdentifier="deploy_checkout",
    )
    assert 0 < int(request.query["size"]) <= 1000
    assert request.body == {"filterType": "PipelineExecution"}


@contract("executions.v2")
async def test_execution_v2(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # ExecutionDetailsResource#getExecutionDetailV2: GET pipelines/execution/v2/{id};
    # account, org, project @NotNull; the step graph of every stage only with
    # renderFullBottomGraph=true and no stageNodeId (PMSExecutionServiceImpl#
    # getOrchestrationGraph).
    spec = run(harness, "deploy_checkout", 42)
    await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    request = sent(harness, "GET", f"/pipeline/api/pipelines/execution/v2/{spec.plan_execution_id}")
    check(
        request,
        harness,
        None,
        **shop(harness),
        renderFullBottomGraph="true",
    )
    assert "stageNodeId" not in request.query

    # A Pipeline stage asked for by its layout key (`stageNodeId`, a key of
    # layoutNodeMap: PipelineStageHelper#validateChildGraphToGenerate) names its run.
    harness.child_details = False  # older Harness: only childGraph says where it is
    parent = await execution(harness_client, harness, "release_train")
    (stage,) = [s for s in parent.stages() if parent.runs_child_pipeline(s)]
    layout_key = parent.layout_key(stage)
    child = await PipelineApi(harness_client).child_execution(parent, layout_key or "")
    assert child is not None
    asked = sent(harness, "GET", f"/pipeline/api/pipelines/execution/v2/{parent.plan_execution_id}")
    check(asked, harness, None, orgIdentifier="default", projectIdentifier="shop")
    assert asked.query["stageNodeId"] == layout_key


@contract("pipeline.retry_stages")
async def test_retry_stages(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # PlanExecutionResource#getRetryStages: GET pipeline/execute/{planExecutionId}/
    # retryStages; account, org, project @NotNull; pipelineIdentifier @NotEmpty (the
    # pipeline is loaded by it in RetryExecutionHelper#validateRetry).
    failed = await execution(harness_client, harness, "deploy_checkout")
    await RetryApi(harness_client).plan(failed)
    request = sent(
        harness, "GET", f"/pipeline/api/pipeline/execute/{failed.plan_execution_id}/retryStages"
    )
    check(
        request,
        harness,
        None,
        **shop(harness),
        pipelineIdentifier="deploy_checkout",
    )


@contract("executions.inputset")
@contract("pipeline.retry")
async def test_retry(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # ExecutionDetailsResource#getInputsetYamlV2: GET pipelines/execution/{id}/inputsetV2
    # (account, org, project @NotNull), then PlanExecutionResource#retryPipeline...:
    # POST pipeline/execute/retry/{pipelineIdentifier}; planExecutionId and retryStages
    # @NotNull (repeated once per stage), moduleType (the SDK always sends it), the
    # input set as an application/yaml body (Harness UI RetryPipeline.tsx).
    failed = await execution(harness_client, harness, "deploy_checkout")
    harness.input_sets[failed.plan_execution_id] = "pipeline:\n  identifier: deploy_checkout\n"
    await RetryApi(harness_client).retry(failed, (("deploy_prod", "Deploy Prod"),))
    inputs = sent(
        harness, "GET", f"/pipeline/api/pipelines/execution/{failed.plan_execution_id}/inputsetV2"
    )
    check(
        inputs,
        harness,
        None,
        **shop(harness),
    )
    request = sent(harness, "POST", "/pipeline/api/pipeline/execute/retry/deploy_checkout")
    check(
        request,
        harness,
        "yaml",
        **shop(harness),
        planExecutionId=failed.plan_execution_id,
        moduleType="cd",
    )
    assert request.values("retryStages") == ["deploy_prod"]
    assert request.body == "pipeline:\n  identifier: deploy_checkout\n"


@contract("pipeline.rerun")
async def test_rerun(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # PlanExecutionResource#rerunPipelineWithInputSetPipelineYaml: POST pipeline/execute/
    # rerun/{originalExecutionId}/{pipelineIdentifier}; account, org, project @NotNull,
    # moduleType; the input set as an application/yaml body (harness-go-sdk
    # RePostPipelineExecuteWithInputSetYaml: "For YAML InputSets, we must use
    # application/yaml").
    failed = await execution(harness_client, harness, "deploy_checkout")
    await RetryApi(harness_client).rerun(failed)
    path = f"/pipeline/api/pipeline/execute/rerun/{failed.plan_execution_id}/deploy_checkout"
    check(
        sent(harness, "POST", path),
        harness,
        "yaml",
        **shop(harness),
        moduleType="cd",
    )


@contract("logs.export")
async def test_log_export(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # log-service handler.go: POST /blob/download?accountID=&prefix= (both required by
    # RequiredQueryParams), polled with the same call until `status` is success.
    prefix = (
        f"{harness.account}/pipeline/deploy_checkout/42/-"
        + run(harness, "deploy_checkout", 42).plan_execution_id
    )
    await LogExporter(harness_client, timeout=10, first_poll=0.005).export(prefix)
    polls = [r for r in harness.requests if r.path == GATEWAY + "/log-service/blob/download"]
    assert len(polls) == 2 and {r.method for r in polls} == {"POST"}
    for request in polls:
        check(request, harness, "json", accountID=harness.account, prefix=prefix)
    assert "accountIdentifier" not in polls[0].query  # the log service spells it accountID


@contract("logs.blob")
async def test_log_blob(harness: HarnessEmulator, harness_client: HarnessClient) -> None:
    # log-service handler.go: GET /blob?accountID=&key= streams one key's NDJSON
    # (store.go HandleDownload).
    failed = await execution(harness_client, harness, "integration")
    step = next(n for n in failed.steps() if n.identifier == "e2e")
    exporter = Exports(LogExporter(harness_client, timeout=10, first_poll=0.005), None, None)
    bodies = LogBodies(harness_client, StreamOpener(), harness_origins=(harness.base_url,))
    reader = StepLogReader(bodies, exporter, Redactor())
    assert await reader.excerpt(failed, step, ExcerptSettings()) is not None
    request = sent(harness, "GET", "/log-service/blob")
    check(request, harness, None, accountID=harness.account, key=step.log_key or "")


def test_every_endpoint_the_bot_calls_has_a_contract() -> None:
    assert {endpoint.name for endpoint in ENDPOINTS} == COVERED
