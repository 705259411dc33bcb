"""Triage facts about a run: who started it, its place in the pipeline's history,
which subscriptions it concerns, and mutes (plain data and pure rules).

- `Origin`: who triggered a run and, for CI builds, whose commit it built, on which
  branch.
- `History`: from the pipeline's recent runs (newest first), whether a failure is
  the first after a green run, a streak, or part of a flapping pipeline; and how
  many failed runs a success ends.
- `Filters`: a subscription's branch and stage globs and whom it mentions.
- `Mute`: a channel's pause of one pipeline's posts, for a while or until it
  recovers.
"""

from __future__ import annotations

import enum
import fnmatch
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.domain.executions import FAILED_STATUSES, Run, normalise_status

Mention = Literal["author", "none"]

# A pipeline whose outcome changed at least this often in its last runs is flapping.
FLAP_CHANGES = 3
FLAP_WINDOW = 10
# Statuses that say nothing about the code: the run was stopped or is not over.
_NEUTRAL = frozenset({"aborted", "abortedbyfreeze", "expired", "running", "queued", "paused"})
_GREEN = frozenset({"success", "succeeded", "ignorefailed"})


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


class Standing(enum.StrEnum):
    FIRST = "first"  # the run before it was green
    STREAK = "streak"  # failing for several runs in a row
    UNKNOWN = "unknown"  # no green run within the runs looked at


@dataclass(frozen=True)
class History:
    """Where one run stands among the pipeline's recent runs."""

    standing: Standing
    failed_runs: int  # consecutive failed runs ending with this one (this one included)
    since_run: int | None  # the first of them
    last_green: int | None  # the green run before them, when seen
    flapping: bool = False


def _outcome(status: str) -> str | None:
    status = normalise_status(status)
    if status in _GREEN:
        return "green"
    if status in FAILED_STATUSES and status not in _NEUTRAL:
        return "red"
    return None  # aborted, running: neither


def history_of(runs: Sequence[Run], run_sequence: int) -> History:
    """How the failed run `run_sequence` stands, from runs listed newest first.

    Aborted, expired and unfinished runs neither break a streak nor end it: they
    say nothing about whether the pipeline works.
    """
    older = sorted(
        (r for r in runs if r.run_sequence < run_sequence), key=lambda r: -r.run_sequence
    )
    failed, since, green = 1, run_sequence, None
    for run in older:
        outcome = _outcome(run.status)
        if outcome == "red":
            failed, since = failed + 1, run.run_sequence
        elif outcome == "green":
            green = run.run_sequence
            break
    if green is None:
        standing = Standing.UNKNOWN
    else:
        standing = Standing.FIRST if failed == 1 else Standing.STREAK
    return History(standing, failed, since, green, flapping(runs, run_sequence, failed=True))


def failures_before(runs: Sequence[Run], run_sequence: int) -> int:
    """How many failed runs in a row came just before the run `run_sequence`."""
    count = 0
    for run in sorted(runs, key=lambda r: -r.run_sequence):
        if run.run_sequence >= run_sequence:
            continue
        outcome = _outcome(run.status)
        if outcome == "red":
            count += 1
        elif outcome == "green":
            break
    return count


def flapping(runs: Sequence[Run], run_sequence: int, *, failed: bool) -> bool:
    """Whether the outcome changed at least FLAP_CHANGES times in the last FLAP_WINDOW
    finished runs up to `run_sequence` (whose outcome is `failed`)."""
    outcomes = ["red" if failed else "green"]
    for run in sorted(runs, key=lambda r: -r.run_sequence):
        if run.run_sequence >= run_sequence:
            continue
        outcome = _outcome(run.status)
        if outcome is not None:
            outcomes.append(outcome)
        if len(outcomes) >= FLAP_WINDOW:
            break
    changes = sum(1 for a, b in itertools.pairwise(outcomes) if a != b)
    return changes >= FLAP_CHANGES


@dataclass(frozen=True)
class Filters:
    """What a subscription lets through besides its events: globs, empty for any."""

    branches: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    mention: Mention = "author"

    def as_dict(self) -> dict[str, object]:
        return {
            "branches": list(self.branches),
            "stages": list(self.stages),
            "mention": self.mention,
        }

    @classmethod
    def from_dict(cls, data: object) -> Filters:
        """Read back what `as_dict` wrote (anything else: no filters)."""
        if not isinstance(data, dict):
            return cls()
        branches, stages = data.get("branches") or [], data.get("stages") or []
        mention: Mention = "none" if data.get("mention") == "none" else "author"
        return cls(tuple(map(str, branches)), tuple(map(str, stages)), mention)

    def wants_branch(self, branch: str | None) -> bool:
        """A run without a branch (a CD run) does not match a branch filter."""
        if not self.branches:
            return True
        return branch is not None and any(fnmatch.fnmatchcase(branch, g) for g in self.branches)

    def wants_stages(self, stages: Iterable[str]) -> bool:
        """Whether any of the stages (identifiers or names) matches; none given: yes."""
        if not self.stages:
            return True
        names = [s for s in stages if s]
        if not names:
            return True
        return any(
            fnmatch.fnmatchcase(name.casefold(), glob.casefold())
            for name in names
            for glob in self.stages
        )


@dataclass(frozen=True)
class Mute:
    """A channel's pause of one pipeline's posts."""

    by: str  # the user who muted it
    at: float
    until: float | None  # epoch seconds; None: until the pipeline recovers

    @property
    def until_recovery(self) -> bool:
        return self.until is None

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


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


__all__ = [
    "FLAP_CHANGES",
    "FLAP_WINDOW",
    "Filters",
    "History",
    "Mention",
    "Mute",
    "Origin",
    "Person",
    "RetryPlan",
    "Standing",
    "Started",
    "failures_before",
    "flapping",
    "history_of",
]
