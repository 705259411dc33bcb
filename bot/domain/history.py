"""A failed run's place in its pipeline's history, from the recent runs (newest
first): the first failure after a green run, a streak, or part of a flapping
pipeline; and how many failed runs a success ends (pure rules)."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.executions import FAILED_STATUSES, Run, normalise_status

# A pipeline whose outcome changed at least this often in its last runs is flapping.
FLAP_CHANGES = 3
FLAP_WINDOW = 10
# Statuses that say nothing about the code: the run was stopped or is not over.
_NEUTRAL = frozenset({"aborted", "abortedbyfreeze", "expired", "running", "queued", "paused"})
_GREEN = frozenset({"success", "succeeded", "ignorefailed"})


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


__all__ = [
    "FLAP_CHANGES",
    "FLAP_WINDOW",
    "History",
    "Standing",
    "failures_before",
    "flapping",
    "history_of",
]
