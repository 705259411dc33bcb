"""The layers the README describes, checked on every import (also run by `make lint`).

    domain  <-  harness, excerpt, store  <-  service  <-  slack (edge)  <-  app / cli

`ALLOWED` says what each part may import; `KNOWN` lists accepted breaches (none).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
EMULATORS = ROOT / "emulators"

# The part of the architecture each module belongs to (by its longest matching prefix).
PARTS: dict[str, str] = {
    "bot.domain": "domain",
    "bot.clock": "util",
    "bot.config": "util",
    "bot.hsdb": "util",
    "bot.logging_setup": "util",
    "bot.metrics": "util",
    "bot.singleflight": "util",
    "bot.sharedflight": "util",
    "bot.suggest": "util",
    "bot.tls": "util",
    "bot.proxies": "util",
    "bot.excerpt": "excerpt",
    "bot.harness": "harness",
    "bot.store": "store",
    "bot.service": "service",
    "bot.excerpt_view": "view",
    "bot.slack": "edge",
    "bot.webhooks": "app",  # the HTTP route; the schema is bot.harness.notifications
    "bot.terminal.excerpt": "app",
    "bot.terminal.fetch": "app",
    "bot.terminal.doctor": "app",
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


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, root: Path) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, absolute or relative, by its full name
    (`from bot.slack.views import messages` names `bot.slack.views.messages`)."""
    importer = _module_name(path, root)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if _is_module(child, root) else base)
    return found


def _imports(path: Path, root: Path) -> set[str]:
    return {name for name in imported_modules(path, root) if name.split(".")[0] == "bot"}


def breaches(root: Path = ROOT) -> set[tuple[str, str]]:
    """(importer, imported) module pairs against the rule."""
    found: set[tuple[str, str]] = set()
    for path in (root / "bot").rglob("*.py"):
        importer = _module_name(path, root)
        mine = _part(importer)
        for imported in _imports(path, root):
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


# Between the top-level packages: the bot never reaches into the tests; the emulators
# are independent references, so they know nothing of the bot (nor of the tests); only
# the sandbox, which runs the real bot against them, knows the emulators.
FOREIGN: dict[str, set[str]] = {"bot": {"tests", "emulators"}, "emulators": {"bot", "tests"}}
MAY_KNOW_EMULATORS = "bot.sandbox"


def package_breaches(root: Path = ROOT) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for top, forbidden in FOREIGN.items():
        for path in (root / top).rglob("*.py"):
            importer = _module_name(path, root)
            for imported in imported_modules(path, root):
                theirs = imported.split(".")[0]
                if theirs not in forbidden:
                    continue
                if theirs == "emulators" and (importer + ".").startswith(MAY_KNOW_EMULATORS + "."):
                    continue
                found.add((importer, imported))
    return found


def test_the_bot_and_the_emulators_stay_apart() -> None:
    assert not package_breaches(), sorted(package_breaches())


def test_relative_imports_count_like_absolute_ones(tmp_path: Path) -> None:
    """`from ..store import sqlite` in the Slack edge, or `from ... import bot` in an
    emulator, is caught as its absolute spelling would be."""
    files = {
        "bot/__init__.py": "",
        "bot/slack/__init__.py": "",
        "bot/slack/edge.py": "from ..store import sqlite\nfrom . import edge\n",
        "bot/store/__init__.py": "",
        "bot/store/sqlite.py": "",
        "emulators/__init__.py": "",
        "emulators/slack/__init__.py": "from ...bot.store import sqlite\nfrom .. import clock\n",
        "emulators/clock.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edge = imported_modules(tmp_path / "bot/slack/edge.py", tmp_path)
    assert edge == {"bot.store.sqlite", "bot.slack.edge"}
    assert ("bot.slack.edge", "bot.store.sqlite") in breaches(tmp_path)
    emulator = imported_modules(tmp_path / "emulators/slack/__init__.py", tmp_path)
    assert emulator == {"bot.store.sqlite", "emulators.clock"}
    assert ("emulators.slack", "bot.store.sqlite") in package_breaches(tmp_path)


# Reading the time: the clock's, and nobody else's (bot/clock.py says why).
_CLOCK_READS = {
    "time": {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"},
    "datetime": {"now", "utcnow", "today"},
    "date": {"today"},
}
# These read the clock only when given no time of their own (the first argument, or the
# second for strftime).
_CLOCK_READS_BARE = {"localtime": 0, "gmtime": 0, "ctime": 0, "asctime": 0, "strftime": 1}


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local names of the modules and classes that read the clock, whatever they are
    imported as: `import time as t` gives {"t": "time"}; `import datetime as dt`,
    {"dt": "datetime module"}; `from datetime import datetime as DT`, {"DT": "datetime"}."""
    names = {"time": "time", "datetime": "datetime", "date": "date"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("time", "datetime"):
                    kind = "time" if alias.name == "time" else "datetime module"
                    names[alias.asname or alias.name] = kind
        elif isinstance(node, ast.ImportFrom) and node.module == "datetime":
            for alias in node.names:
                if alias.name in ("datetime", "date"):
                    names[alias.asname or alias.name] = alias.name
    return names


def time_reads(tree: ast.AST) -> list[str]:
    """Where a module reads the clock itself: `time.time()` (or through an alias),
    `datetime.now()`, `datetime.datetime.now()`, `from time import monotonic`,
    `time.strftime(fmt)`, an event loop's `.time()`, directly or kept in a name..."""
    aliases = _aliases(tree)
    loops = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr in ("get_running_loop", "get_event_loop")
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            reads = _CLOCK_READS["time"] | set(_CLOCK_READS_BARE)
            found += [f"from time import {a.name}" for a in node.names if a.name in reads]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner, attr = node.func.value, node.func.attr
        kind = aliases.get(owner.id) if isinstance(owner, ast.Name) else None
        if isinstance(owner, ast.Attribute) and owner.attr in _CLOCK_READS:
            module = owner.value  # datetime.datetime.now(), datetime.date.today()
            if isinstance(module, ast.Name) and aliases.get(module.id) == "datetime module":
                kind = owner.attr
        where = f"line {node.lineno}"
        if kind in _CLOCK_READS and attr in _CLOCK_READS[kind]:
            found.append(f"{where}: {kind}.{attr}()")
        elif kind == "time" and attr in _CLOCK_READS_BARE:
            if len(node.args) <= _CLOCK_READS_BARE[attr]:
                found.append(f"{where}: time.{attr}() of now")
        elif attr == "time" and not node.args:
            inner = owner.func if isinstance(owner, ast.Call) else None
            direct = isinstance(inner, ast.Attribute) and inner.attr in (
                "get_running_loop",
                "get_event_loop",
            )
            if direct or (isinstance(owner, ast.Name) and owner.id in loops):
                found.append(f"{where}: loop.time()")
    return found


def test_only_the_clock_reads_the_time() -> None:
    """In the bot and in the emulators alike: each has one clock, passed in."""
    readers = {}
    for clock, package in (("bot.clock", BOT), ("emulators.clock", EMULATORS)):
        for path in package.rglob("*.py"):
            module = _module_name(path)
            if module != clock and (found := time_reads(ast.parse(path.read_text()))):
                readers[module] = found
    assert not readers, f"read the time from the package's clock instead: {readers}"


# A date written into code: an ISO date, a datetime(...) of a year, or an epoch in
# seconds or milliseconds from this century (10 or 13 digits, underscores or not).
_DATE_LITERALS = re.compile(
    r"\b(?:19|20)\d\d-[01]\d-[0-3]\d|datetime\(\s*(?:19|20)\d\d\b|(?<![\w/-])1[_\d]{9,16}(?![\w/-])"
)


def date_literals(source: str) -> list[str]:
    found = []
    for match in _DATE_LITERALS.finditer(source):
        text = match[0]
        if text[0] == "1" and "-" not in text and len(text.replace("_", "")) not in (10, 13):
            continue  # a number, not an epoch
        found.append(text)
    return found


def test_the_emulators_write_no_date_of_their_own() -> None:
    """Every time they hand out is relative to their clock, so they work on any day."""
    found = {
        _module_name(path): dates
        for path in EMULATORS.rglob("*.py")
        if (dates := date_literals(path.read_text()))
    }
    assert not found, found


def test_the_date_check_sees_every_form() -> None:
    source = 'a = "2026-11-27T10:03:21Z"; b = datetime(2025, 11, 20); c = 1_763_632_800_000\n'
    source += "d = 1763700000.000100; e = 86_400; f = 1_000_000.0\n"
    source += 'g = "xoxb-1111111111-2222222222"; h = "/commands/T0/1234567890/r1"\n'
    assert date_literals(source) == [
        "2026-11-27",
        "datetime(2025",
        "1_763_632_800_000",
        "1763700000",
    ]


def test_the_time_check_sees_every_form() -> None:
    source = """
import time, asyncio
import time as t
import datetime as dt
from datetime import datetime, date
from datetime import datetime as DT
from time import monotonic
a = time.time(); b = datetime.now(); c = date.today(); d = asyncio.get_running_loop().time()
e = t.monotonic(); f = dt.datetime.now(); g = DT.utcnow(); h = time.strftime("%H")
loop = asyncio.get_running_loop()
i = loop.time()
not_reads = (datetime.fromtimestamp(3), time.strftime("%H", (0,) * 9), self._clock.time())
"""
    found = time_reads(ast.parse(source))
    assert len(found) == 10, found
