"""The failure rules (bot/excerpt/rules.py) as a Hyperscan engine: the trigger
literals and the full rule set, each compiled once per process (or loaded from the
on-disk cache, bot/hsdb.py), scanned over whole chunks of raw NDJSON with one scratch
space per thread (Hyperscan forbids sharing one across scans)."""

from __future__ import annotations

import threading
from typing import cast

import hyperscan

from bot.excerpt.rules import CASED_TRIGGERS, RULES, TRIGGERS
from bot.hsdb import compile_database

__all__ = ["match", "triggered", "warm_up"]

_database: hyperscan.Database | None = None
_triggers: hyperscan.Database | None = None
_compile_lock = threading.Lock()
_local = threading.local()


def _databases() -> tuple[hyperscan.Database, hyperscan.Database]:
    """The trigger literals and the full rule set, compiled once per process."""
    global _database, _triggers
    if _database is None or _triggers is None:
        with _compile_lock:
            if _database is None or _triggers is None:
                caseless = hyperscan.HS_FLAG_CASELESS
                words = [w.encode() for w in TRIGGERS] + [w.encode() for w in CASED_TRIGGERS]
                _triggers = compile_database(
                    words,
                    [caseless] * len(TRIGGERS) + [0] * len(CASED_TRIGGERS),
                    literal=True,
                )
                _database = compile_database(
                    [rule.pattern.encode() for rule in RULES],
                    [
                        hyperscan.HS_FLAG_MULTILINE | (caseless if rule.caseless else 0)
                        for rule in RULES
                    ],
                )
    return _triggers, _database


def warm_up() -> None:
    """Compile the rule set now (about half a second) rather than on the first log read."""
    _databases()


def _scratches() -> tuple[hyperscan.Scratch, hyperscan.Scratch]:
    """Scratch space for the calling thread (Hyperscan forbids sharing one across scans)."""
    found: tuple[hyperscan.Scratch, hyperscan.Scratch] | None = getattr(_local, "scratch", None)
    if found is None:
        triggers, rules = _databases()
        found = (hyperscan.Scratch(triggers), hyperscan.Scratch(rules))
        _local.scratch = found
    return found


def _ends(rule: int, start: int, end: int, flags: int, hits: object) -> None:
    cast(list[int], hits).append(end)


def _hits(rule: int, start: int, end: int, flags: int, hits: object) -> None:
    cast(list[tuple[int, int]], hits).append((end, rule))


def triggered(region: bytes) -> list[int]:
    """End offsets of trigger literals in `region`, in order."""
    ends: list[int] = []
    _databases()[0].scan(region, match_event_handler=_ends, context=ends, scratch=_scratches()[0])
    ends.sort()
    return ends


def match(region: bytes) -> list[tuple[int, int]]:
    """(end offset, rule) of every rule match in `region`, in order of end offset."""
    hits: list[tuple[int, int]] = []
    _databases()[1].scan(region, match_event_handler=_hits, context=hits, scratch=_scratches()[1])
    hits.sort()
    return hits
