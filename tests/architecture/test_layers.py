"""The layers the README describes, checked on every import (also run by `make lint`).

    domain  <-  harness, excerpt, store  <-  service  <-  slack (edge)  <-  app / cli

`ALLOWED` says what each part may import; `KNOWN` lists accepted breaches (none).
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"

# The part of the architecture each module belongs to (by its longest matching prefix).
PARTS: dict[str, str] = {
    "bot.domain": "domain",
    "bot.clock": "util",
    "bot.config": "util",
    "bot.logging_setup": "util",
    "bot.metrics": "util",
    "bot.singleflight": "util",
    "bot.suggest": "util",
    "bot.tls": "util",
    "bot.excerpt": "excerpt",
    "bot.redaction": "excerpt",
    "bot.harness": "harness",
    "bot.store": "store",
    "bot.service": "service",
    "bot.excerpt_view": "view",
    "bot.slack": "edge",
    "bot.webhooks": "edge",
    "bot.excerpt_cli": "app",
    "bot.fetch_cli": "app",
    "bot.doctor": "app",
    "bot.app": "app",
    "bot.wiring": "app",
    "bot.web": "app",
    "bot.readiness": "app",
    "bot.cli": "app",
    "bot.sandbox": "app",
    "bot.__main__": "app",
    "bot": "app",
}
# What each part may import besides itself. Harness returns bytes and data (it does
# not scan logs); the excerpt knows no HTTP; only the service puts them together; the
# Slack-facing edge talks to the service, never to Harness or the store.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "util": {"domain"},
    "excerpt": {"domain", "util"},
    "harness": {"domain", "util"},
    "store": {"domain", "util"},
    "service": {"domain", "util", "excerpt", "harness", "store"},
    "view": {"domain", "util", "excerpt"},
    "edge": {"domain", "util", "service", "view"},
    "app": {"domain", "util", "excerpt", "harness", "store", "service", "view", "edge"},
}

# Breaches still to remove (none today). A new one fails; so does a listed one that
# is gone, so the list never hides anything.
KNOWN: set[tuple[str, str]] = set()


def _part(module: str) -> str:
    for prefix in sorted(PARTS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return PARTS[prefix]
    raise AssertionError(f"{module} belongs to no part: add it to PARTS")


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def breaches() -> set[tuple[str, str]]:
    """(importer, imported) module pairs against the rule."""
    found = set()
    for path in BOT.rglob("*.py"):
        importer = _module_name(path)
        mine = _part(importer)
        for imported in _imports(path):
            theirs = _part(imported)
            if theirs != mine and theirs not in ALLOWED[mine]:
                found.add((importer, imported))
    return found


def test_no_import_breaks_the_layers() -> None:
    new = breaches() - KNOWN
    assert not new, f"imports against the layers: {sorted(new)}"


def test_the_list_of_known_breaches_only_shrinks() -> None:
    gone = KNOWN - breaches()
    assert not gone, f"fixed, remove from KNOWN: {sorted(gone)}"


def test_every_module_belongs_to_a_part() -> None:
    for path in BOT.rglob("*.py"):
        _part(_module_name(path))


# Reading the time: the clock's, and nobody else's (bot/clock.py says why).
_CLOCK_MODULE = "bot.clock"
_TIME_READS = {
    "time": {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"},
    "datetime": {"now", "utcnow", "today"},
    "date": {"today"},
}


def time_reads(tree: ast.AST) -> list[str]:
    """Where a module reads the clock itself: `time.time()`, `datetime.now()`,
    `from time import monotonic`, an event loop's `.time()`..."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [
                f"from time import {a.name}" for a in node.names if a.name in _TIME_READS["time"]
            ]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner, attr = node.func.value, node.func.attr
        name = owner.id if isinstance(owner, ast.Name) else None
        if name in _TIME_READS and attr in _TIME_READS[name]:
            found.append(f"line {node.lineno}: {name}.{attr}()")
        elif attr == "time" and isinstance(owner, ast.Call):
            inner = owner.func
            if isinstance(inner, ast.Attribute) and inner.attr in (
                "get_running_loop",
                "get_event_loop",
            ):
                found.append(f"line {node.lineno}: loop.time()")
    return found


def test_only_the_clock_reads_the_time() -> None:
    readers = {}
    for path in BOT.rglob("*.py"):
        module = _module_name(path)
        if module != _CLOCK_MODULE and (found := time_reads(ast.parse(path.read_text()))):
            readers[module] = found
    assert not readers, f"read the time from bot.clock.Clock instead: {readers}"


def test_the_time_check_sees_every_form() -> None:
    source = """
import time, asyncio
from datetime import datetime, date
from time import monotonic
a = time.time(); b = datetime.now(); c = date.today(); d = asyncio.get_running_loop().time()
e = datetime.fromtimestamp(3)
"""
    assert len(time_reads(ast.parse(source))) == 5
