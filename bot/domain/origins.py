"""Who and what started a run (plain data): who triggered it and, for CI builds,
whose commit it built, on which branch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    name: str | None = None
    email: str | None = None

    @property
    def shown(self) -> str | None:
        return self.name or self.email


@dataclass(frozen=True)
class Origin:
    """Who and what started a run, as far as Harness says."""

    triggered_by: Person | None = None
    trigger_type: str | None = None  # MANUAL, WEBHOOK, SCHEDULER_CRON, ...
    author: Person | None = None  # the commit author of a CI build
    branch: str | None = None
    commit: str | None = None  # the commit's id


__all__ = ["Origin", "Person"]
