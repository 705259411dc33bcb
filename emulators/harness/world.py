"""The standard test world: pipelines and runs the Harness emulator serves."""

from __future__ import annotations

from emulators.harness import HarnessEmulator
from emulators.harness.runs import RECORDED_KEYS, RunSpec, StageSpec, StepSpec

HELM_FAILURE = "helm upgrade failed: timed out waiting for the condition"
ROLLOUT_FAILURE = "kubectl rollout status deployment/checkout timed out: 0 of 3 pods ready"


def checkout_stages(failed: bool) -> list[StageSpec]:
    return [
        StageSpec(
            "build",
            "Build",
            "Success",
            [StepSpec("compile", "Compile"), StepSpec("unit_tests", "Unit Tests")],
        ),
        StageSpec(
            "deploy_prod",
            "Deploy Prod",
            "Failed" if failed else "Success",
            [
                StepSpec(
                    "rollout",
                    "Rollout",
                    "Failed" if failed else "Success",
                    ROLLOUT_FAILURE if failed else None,
                    units=("Initialize", "Execute", "Cleanup"),
                ),
                StepSpec(
                    "verify", "Verify", "Skipped" if failed else "Success", has_log=not failed
                ),
            ],
            failure=ROLLOUT_FAILURE if failed else None,
        ),
    ]


def build_world(emulator: HarnessEmulator) -> None:
    emulator.add_pipeline("deploy_checkout", "Deploy Checkout")
    emulator.add_run(
        RunSpec("deploy_checkout", "Deploy Checkout", 41, "Success", checkout_stages(False))
    )
    emulator.add_run(
        RunSpec(
            "deploy_checkout",
            "Deploy Checkout",
            42,
            "Failed",
            checkout_stages(True),
            failure=ROLLOUT_FAILURE,
        )
    )
    # Older executions: legacy log keys, and nodes without their own logBaseKey.
    emulator.add_pipeline("release_web", "Release Web")
    emulator.add_run(
        RunSpec(
            "release_web",
            "Release Web",
            7,
            "Success",
            [
                StageSpec(
                    "build",
                    "Build",
                    "Success",
                    [StepSpec("install", "Install deps", key=RECORDED_KEYS["legacy_step"])],
                    key=RECORDED_KEYS["legacy_stage"],
                )
            ],
            simplified_keys=False,
            node_log_keys=False,
            key=RECORDED_KEYS["legacy_run"],
        )
    )
    emulator.add_pipeline("nightly", "Nightly Integration")
    # A step that failed without writing any log: a rejected approval.
    emulator.add_pipeline("gated_release", "Gated Release")
    emulator.add_run(
        RunSpec(
            "gated_release",
            "Gated Release",
            9,
            "Failed",
            [
                StageSpec(
                    "approve",
                    "Approve",
                    "Failed",
                    [
                        StepSpec(
                            "sign_off",
                            "Sign-off",
                            "ApprovalRejected",
                            "Approval rejected by bob",
                            has_log=False,
                        )
                    ],
                )
            ],
        )
    )
    emulator.add_pipeline("deploy_payments", "Deploy Payments", org="payments", project="checkout")
    emulator.add_run(
        RunSpec(
            "deploy_payments",
            "Deploy Payments",
            3,
            "Success",
            [StageSpec("deploy", "Deploy", "Success", [StepSpec("apply", "Apply")])],
            org="payments",
            project="checkout",
        )
    )
    # Pipeline chaining: a stage that runs another pipeline, which failed in its own run.
    emulator.add_pipeline("release_train", "Release Train")
    emulator.add_run(
        RunSpec(
            "release_train",
            "Release Train",
            3,
            "Failed",
            [
                StageSpec("prepare", "Prepare", "Success", [StepSpec("tag", "Tag")]),
                StageSpec(
                    "deploy_services",
                    "Deploy Services",
                    "Failed",
                    failure="Child pipeline failed",
                    child=RunSpec(
                        "payments_service",
                        "Payments Service",
                        12,
                        "Failed",
                        [
                            StageSpec(
                                "deploy",
                                "Deploy",
                                "Failed",
                                [StepSpec("helm_upgrade", "Helm Upgrade", "Failed", HELM_FAILURE)],
                            )
                        ],
                        org="payments",
                        project="checkout",
                    ),
                ),
            ],
        )
    )
    # Two failed steps in two stages, one of them inside a step group.
    emulator.add_pipeline("integration", "Integration Tests")
    emulator.add_run(
        RunSpec(
            "integration",
            "Integration Tests",
            5,
            "Failed",
            [
                StageSpec(
                    "api",
                    "API",
                    "Failed",
                    [
                        StepSpec(
                            "contract",
                            "Contract Tests",
                            "Failed",
                            "3 contract tests failed",
                            group="suite",
                            key=RECORDED_KEYS["grouped_step"],
                        )
                    ],
                ),
                StageSpec(
                    "ui", "UI", "Failed", [StepSpec("e2e", "E2E", "Failed", "exit status 2")]
                ),
            ],
        )
    )
