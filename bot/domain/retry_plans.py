"""Retrying a run: whether Harness will, from which stages, and the run it started."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPlan:
    """Whether Harness will retry a run, and from which stages (identifier, name)."""

    resumable: bool
    reason: str | None
    stages: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Started:
    """A run Harness started for us (a retry or a rerun)."""

    plan_execution_id: str
    run_sequence: int | None


__all__ = ["RetryPlan", "Started"]
