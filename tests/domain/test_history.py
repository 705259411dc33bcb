"""Since when a pipeline fails, whether it flaps, what a subscription lets through."""

from __future__ import annotations

import pytest

from bot.domain import Filters, Mute, Run, Standing
from bot.domain.history import failures_before, history_of


def runs(*statuses: str, newest: int = 50) -> list[Run]:
    """Runs newest first: `runs("Failed", "Success")` is #50 failed, #49 green."""
    return [Run(f"x{newest - i}", newest - i, s) for i, s in enumerate(statuses)]


def test_a_failure_after_a_green_run_is_the_first() -> None:
    history = history_of(runs("Failed", "Success", "Success"), 50)
    assert (history.standing, history.failed_runs, history.last_green) == (Standing.FIRST, 1, 49)
    assert not history.flapping


def test_a_streak_counts_back_to_its_first_failure() -> None:
    history = history_of(runs("Failed", "Failed", "Errored", "Success"), 50)
    assert history.standing is Standing.STREAK
    assert (history.failed_runs, history.since_run, history.last_green) == (3, 48, 47)


def test_aborted_and_running_runs_neither_break_nor_end_a_streak() -> None:
    history = history_of(runs("Running", "Failed", "Aborted", "Failed", "Success"), 49)
    assert (history.failed_runs, history.since_run, history.last_green) == (2, 47, 46)


def test_without_a_green_run_in_sight_the_standing_is_unknown() -> None:
    history = history_of(runs("Failed", "Failed"), 50)
    assert (history.standing, history.failed_runs, history.last_green) == (
        Standing.UNKNOWN,
        2,
        None,
    )


def test_the_run_itself_may_be_missing_from_the_list() -> None:
    # Harness lists a run a moment after its webhook: the history still reads.
    history = history_of(runs("Success", newest=49), 50)
    assert (history.standing, history.last_green) == (Standing.FIRST, 49)


@pytest.mark.parametrize(
    ("statuses", "flapping"),
    [
        (("Failed", "Success", "Failed", "Success"), True),
        (("Failed", "Success", "Success", "Failed", "Success"), True),
        (("Failed", "Failed", "Success", "Success"), False),
        (("Failed", "Success", "Aborted", "Success"), False),
    ],
)
def test_three_changes_in_ten_runs_is_flapping(statuses: tuple[str, ...], flapping: bool) -> None:
    assert history_of(runs(*statuses), 50).flapping is flapping


def test_a_success_knows_how_many_failures_it_ended() -> None:
    assert failures_before(runs("Success", "Failed", "Failed", "Success"), 50) == 2
    assert failures_before(runs("Success", "Success"), 50) == 0


def test_filters_match_branches_and_stages_by_glob() -> None:
    filters = Filters(branches=("main", "release/*"), stages=("deploy_*",))
    assert filters.wants_branch("release/2026.11")
    assert not filters.wants_branch("feature/x")
    assert not filters.wants_branch(None)  # a CD run has no branch to match
    assert filters.wants_stages(["build", "Deploy_Prod"])
    assert not filters.wants_stages(["build"])
    assert Filters().wants_branch(None) and Filters().wants_stages(["x"])


def test_a_mute_ends_at_its_time_or_never_before_recovery() -> None:
    assert Mute("U1", 0.0, 100.0).active(99.0)
    assert not Mute("U1", 0.0, 100.0).active(100.0)
    assert Mute("U1", 0.0, None).active(1e12)
