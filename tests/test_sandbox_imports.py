"""`make run` installs only the run-time dependencies, and the sandbox imports the
emulators: everything it reaches must be installed by `make run`."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _reached(start: str) -> tuple[set[str], set[str]]:
    """(our modules, third-party top-level packages) imported from `start`, transitively."""
    ours: set[str] = set()
    foreign: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in ours or (path := _module_file(name)) is None:
            continue
        ours.add(name)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for imported in names:
                top = imported.split(".")[0]
                if top in ("bot", "tests"):
                    todo.append(imported)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    foreign.add(top)
    return ours, foreign


def test_the_sandbox_needs_only_run_time_dependencies() -> None:
    ours, foreign = _reached("bot.sandbox.run")
    assert "tests.emulators.harness" in ours
    assert not any(name == "tests.conftest" or name.startswith("tests.test_") for name in ours)
    # What `make run` installs: the lock (run-time dependencies and theirs).
    lock = (ROOT / "requirements.lock").read_text()
    installed = {m[1].lower().replace("_", "-") for m in re.finditer(r"^([\w.-]+)==", lock, re.M)}
    distributions = packages_distributions()
    for package in sorted(foreign):
        provided_by = {d.lower().replace("_", "-") for d in distributions.get(package, [])}
        assert provided_by & installed, f"the sandbox imports {package}, which make run lacks"
