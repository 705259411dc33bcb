"""Log-service prefixes: a node's own key wins; otherwise simplified or legacy form."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bot.domain import Execution, Scope
from bot.harness.models import Envelope, ExecutionDetail
from bot.harness.pipeline_api import to_execution
from bot.harness.prefixes import node_prefix, pipeline_prefix
from emulators.harness.runs import RunSpec, StageSpec, StepSpec, execution_json

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures"
ACC = "a1B2c3D4e5F6g7H8i9J0kL"


def parse(payload: dict) -> Execution:  # type: ignore[type-arg]
    detail = Envelope[ExecutionDetail].model_validate(payload).data
    assert detail is not None
    return to_execution(detail, ACC, Scope("web", "storefront"))


def started(run: RunSpec) -> RunSpec:
    """The run as the emulator would serve it (its start is what it sets when added)."""
    return dataclasses.replace(run, started_at=1_000_000.0)


def sample() -> Execution:
    return parse(json.loads((SAMPLES / "execution-v2-failed.json").read_text()))


def test_sample_nodes_use_their_own_log_base_key() -> None:
    execution = sample()
    step = next(n for n in execution.steps() if n.identifier == "install")
    assert (
        node_prefix(execution, step)
        == f"{ACC}/pipeline/release_web/118/-u7GfR2kLQp6vN0xWb3yZtA/build/install"
    )
    assert pipeline_prefix(execution) == f"{ACC}/pipeline/release_web/118/-u7GfR2kLQp6vN0xWb3yZtA"


def test_simplified_keys_are_built_when_nodes_have_none() -> None:
    execution = sample()
    bare = dataclasses.replace(
        execution, nodes=tuple(dataclasses.replace(n, log_key=None) for n in execution.nodes)
    )
    stage = bare.stages()[0]
    step = bare.steps(stage)[0]
    base = f"{ACC}/pipeline/release_web/118/-u7GfR2kLQp6vN0xWb3yZtA"
    assert pipeline_prefix(bare) == base
    assert node_prefix(bare, stage) == f"{base}/build"
    assert node_prefix(bare, step) == f"{base}/build/install"


def test_legacy_keys_spell_out_every_level() -> None:
    run = RunSpec(
        "release_web",
        "Release Web",
        7,
        "Failed",
        [StageSpec("build", "Build", "Failed", [StepSpec("install", "Install", "Failed", "boom")])],
        org="web",
        project="storefront",
        simplified_keys=False,
        node_log_keys=False,
    )
    execution = parse(execution_json(ACC, started(run)))
    base = f"accountId:{ACC}/orgId:web/projectId:storefront/pipelineId:release_web/runSequence:7"
    step = execution.steps()[0]
    assert pipeline_prefix(execution) == f"{base}/level0:pipeline"
    assert (
        node_prefix(execution, execution.stages()[0])
        == f"{base}/level0:pipeline/level1:stages/level2:build"
    )
    assert node_prefix(execution, step) == (
        f"{base}/level0:pipeline/level1:stages/level2:build/level3:spec/level4:execution/"
        "level5:steps/level6:install"
    )


def test_steps_inside_step_groups_keep_the_group_in_a_simplified_key() -> None:
    run = RunSpec(
        "it",
        "IT",
        5,
        "Failed",
        [
            StageSpec(
                "api",
                "API",
                "Failed",
                [StepSpec("contract", "Contract", "Failed", "x", group="suite")],
            )
        ],
        node_log_keys=False,
    )
    execution = parse(execution_json(ACC, started(run)))
    (step,) = execution.steps()
    assert node_prefix(execution, step).endswith("/api/suite/contract")
    assert execution.stage_of(step) == execution.stages()[0]


def test_rollback_steps_are_keyed_beside_the_stages_steps() -> None:
    run = RunSpec(
        "deploy",
        "Deploy",
        8,
        "Failed",
        [
            StageSpec(
                "prod",
                "Prod",
                "Failed",
                [
                    StepSpec("rollout", "Rollout", "Failed", "timed out"),
                    StepSpec("undo", "Undo", "Failed", "helm rollback failed", rollback=True),
                ],
            )
        ],
        node_log_keys=False,
    )
    execution = parse(execution_json(ACC, started(run)))
    undo = next(n for n in execution.steps() if n.identifier == "undo")
    assert undo.fqn == "pipeline.stages.prod.spec.execution.rollbackSteps.undo"
    assert execution.stage_of(undo) == execution.stages()[0]
    base = f"{ACC}/pipeline/deploy/8/-{run.plan_execution_id}"
    assert node_prefix(execution, undo) == f"{base}/prod/undo"
