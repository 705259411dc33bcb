"""Log-service prefixes for a run, a stage or a step.

A graph node's own `logBaseKey` wins whenever it has one; otherwise the key is
built in the form the execution uses (`shouldUseSimplifiedKey`).
"""

from __future__ import annotations

from bot.domain import Execution, Node

_STEP_PARENTS = ("steps", "rollbackSteps")


def pipeline_prefix(execution: Execution) -> str:
    root = next((n for n in execution.nodes if n.fqn == "pipeline" and n.log_key), None)
    if root is not None and root.log_key:
        return root.log_key
    if execution.simplified_log_keys:
        return _simplified_base(execution)
    return f"{_legacy_base(execution)}/level0:pipeline"


def node_prefix(execution: Execution, node: Node) -> str:
    if node.log_key:
        return node.log_key
    if execution.simplified_log_keys:
        return "/".join([_simplified_base(execution), *_simplified_path(node)])
    levels = "/".join(f"level{i}:{part}" for i, part in enumerate(node.path))
    return f"{_legacy_base(execution)}/{levels}"


def _simplified_base(execution: Execution) -> str:
    return (
        f"{execution.account}/pipeline/{execution.pipeline_identifier}/"
        f"{execution.run_sequence}/-{execution.plan_execution_id}"
    )


def _simplified_path(node: Node) -> list[str]:
    """`pipeline.stages.s.spec.execution.steps.g.steps.x` -> `["s", "g", "x"]`."""
    path = node.path
    parts = [path[2]] if len(path) >= 3 else []
    parts.extend(path[i + 1] for i in range(3, len(path) - 1) if path[i] in _STEP_PARENTS)
    return parts


def _legacy_base(execution: Execution) -> str:
    return (
        f"accountId:{execution.account}/orgId:{execution.org}/"
        f"projectId:{execution.project}/pipelineId:{execution.pipeline_identifier}/"
        f"runSequence:{execution.run_sequence}"
    )
