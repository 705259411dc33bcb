"""Suggestions for misspelt names come from edit distance, not from noise."""

from __future__ import annotations

from bot.suggest import closest

NAMES = ["deploy_checkout", "Deploy Checkout", "deploy_payments", "nightly", "release_web"]


def test_a_typo_finds_its_name() -> None:
    assert closest("deploy_chekout", NAMES)[0] == "deploy_checkout"
    assert "Deploy Checkout" in closest("deploy checkot", NAMES)


def test_unrelated_words_suggest_nothing() -> None:
    assert closest("zzzzqqq", NAMES) == []


def test_at_most_three_and_no_duplicates() -> None:
    found = closest("deploy", [*NAMES, "deploy_checkout"])
    assert len(found) <= 3
    assert len(found) == len(set(found))
