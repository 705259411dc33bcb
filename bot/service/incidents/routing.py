"""Which channels hear of an event, and what a notification names: a subscription's
branch and stage filters against the event and its run; whether Harness is only
failing for now."""

from __future__ import annotations

from bot.domain import Execution, Filters, PipelineEvent
from bot.domain.misses import HarnessRefused
from bot.service.targets import TargetError

__all__ = ["passing", "stage_name", "wanted"]


def wanted(filters: Filters, event: PipelineEvent, execution: Execution | None) -> bool:
    """Whether a subscription's branch and stage filters let this event through."""
    if filters.branches:
        origin = execution.origin if execution else None
        if not filters.wants_branch(origin.branch if origin else None):
            return False
    if filters.stages:
        if event.stage:
            stages = [event.stage]
            if execution is not None:
                stages += [s.name for s in execution.stages() if s.identifier == event.stage]
        elif event.is_failure and execution is not None:
            stages = [n for s in execution.failed_stages() for n in (s.identifier, s.name)]
        else:
            return True  # a pipeline-level event (a start, a success) concerns every stage
        return filters.wants_stages(stages)
    return True


def passing(exc: TargetError) -> bool:
    """Harness failing for now (down, rate limiting): worth another try later."""
    return isinstance(exc.miss, HarnessRefused) and exc.miss.passing


def stage_name(execution: Execution | None, event: PipelineEvent) -> str | None:
    if execution is None or not event.stage:
        return None
    stage = next((s for s in execution.stages() if s.identifier == event.stage), None)
    return stage.name if stage else None
