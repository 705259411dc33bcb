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
LOGS_EXPORT = Endpoint("logs.export", "POST", "log-service/blob/download", "accountID")
LOGS_BLOB = Endpoint("logs.blob", "GET", "log-service/blob", "accountID")

ENDPOINTS: tuple[Endpoint, ...] = (
    PIPELINES_LIST,
    EXECUTIONS_SUMMARY,
    EXECUTION_V2,
    LOGS_EXPORT,
    LOGS_BLOB,
)

__all__ = [
    "ENDPOINTS",
    "EXECUTIONS_SUMMARY",
    "EXECUTION_V2",
    "LOGS_BLOB",
    "LOGS_EXPORT",
    "PIPELINES_LIST",
    "Endpoint",
]
