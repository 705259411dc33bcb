"""How much of a log the scanner keeps: the settings of one excerpt read.

The excerpt's data (lines, gaps, budgets) is plain domain data: bot/domain/excerpt.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExcerptSettings:
    before: int = 4  # context lines kept before each failure line
    after: int = 2  # and after it
    tail: int = 15  # last lines of the log
    max_line_chars: int = 500
    keep_bytes: int = 8192  # per raw line kept; enough to recover 300 characters of text
    first: int = 12  # earliest failure lines kept whatever comes later: the root cause
    best: int = 48  # highest-scoring failure lines kept
    last: int = 16  # latest failure lines kept: how the run ended
    summaries: int = 8  # latest summary lines (counts, exit codes), however many errors follow

    @classmethod
    def full(cls) -> ExcerptSettings:
        """The longer excerpt behind "Show full excerpt"."""
        return cls(before=10, after=6, tail=60, first=24, best=96, last=32, summaries=16)


__all__ = ["ExcerptSettings"]
