"""Why a target was missed: which misses are worth asking again."""

from __future__ import annotations

from bot.domain import Reason
from bot.domain.misses import HarnessRefused


def test_only_a_harness_failing_for_now_is_worth_asking_again() -> None:
    """Alerts are retried, a retry press says "try again in a minute" and the terminal
    blames the network for these two reasons alone; the others will not change."""
    passing = {reason for reason in Reason if HarnessRefused(reason).passing}
    assert passing == {Reason.UNAVAILABLE, Reason.TIMEOUT}
