"""The Harness API the bot uses, described once.

Each endpoint: a name (the metrics label, and the key the emulator counts calls
under), its method, its path under `{base}/gateway/` (`{id}` placeholders), the name
of the account parameter (the pipeline API and the log service spell it differently)
and whether 429/5xx answers are retried. The client calls through this table and the
test emulator routes by it, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    account_param: str
    retried: bool = True


PIPELINES_LIST = Endpoint(
    "pipelines.list", "POST", "pipeline/api/pipelines/list", "accountIdentifier"
)
EXECUTIONS_SUMMARY = Endpoint(
    "executions.summary", "POST", "pipeline/api/pipelines/execution/summary", "accountIdentifier"
)
EXECUTION_V2 = Endpoint(
    "executions.v2", "GET", "pipeline/api/pipelines/execution/v2/{id}", "accountIdentifier"
)
RETRY_STAGES = Endpoint(
    "pipeline.retry_stages",
    "GET",
    "pipeline/api/pipeline/execute/{id}/retryStages",
    "accountIdentifier",
)
INPUT_SET = Endpoint(
    "executions.inputset",
    "GET",
    "pipeline/api/pipelines/execution/{id}/inputsetV2",
    "accountIdentifier",
)
# Starting a run is not idempotent: an answer lost on the way back must not start a
# second one, so these are never retried.
RETRY = Endpoint(
    "pipeline.retry",
    "POST",
    "pipeline/api/pipeline/execute/retry/{id}",
    "accountIdentifier",
    retried=False,
)
RERUN = Endpoint(
    "pipeline.rerun",
    "POST",
    "pipeline/api/pipeline/execute/rerun/{id}/{pipeline}",
    "accountIdentifier",
    retried=False,
)
LOGS_EXPORT = Endpoint("logs.export", "POST", "log-service/blob/download", "accountID")
LOGS_BLOB = Endpoint("logs.blob", "GET", "log-service/blob", "accountID")

ENDPOINTS: tuple[Endpoint, ...] = (
    PIPELINES_LIST,
    EXECUTIONS_SUMMARY,
    EXECUTION_V2,
    RETRY_STAGES,
    INPUT_SET,
    RETRY,
    RERUN,
    LOGS_EXPORT,
    LOGS_BLOB,
)

__all__ = [
    "ENDPOINTS",
    "EXECUTIONS_SUMMARY",
    "EXECUTION_V2",
    "INPUT_SET",
    "LOGS_BLOB",
    "LOGS_EXPORT",
    "PIPELINES_LIST",
    "RERUN",
    "RETRY",
    "RETRY_STAGES",
    "Endpoint",
]
