"""Pydantic models of the Harness responses we read; unknown fields are ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic.alias_generators import to_camel


class _HarnessModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def ms_to_datetime(value: int | None) -> datetime | None:
    """Harness timestamps are epoch milliseconds; 0 means "not yet"."""
    if not value or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


class FailureInfo(_HarnessModel):
    message: str | None = None


class ExportAnswer(_HarnessModel):
    """`POST /gateway/log-service/blob/download` answer."""

    link: str | None = None
    status: str | None = None
    expires: datetime | None = None
    message: str | None = None

    @field_validator("expires", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value or None


class PipelineListItem(_HarnessModel):
    identifier: str
    name: str = ""


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """For the niceties (who started a run, where a chained run is): a shape we do not
    know must not cost the post."""
    try:
        return handler(value)
    except ValidationError:
        return None


Lenient = WrapValidator(_or_none)


def _null_as_empty(value: Any) -> Any:
    return [] if value is None else value


# The pipeline service writes out nulls: a list it did not fill comes as `null`.
NullableList = BeforeValidator(_null_as_empty)


class ChildPipelineDetails(_HarnessModel):
    """Where a Pipeline stage's own run is: published by the stage as its step details
    (pipeline-service PipelineStageStep, "childPipelineExecutionDetails")."""

    plan_execution_id: str | None = None
    org_id: str | None = None
    project_id: str | None = None


class StepDetails(_HarnessModel):
    child_pipeline_execution_details: ChildPipelineDetails | None = None


class LayoutNode(_HarnessModel):
    node_type: str | None = None
    node_identifier: str | None = None
    node_uuid: str | None = None
    name: str | None = None
    status: str | None = None
    step_details: Annotated[StepDetails | None, Lenient] = None


class TriggeredBy(_HarnessModel):
    identifier: str | None = None
    extra_info: dict[str, Any] | None = None

    @property
    def email(self) -> str | None:
        email = (self.extra_info or {}).get("email")
        return email[:200] if isinstance(email, str) and email else None


class TriggerInfo(_HarnessModel):
    trigger_type: str | None = None
    triggered_by: TriggeredBy | None = None


class Author(_HarnessModel):
    name: str | None = None
    email: str | None = None
    id: str | None = None


class Commit(_HarnessModel):
    id: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None


class BranchHook(_HarnessModel):
    name: str | None = None
    commits: list[Commit] = Field(default_factory=list)


class PullRequestHook(_HarnessModel):
    source_branch: str | None = None
    commits: list[Commit] = Field(default_factory=list)


class CiExecutionInfo(_HarnessModel):
    author: Author | None = None
    branch: BranchHook | None = None
    pull_request: PullRequestHook | None = None


class CiModuleInfo(_HarnessModel):
    """`moduleInfo.ci` of a CI build: its branch, and the webhook that started it."""

    branch: str | None = None
    ci_execution_info_dto: CiExecutionInfo | None = Field(
        default=None, validation_alias=AliasChoices("ciExecutionInfoDTO")
    )


class ModuleInfo(_HarnessModel):
    ci: Annotated[CiModuleInfo | None, Lenient] = None


class ExecutionSummary(_HarnessModel):
    pipeline_identifier: str
    org_identifier: str | None = None
    project_identifier: str | None = None
    plan_execution_id: str
    name: str | None = None
    status: str = "Unknown"
    run_sequence: int = 0
    start_ts: int | None = None
    end_ts: int | None = None
    should_use_simplified_key: bool = Field(
        default=False, validation_alias=AliasChoices("shouldUseSimplifiedKey")
    )
    failure_info: FailureInfo | None = None
    layout_node_map: dict[str, LayoutNode] = Field(default_factory=dict)
    execution_trigger_info: Annotated[TriggerInfo | None, Lenient] = None
    module_info: Annotated[ModuleInfo | None, Lenient] = None
    # Only names `moduleType` for a retry: a shape we do not know is no module.
    modules: Annotated[list[Any], NullableList] = Field(default_factory=list)


class GraphNode(_HarnessModel):
    uuid: str = ""
    identifier: str = ""
    name: str | None = None
    base_fqn: str | None = None
    status: str | None = None
    step_type: str | None = None
    log_base_key: str | None = None
    start_ts: int | None = None
    end_ts: int | None = None
    failure_info: FailureInfo | None = None


class ExecutionGraph(_HarnessModel):
    node_map: dict[str, GraphNode] = Field(default_factory=dict)


class ChildGraph(_HarnessModel):
    """A chained pipeline's own run, returned when a Pipeline stage is asked for."""

    pipeline_execution_summary: ExecutionSummary | None = None
    execution_graph: ExecutionGraph | None = None


class ExecutionDetail(_HarnessModel):
    pipeline_execution_summary: ExecutionSummary
    execution_graph: ExecutionGraph | None = None
    child_graph: ChildGraph | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="ignore")

    content: list[T] = Field(default_factory=list)
    total_pages: int | None = Field(default=None, alias="totalPages")


class Envelope(BaseModel, Generic[T]):
    """Pipeline API answers wrap their payload: `{"status": "SUCCESS", "data": ...}`."""

    model_config = ConfigDict(extra="ignore")

    status: str | None = None
    data: T | None = None
    message: str | None = None


class RetryStage(_HarnessModel):
    identifier: str = ""
    name: str | None = None
    status: str | None = None


class RetryGroup(_HarnessModel):
    info: Annotated[list[RetryStage], NullableList] = Field(default_factory=list)


class RetryInfo(_HarnessModel):
    """`GET …/execute/{planExecutionId}/retryStages`: whether and where a run resumes."""

    # Lombok and Jackson turn the field `isResumable` into "resumable"; the API
    # reference spells it as declared. Either is read.
    is_resumable: bool = Field(
        default=False, validation_alias=AliasChoices("resumable", "isResumable")
    )
    error_message: str | None = None
    # Null when Harness will not retry the run (RetryExecutionHelper#validateRetry).
    groups: Annotated[list[RetryGroup], NullableList] = Field(default_factory=list)


class InputSet(_HarnessModel):
    input_set_yaml: str | None = None


class PlanExecutionMetadata(_HarnessModel):
    run_sequence: int | None = None


class PlanExecution(_HarnessModel):
    uuid: str
    metadata: PlanExecutionMetadata | None = None


class PlanExecutionResponse(_HarnessModel):
    """What `…/execute/retry` and `…/execute/rerun` answer: the run they started."""

    plan_execution: PlanExecution
