"""Which of the redaction's regular expressions can match a line: one Hyperscan scan.

Redaction runs some 150 expressions (ours, the vendor formats, detect-secrets'
catalogue), and most lines hold no secret at all. Running each with Python's `re`
costs about 200 µs a line; one Hyperscan scan over all of them, compiled in
prefilter mode (which accepts every construct Python's `re` has, by matching a
superset where it cannot match exactly), costs a few µs and names the few
expressions worth running. A prefilter may say yes wrongly, never no wrongly: that is
what prefilter mode promises, and the tests check it against the secret corpus.
Hyperscan reads word, space and boundary classes as ASCII does (compiling them for
Unicode takes ten seconds), which is what Python's `re` does on printable ASCII; a
line holding anything else is not prefiltered: every expression runs on it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import cast

import hyperscan

from bot.hsdb import compile_database


class Prefilter:
    """A fixed list of expressions; `possible(text)` is the set of those that may match."""

    def __init__(self, expressions: Sequence[re.Pattern[str]]) -> None:
        self._expressions = tuple(dict.fromkeys(expressions))  # once each, in order
        self._all = frozenset(self._expressions)
        self._database: hyperscan.Database | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _scratch(self) -> tuple[hyperscan.Database, hyperscan.Scratch]:
        if self._database is None:
            with self._lock:
                if self._database is None:
                    self._database = compile_database(
                        [e.pattern.encode() for e in self._expressions],
                        [_flags(e) for e in self._expressions],
                    )
        scratch: hyperscan.Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            # Hyperscan forbids sharing scratch space between threads scanning at once.
            scratch = hyperscan.Scratch(self._database)
            self._local.scratch = scratch
        return self._database, scratch

    @property
    def expressions(self) -> tuple[re.Pattern[str], ...]:
        return self._expressions

    def warm_up(self) -> None:
        """Compile (or load) the database now rather than on the first line."""
        self._scratch()

    def possible(self, text: str) -> frozenset[re.Pattern[str]]:
        if not _PLAIN.fullmatch(text):
            return self._all
        database, scratch = self._scratch()
        found: list[int] = []
        database.scan(
            text.encode("ascii"),
            match_event_handler=_collect,
            context=found,
            scratch=scratch,
        )
        return frozenset(self._expressions[i] for i in found)


_PLAIN = re.compile(r"[\t\x20-\x7e]*")


def _collect(expression: int, start: int, end: int, flags: int, found: object) -> None:
    cast(list[int], found).append(expression)


def _flags(expression: re.Pattern[str]) -> int:
    flags = (
        hyperscan.HS_FLAG_PREFILTER
        | hyperscan.HS_FLAG_SINGLEMATCH  # which expressions, not where: one report each
        | hyperscan.HS_FLAG_ALLOWEMPTY
    )
    if expression.flags & re.IGNORECASE:
        flags |= hyperscan.HS_FLAG_CASELESS
    if expression.flags & re.DOTALL:
        flags |= hyperscan.HS_FLAG_DOTALL
    if expression.flags & re.MULTILINE:
        flags |= hyperscan.HS_FLAG_MULTILINE
    return flags


__all__ = ["Prefilter"]
