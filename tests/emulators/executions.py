"""Builders for realistic Harness executions (summary + execution graph JSON).

The shapes follow shared/samples/execution-v2-failed.json: a pipeline root
node, one node per stage, an `execution` section, then steps (optionally in
step groups), each with `baseFqn`, `status`, `logBaseKey` and `failureInfo`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

BASE_TS = 1_763_632_800_000  # 2025-11-20T10:00:00Z in epoch ms


def uid(*parts: object) -> str:
    """A stable 22-character node id, like Harness's."""
    return hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()[:22]


@dataclass
class StepSpec:
    identifier: str
    name: str
    status: str = "Success"
    failure: str | None = None
    group: str | None = None  # step group identifier, when nested in one
    has_log: bool = True
    units: tuple[str, ...] = ()  # command units (CD steps log one file per unit)
    log: list[tuple[str, str]] | None = None  # (level, out) lines; a default when None
    # The key Harness logs this step under, spelled out as recorded (`{account}` is
    # filled in). Required where graph nodes carry no logBaseKey: the bot then builds
    # the key itself, and must be checked against data, not against a copy of its code.
    key: str | None = None


@dataclass
class StageSpec:
    identifier: str
    name: str
    status: str = "Success"
    steps: list[StepSpec] = field(default_factory=list)
    failure: str | None = None
    child: RunSpec | None = None  # a Pipeline stage: the run it chained to


@dataclass
class RunSpec:
    pipeline: str
    pipeline_name: str
    run_sequence: int
    status: str
    stages: list[StageSpec]
    org: str = "default"
    project: str = "shop"
    simplified_keys: bool = True
    node_log_keys: bool = True  # whether graph nodes carry logBaseKey
    failure: str | None = None

    @property
    def plan_execution_id(self) -> str:
        return "x" + uid(self.org, self.project, self.pipeline, self.run_sequence)[:21]


def _legacy_base(account: str, run: RunSpec) -> str:
    return (
        f"accountId:{account}/orgId:{run.org}/projectId:{run.project}/"
        f"pipelineId:{run.pipeline}/runSequence:{run.run_sequence}"
    )


def log_key(account: str, run: RunSpec, fqn: str) -> str:
    """The key a node's `logBaseKey` carries in the executions this emulator makes up.

    Only ever served as data (the node's own `logBaseKey`, which the bot uses as
    is); where nodes carry none, steps spell their key out (`StepSpec.key`).
    """
    path = fqn.split(".")
    if not run.simplified_keys:
        levels = "/".join(f"level{i}:{p}" for i, p in enumerate(path))
        return f"{_legacy_base(account, run)}/{levels}"
    base = f"{account}/pipeline/{run.pipeline}/{run.run_sequence}/-{run.plan_execution_id}"
    if len(path) < 3:
        return base
    parts = [path[2]] + [path[i + 1] for i in range(3, len(path) - 1) if path[i] == "steps"]
    return "/".join([base, *parts])


def step_fqn(stage: StageSpec, step: StepSpec) -> str:
    base = f"pipeline.stages.{stage.identifier}.spec.execution.steps"
    if step.group:
        return f"{base}.{step.group}.steps.{step.identifier}"
    return f"{base}.{step.identifier}"


def execution_json(account: str, run: RunSpec) -> dict[str, Any]:
    node_map: dict[str, Any] = {}
    layout: dict[str, Any] = {}
    failed_message = run.failure or (
        "1 error(s) occurred: exit status 1" if run.status == "Failed" else None
    )

    def node(
        identifier: str, name: str, fqn: str, status: str, step_type: str, **extra: Any
    ) -> None:
        uuid = uid(run.plan_execution_id, fqn)
        key = (
            log_key(account, run, fqn) if run.node_log_keys and step_type != "NG_EXECUTION" else ""
        )
        entry = {
            "uuid": uuid,
            "setupId": uid("setup", fqn),
            "identifier": identifier,
            "name": name,
            "baseFqn": fqn,
            "status": status,
            "stepType": step_type,
            "logBaseKey": key,
            "startTs": BASE_TS + 1000,
            "endTs": BASE_TS + 60_000,
            **extra,
        }
        node_map[uuid] = entry

    node("pipeline", run.pipeline_name, "pipeline", run.status, "PIPELINE_SECTION")
    for stage in run.stages:
        fqn = f"pipeline.stages.{stage.identifier}"
        failure = {"failureInfo": {"message": stage.failure}} if stage.failure else {}
        stage_type = "PIPELINE_STAGE" if stage.child else "DEPLOYMENT_STAGE_STEP"
        node(stage.identifier, stage.name, fqn, stage.status, stage_type, **failure)
        layout[uid("setup", fqn)] = {
            "nodeType": "Pipeline" if stage.child else "Deployment",
            "nodeGroup": "STAGE",
            "nodeIdentifier": stage.identifier,
            "name": stage.name,
            "nodeUuid": uid("setup", fqn),
            "status": stage.status,
            "edgeLayoutList": {"currentNodeChildren": [], "nextIds": []},
        }
        node("execution", "Execution", f"{fqn}.spec.execution", stage.status, "NG_EXECUTION")
        groups = {s.group for s in stage.steps if s.group}
        for group in sorted(groups):
            node(
                group,
                group.title(),
                f"{fqn}.spec.execution.steps.{group}",
                stage.status,
                "STEP_GROUP",
            )
        for step in stage.steps:
            extra: dict[str, Any] = {
                "unitProgresses": [{"unitName": "Execute", "status": step.status.upper()}]
            }
            if step.failure:
                extra["failureInfo"] = {
                    "message": step.failure,
                    "failureTypeList": ["APPLICATION_ERROR"],
                    "responseMessages": [
                        {"code": "GENERAL_ERROR", "message": step.failure, "level": "ERROR"}
                    ],
                }
            node(step.identifier, step.name, step_fqn(stage, step), step.status, "Run", **extra)

    summary = {
        "pipelineIdentifier": run.pipeline,
        "orgIdentifier": run.org,
        "projectIdentifier": run.project,
        "planExecutionId": run.plan_execution_id,
        "name": run.pipeline_name,
        "status": run.status,
        "runSequence": run.run_sequence,
        "startTs": BASE_TS,
        "endTs": BASE_TS + 222_000,
        "shouldUseSimplifiedKey": run.simplified_keys,
        "executionTriggerInfo": {"triggerType": "MANUAL", "triggeredBy": {"identifier": "alice"}},
        "failureInfo": {"message": failed_message} if failed_message else {},
        "layoutNodeMap": layout,
        "modules": ["cd"],
        "someFieldWeDoNotKnow": {"nested": [1, 2, 3]},
    }
    return {
        "status": "SUCCESS",
        "data": {
            "pipelineExecutionSummary": summary,
            "executionGraph": {
                "rootNodeId": uid(run.plan_execution_id, "pipeline"),
                "nodeMap": node_map,
                "nodeAdjacencyListMap": {},
            },
        },
        "metaData": None,
        "correlationId": uid("corr", run.plan_execution_id),
    }


def child_stage_run(run: RunSpec, layout_key: str) -> RunSpec | None:
    """The child run behind a Pipeline stage, by the stage's layout key."""
    for stage in run.stages:
        if stage.child and uid("setup", f"pipeline.stages.{stage.identifier}") == layout_key:
            return stage.child
    return None


def summary_json(account: str, run: RunSpec) -> dict[str, Any]:
    return execution_json(account, run)["data"]["pipelineExecutionSummary"]  # type: ignore[no-any-return]


def default_log(step: StepSpec) -> list[tuple[str, str]]:
    lines = [("info", f"\x1b[36m+ {step.name}\x1b[0m\n"), ("info", "Executing command ...\n")]
    if step.failure:
        lines.append(("error", f"\x1b[31m{step.failure}\x1b[0m\n"))
        lines.append(("info", "Command finished with status FAILURE\n"))
    else:
        lines.append(("info", "Command finished with status SUCCESS\n"))
    return lines


def ndjson(lines: list[tuple[str, str]], minute: int = 0) -> bytes:
    import json

    return b"".join(
        json.dumps(
            {
                "level": level,
                "pos": i,
                "out": out,
                "time": f"2025-11-20T10:{minute:02d}:{i % 60:02d}.000Z",
                "args": None,
            }
        ).encode()
        + b"\n"
        for i, (level, out) in enumerate(lines)
    )


def step_logs(account: str, run: RunSpec) -> dict[str, bytes]:
    """What each step wrote, by log-service key (one key per command unit when it has units)."""
    logs: dict[str, bytes] = {}
    for stage in run.stages:
        for step in stage.steps:
            if not step.has_log or step.status in ("Skipped", "NotStarted"):
                continue
            if step.key is not None:
                key = step.key.format(account=account)
            else:
                assert run.node_log_keys, (
                    f"{run.pipeline} #{run.run_sequence} has no logBaseKey on its nodes: "
                    f"give step {step.identifier} its recorded key"
                )
                key = log_key(account, run, step_fqn(stage, step))
            lines = step.log if step.log is not None else default_log(step)
            if not step.units:
                logs[key] = ndjson(lines)
                continue
            # Execute carries the step's lines; the other units frame it in time.
            for minute, unit in enumerate(step.units):
                body = lines if unit == "Execute" else [("info", f"{unit} done\n")]
                logs[f"{key}-commandUnit:{unit}"] = ndjson(body, minute=minute)
    return logs
