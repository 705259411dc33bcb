"""The compiled rule set: cached between processes, and any cache trouble just compiles."""

from __future__ import annotations

from pathlib import Path

import hyperscan
import pytest

from bot.hsdb import compile_database


def _matches(db: hyperscan.Database, text: bytes) -> list[int]:
    hits: list[int] = []
    db.scan(
        text,
        match_event_handler=lambda rule, *_: hits.append(rule),
        scratch=hyperscan.Scratch(db),  # a loaded database has no scratch of its own
    )
    return hits


def test_a_compiled_database_is_cached_and_a_broken_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    patterns, flags = [b"fatal", b"panic"], [0, 0]
    first = compile_database(patterns, flags, literal=True)
    (cached,) = (tmp_path / "harness-logs").glob("rules-*.hsdb")
    again = compile_database(patterns, flags, literal=True)  # loaded from the file
    assert _matches(first, b"fatal panic") == _matches(again, b"fatal panic") == [0, 1]
    cached.write_bytes(b"not a database")
    rebuilt = compile_database(patterns, flags, literal=True)
    assert _matches(rebuilt, b"a panic") == [1]
    assert cached.read_bytes() != b"not a database"  # and the cache is mended


def test_an_unwritable_cache_still_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no-such-place")
    db = compile_database([b"oops"], [0], literal=True)
    assert _matches(db, b"oops") == [0]
