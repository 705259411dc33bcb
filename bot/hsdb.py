"""Hyperscan databases compiled once per machine: a copy is kept in the cache directory.

Compiling a rule set takes a good part of a second, which every short-lived
`harness-logs-bot excerpt` would pay; a serialised copy is kept in the user's cache
directory under a name derived from the patterns, the flags and the library
version. Any trouble with the cache (unwritable, stale, another CPU) just means
compiling.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

import hyperscan


def compile_database(
    expressions: list[bytes], flags: list[int], *, literal: bool = False
) -> hyperscan.Database:
    """Compile, or load the same database compiled before on this machine."""
    recipe = repr((expressions, flags, literal, metadata.version("hyperscan"))).encode()
    path = _cache_dir() / f"rules-{hashlib.sha256(recipe).hexdigest()[:24]}.hsdb"
    try:
        return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
    except (OSError, hyperscan.error):
        pass
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=expressions,
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=flags,
        literal=literal,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(hyperscan.dumpb(db))
        partial.replace(path)  # atomic: another process never reads half a file
    except OSError:
        pass
    return db


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "harness-logs"


__all__ = ["compile_database"]
