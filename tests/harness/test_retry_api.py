"""Who started a run, and retrying or rerunning it, against the Harness emulator."""

from __future__ import annotations

import pytest

from bot.clock import MovableClock
from bot.domain import Scope
from bot.harness.client import HarnessClient
from bot.harness.errors import HarnessAuthError, HarnessRequestError, HarnessUnavailableError
from bot.harness.pipeline_api import PipelineApi
from bot.harness.retry_api import RetryApi
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.harness.world import checkout_stages
from tests.incident import run_of

SHOP = Scope("default", "shop")


async def test_a_ci_build_names_its_trigger_author_branch_and_commit(
    harness: HarnessEmulator, harness_client: HarnessClient
) -> None:
    spec = harness.add_run(
        RunSpec(
            "deploy_checkout",
            "Deploy Checkout",
            43,
            "Failed",
            checkout_stages(True),
            trigger_type="WEBHOOK",
            triggered_by="ci-bot",
            triggered_by_email="ci@acme.test",
            branch="release/2026.11",
            author=("Dana Reyes", "dana@acme.test"),
            commit="4f2a9c1e",
        )
    )
    execution = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    origin = execution.origin
    assert origin is not None
    assert (origin.trigger_type, origin.branch, origin.commit) == (
        "WEBHOOK",
        "release/2026.11",
        "4f2a9c1e",
    )
    assert origin.triggered_by is not None and origin.triggered_by.email == "ci@acme.test"
    assert origin.author is not None and origin.author.email == "dana@acme.test"


async def test_a_cd_run_has_a_trigger_and_no_branch(
    harness: HarnessEmulator, harness_client: HarnessClient
) -> None:
    spec = run_of(harness, "deploy_checkout", 42)
    execution = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    assert execution.origin is not None
    assert execution.origin.triggered_by is not None
    assert execution.origin.triggered_by.name == "alice"
    assert (execution.origin.branch, execution.origin.author) == (None, None)


async def test_a_failed_run_retries_from_its_failed_stage_with_its_input_set(
    harness: HarnessEmulator, harness_client: HarnessClient
) -> None:
    spec = run_of(harness, "deploy_checkout", 42)
    harness.input_sets[spec.plan_execution_id] = "pipeline:\n  identifier: deploy_checkout\n"
    execution = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    retries = RetryApi(harness_client)
    plan = await retries.plan(execution)
    assert plan.resumable and plan.stages == (("deploy_prod", "Deploy Prod"),)
    started = await retries.retry(execution, plan.stages)
    assert started.run_sequence == 43
    (call,) = harness.calls("pipeline.retry")
    assert call.query["planExecutionId"] == spec.plan_execution_id
    assert {k.lower(): v for k, v in call.headers.items()}["content-type"] == "application/yaml"
    assert call.body == "pipeline:\n  identifier: deploy_checkout\n"
    ((how, new),) = harness.started
    assert (how, new.plan_execution_id, new.status) == (
        "retry",
        started.plan_execution_id,
        "Running",
    )


async def test_harness_refusals_are_plain(
    harness: HarnessEmulator, harness_client: HarnessClient
) -> None:
    spec = run_of(harness, "deploy_checkout", 42)
    execution = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    harness.retry_refusals[spec.plan_execution_id] = "Execution is older than 30 days"
    plan = await RetryApi(harness_client).plan(execution)
    assert (plan.resumable, plan.reason) == (False, "Execution is older than 30 days")
    started = await RetryApi(harness_client).rerun(execution)
    assert harness.started[-1][0] == "rerun" and started.run_sequence == 43
    harness.no_execute = True
    with pytest.raises(HarnessAuthError, match="core_pipeline_execute"):
        await RetryApi(harness_client).plan(execution)


async def test_a_lost_answer_to_a_retry_is_not_sent_twice(
    harness: HarnessEmulator, harness_client: HarnessClient
) -> None:
    spec = run_of(harness, "deploy_checkout", 42)
    execution = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    harness.fail_next("pipeline.retry", 502)
    with pytest.raises(HarnessUnavailableError):
        await RetryApi(harness_client).retry(execution, (("deploy_prod", "Deploy Prod"),))
    assert len(harness.calls("pipeline.retry")) == 1


async def test_only_harness_saying_the_run_cannot_be_retried_leads_to_a_fresh_run(
    harness: HarnessEmulator, harness_client: HarnessClient, clock: MovableClock
) -> None:
    spec = run_of(harness, "deploy_checkout", 42)
    execution = await PipelineApi(harness_client).execution(SHOP, spec.plan_execution_id)
    body = {"status": "ERROR", "code": "INVALID_REQUEST", "message": "orgIdentifier: bad"}
    harness.fail_next("pipeline.retry_stages", 400, body=body)
    with pytest.raises(HarnessRequestError):  # refused, and nothing is rerun
        await RetryApi(harness_client).plan(execution)
    harness.old_runs_refused_with_error = True
    clock.advance(31 * 86400)
    plan = await RetryApi(harness_client).plan(execution)
    assert not plan.resumable and "30 days" in (plan.reason or "")


async def test_a_start_names_the_runs_own_module(
    harness: HarnessEmulator, harness_client: HarnessClient
) -> None:
    """moduleType is the run's module ("ci" for a build), as Harness's UI sends it."""
    build = harness.add_run(
        RunSpec(
            "deploy_checkout",
            "Deploy Checkout",
            43,
            "Failed",
            checkout_stages(True),
            branch="main",
            author=("Dana Reyes", "dana@acme.test"),
        )
    )
    execution = await PipelineApi(harness_client).execution(SHOP, build.plan_execution_id)
    assert execution.modules == ("ci",)
    await RetryApi(harness_client).rerun(execution)
    (start,) = harness.calls("pipeline.rerun")
    assert start.query["moduleType"] == "ci"
