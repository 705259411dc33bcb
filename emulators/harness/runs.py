"""Builders for realistic Harness executions (summary + execution graph JSON).

The shapes follow shared/samples/execution-v2-failed.json: a pipeline root
node, one node per stage, an `execution` section, then steps (optionally in
step groups or among rollback steps), each with `baseFqn`, `status`, `logBaseKey`
and `failureInfo`.

Log keys are data, never derived here: each run, stage and step carries the key
Harness recorded for it as a template (`key`), filled in from the spec's own
fields (`{account}`, `{org}`, `{project}`, `{pipeline}`, `{sequence}`,
`{execution}`) and from the keys above it (`{run}`, `{stage}`). The defaults are
the plain documented form (`{run}/<stage id>`, `{stage}/<step id>`); step
groups, rollback steps and legacy `accountId:` keys spell theirs out, as recorded
(see `RECORDED_KEYS`), so the bot's own prefix rules are checked against data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RUN_LENGTH = 222.0  # seconds a finished run took (3m 42s)


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
    rollback: bool = False  # among the stage's rollback steps
    key: str = "{stage}/{identifier}"  # the recorded logBaseKey, as a template


@dataclass
class StageSpec:
    identifier: str
    name: str
    status: str = "Success"
    steps: list[StepSpec] = field(default_factory=list)
    failure: str | None = None
    child: RunSpec | None = None  # a Pipeline stage: the run it chained to
    key: str = "{run}/{identifier}"


@dataclass
class RunSpec:
    pipeline: str
    pipeline_name: str
    run_sequence: int
    status: str
    stages: list[StageSpec]
    org: str = "default"
    project: str = "shop"
    simplified_keys: bool = True  # served as `shouldUseSimplifiedKey`
    node_log_keys: bool = True  # whether graph nodes carry logBaseKey
    failure: str | None = None
    key: str = "{account}/pipeline/{pipeline}/{sequence}/-{execution}"
    trigger_type: str = "MANUAL"
    triggered_by: str = "alice"
    triggered_by_email: str | None = None
    # A CI build: the branch it built and the author of its commit (name, email).
    branch: str | None = None
    author: tuple[str, str] | None = None
    commit: str | None = None
    # When it started (epoch seconds); the emulator sets it from its clock when it
    # is added (a few minutes before then) unless the test says otherwise.
    started_at: float | None = None

    @property
    def start_ms(self) -> int:
        assert self.started_at is not None, "a run's start is set when it is added"
        return int(self.started_at * 1000)

    @property
    def plan_execution_id(self) -> str:
        return "x" + uid(self.org, self.project, self.pipeline, self.run_sequence)[:21]


def module_info(run: RunSpec) -> dict[str, Any]:
    """`moduleInfo` as Harness writes it: empty for CD, the CI webhook's facts for builds."""
    if run.branch is None and run.author is None:
        return {
            "cd": {"__recast": "io.harness.cdng.pipeline.executions.beans.CDPipelineModuleInfo"}
        }
    commits = []
    if run.commit or run.author:
        name, email = run.author or ("", "")
        commits.append(
            {
                "id": run.commit or uid("commit", run.run_sequence)[:40],
                "link": "https://github.test/acme/shop/commit/abc",
                "message": "fix: keep the cart on refresh",
                "ownerName": name,
                "ownerId": name.lower().replace(" ", ""),
                "ownerEmail": email,
                "timeStamp": run.start_ms // 1000,
            }
        )
    info: dict[str, Any] = {"event": "branch", "branch": {"name": run.branch, "commits": commits}}
    if run.author:
        info["author"] = {
            "id": run.author[0].lower().replace(" ", ""),
            "name": run.author[0],
            "email": run.author[1],
            "avatar": "https://avatars.github.test/u/1",
        }
    return {
        "ci": {
            "__recast": "io.harness.ci.plan.creator.execution.CIPipelineModuleInfo",
            "branch": run.branch,
            "buildType": "branch",
            "repoName": "shop",
            "ciExecutionInfoDTO": {
                "__recast": "io.harness.ci.pipeline.executions.beans.CIWebhookInfoDTO",
                **info,
            },
            "isPrivateRepo": False,
        }
    }


# Keys as Harness recorded them for shapes whose key is not the plain default.
RECORDED_KEYS = {
    # Executions from before simplified keys: every level of the node's path.
    "legacy_run": (
        "accountId:{account}/orgId:{org}/projectId:{project}/pipelineId:{pipeline}/"
        "runSequence:{sequence}/level0:pipeline"
    ),
    "legacy_stage": "{run}/level1:stages/level2:{identifier}",
    "legacy_step": "{stage}/level3:spec/level4:execution/level5:steps/level6:{identifier}",
    # Simplified keys keep a step group's identifier between stage and step.
    "grouped_step": "{stage}/{group}/{identifier}",
    # Rollback steps sit beside the stage's steps, under their own identifier.
    "rollback_step": "{stage}/{identifier}",
}


@dataclass(frozen=True)
class Keys:
    """The keys of one run's nodes, filled in from their templates."""

    account: str
    run: RunSpec

    def of_run(self) -> str:
        r = self.run
        return r.key.format(
            account=self.account,
            org=r.org,
            project=r.project,
            pipeline=r.pipeline,
            sequence=r.run_sequence,
            execution=r.plan_execution_id,
        )

    def of_stage(self, stage: StageSpec) -> str:
        return stage.key.format(run=self.of_run(), identifier=stage.identifier)

    def of_step(self, stage: StageSpec, step: StepSpec) -> str:
        return step.key.format(
            account=self.account,
            stage=self.of_stage(stage),
            identifier=step.identifier,
            group=step.group or "",
        )


def step_fqn(stage: StageSpec, step: StepSpec) -> str:
    parent = "rollbackSteps" if step.rollback else "steps"
    base = f"pipeline.stages.{stage.identifier}.spec.execution.{parent}"
    if step.group:
        return f"{base}.{step.group}.steps.{step.identifier}"
    return f"{base}.{step.identifier}"


def execution_json(account: str, run: RunSpec, child_details: bool = True) -> dict[str, Any]:
    """The full answer of `execution/v2` for `run`: its summary and whole graph.

    A Pipeline stage names its child run in its step details
    (`childPipelineExecutionDetails`), as the pipeline service's PipelineStageStep
    publishes them (newer versions); `child_details=False` leaves them out, as older
    versions did."""
    node_map: dict[str, Any] = {}
    layout: dict[str, Any] = {}
    keys = Keys(account, run)
    failed_message = run.failure or (
        "1 error(s) occurred: exit status 1" if run.status == "Failed" else None
    )

    def node(
        identifier: str,
        name: str,
        fqn: str,
        status: str,
        step_type: str,
        key: str = "",
        **extra: Any,
    ) -> None:
        uuid = uid(run.plan_execution_id, fqn)
        entry = {
            "uuid": uuid,
            "setupId": uid("setup", fqn),
            "identifier": identifier,
            "name": name,
            "baseFqn": fqn,
            "status": status,
            "stepType": step_type,
            "logBaseKey": key if run.node_log_keys else "",
            "startTs": run.start_ms + 1000,
            "endTs": run.start_ms + 60_000,
            **extra,
        }
        node_map[uuid] = entry

    node("pipeline", run.pipeline_name, "pipeline", run.status, "PIPELINE_SECTION", keys.of_run())
    for stage in run.stages:
        fqn = f"pipeline.stages.{stage.identifier}"
        failure: dict[str, Any] = (
            {"failureInfo": {"message": stage.failure}} if stage.failure else {}
        )
        details: dict[str, Any] = {}
        if stage.child is not None and child_details:
            child = stage.child
            details = {
                "stepDetails": {
                    "childPipelineExecutionDetails": {
                        "planExecutionId": child.plan_execution_id,
                        "orgId": child.org,
                        "projectId": child.project,
                    }
                }
            }
        stage_type = "PIPELINE_STAGE" if stage.child else "DEPLOYMENT_STAGE_STEP"
        node(
            stage.identifier,
            stage.name,
            fqn,
            stage.status,
            stage_type,
            keys.of_stage(stage),
            **failure,
            **details,
        )
        layout[uid("setup", fqn)] = {
            "nodeType": "Pipeline" if stage.child else "Deployment",
            "nodeGroup": "STAGE",
            "nodeIdentifier": stage.identifier,
            "name": stage.name,
            "nodeUuid": uid("setup", fqn),
            "status": stage.status,
            "edgeLayoutList": {"currentNodeChildren": [], "nextIds": []},
            **details,
        }
        node("execution", "Execution", f"{fqn}.spec.execution", stage.status, "NG_EXECUTION")
        groups = {(s.group, s.rollback) for s in stage.steps if s.group}
        for group, rollback in sorted(groups):
            parent = "rollbackSteps" if rollback else "steps"
            node(
                group,
                group.title(),
                f"{fqn}.spec.execution.{parent}.{group}",
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
            node(
                step.identifier,
                step.name,
                step_fqn(stage, step),
                step.status,
                "Run",
                keys.of_step(stage, step),
                **extra,
            )

    summary = {
        "pipelineIdentifier": run.pipeline,
        "orgIdentifier": run.org,
        "projectIdentifier": run.project,
        "planExecutionId": run.plan_execution_id,
        "name": run.pipeline_name,
        "status": run.status,
        "runSequence": run.run_sequence,
        "startTs": run.start_ms,
        "endTs": run.start_ms + int(RUN_LENGTH * 1000),
        "shouldUseSimplifiedKey": run.simplified_keys,
        "executionTriggerInfo": {
            "triggerType": run.trigger_type,
            "triggeredBy": {
                "uuid": uid("user", run.triggered_by),
                "identifier": run.triggered_by,
                "extraInfo": ({"email": run.triggered_by_email} if run.triggered_by_email else {}),
            },
            "isRerun": False,
        },
        "failureInfo": {"message": failed_message} if failed_message else {},
        "layoutNodeMap": layout,
        "modules": list(module_info(run)),
        "moduleInfo": module_info(run),
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


def ndjson(lines: list[tuple[str, str]], start: float, minute: int = 0) -> bytes:
    """Log lines as the log service stores them, one a second from `start` + `minute`."""

    def stamp(i: int) -> str:
        when = datetime.fromtimestamp(start + minute * 60 + i, UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return b"".join(
        json.dumps({"level": level, "pos": i, "out": out, "time": stamp(i), "args": None}).encode()
        + b"\n"
        for i, (level, out) in enumerate(lines)
    )


def step_logs(account: str, run: RunSpec) -> dict[str, bytes]:
    """What each step wrote, by log-service key (one key per command unit when it has units)."""
    logs: dict[str, bytes] = {}
    keys = Keys(account, run)
    assert run.started_at is not None, "a run's start is set when it is added"
    for stage in run.stages:
        for step in stage.steps:
            if not step.has_log or step.status in ("Skipped", "NotStarted"):
                continue
            key = keys.of_step(stage, step)
            lines = step.log if step.log is not None else default_log(step)
            if not step.units:
                logs[key] = ndjson(lines, run.started_at)
                continue
            # Execute carries the step's lines; the other units frame it in time.
            for minute, unit in enumerate(step.units):
                body = lines if unit == "Execute" else [("info", f"{unit} done\n")]
                logs[f"{key}-commandUnit:{unit}"] = ndjson(body, run.started_at, minute=minute)
    return logs


def step_key(account: str, run: RunSpec, stage_id: str, step_id: str) -> str:
    """The recorded key of one step of `run` (for tests that plant logs)."""
    stage = next(s for s in run.stages if s.identifier == stage_id)
    step = next(s for s in stage.steps if s.identifier == step_id)
    return Keys(account, run).of_step(stage, step)
