"""Closest names by edit distance, for "did you mean" suggestions."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from rapidfuzz.utils import default_process


def closest(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Up to `limit` candidates nearest to `name`, ignoring case and punctuation.

    A candidate qualifies when at most ~60% of its characters differ, so a typo
    finds its pipeline but an unrelated word does not drag in noise.
    """
    unique = list(dict.fromkeys(c for c in candidates if c))
    matches = process.extract(
        name,
        unique,
        scorer=Levenshtein.normalized_distance,
        processor=default_process,
        limit=limit,
        score_cutoff=0.6,
    )
    return [match for match, _score, _index in matches]
