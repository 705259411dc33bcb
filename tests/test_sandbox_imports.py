"""What ships: the wheel holds `bot` and the emulators the sandbox runs against, never
the tests; `make run` installs only the run-time dependencies, and the container
copies the packages the wheel is built from, so `harness-logs-bot sandbox` works
wherever the bot is installed."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "emulators", "tests")


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
                if top in OURS:
                    todo.append(imported)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    foreign.add(top)
    return ours, foreign


def test_the_sandbox_needs_only_run_time_dependencies_and_no_tests() -> None:
    ours, foreign = _reached("bot.sandbox.run")
    assert "emulators.harness" in ours and "emulators.slack" in ours
    assert not [name for name in ours if name.split(".")[0] == "tests"]
    # What `make run` installs: the lock (run-time dependencies and theirs).
    lock = (ROOT / "requirements.lock").read_text()
    installed = {m[1].lower().replace("_", "-") for m in re.finditer(r"^([\w.-]+)==", lock, re.M)}
    distributions = packages_distributions()
    for package in sorted(foreign):
        provided_by = {d.lower().replace("_", "-") for d in distributions.get(package, [])}
        assert provided_by & installed, f"the sandbox imports {package}, which make run lacks"


def test_the_wheel_ships_the_bot_and_the_emulators_and_no_tests(tmp_path: Path) -> None:
    # Built from a copy, as the container builds it: what the Dockerfile copies, only.
    source = tmp_path / "src"
    source.mkdir()
    copied = _dockerfile_copies()
    for name in copied:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"bot", "emulators"}
    shipped = {name.removesuffix(".py").replace("/", ".") for name in names if name.endswith(".py")}
    shipped |= {name.removesuffix(".__init__") for name in shipped}
    ours, _ = _reached("bot.sandbox.run")
    assert ours <= shipped, f"the sandbox needs modules the wheel lacks: {ours - shipped}"


def _dockerfile_copies() -> list[str]:
    """The paths of the checkout the build stage copies in (`COPY <path> ./...`)."""
    copies = re.findall(r"^COPY (?!--)(.+?) \S+$", (ROOT / "Dockerfile").read_text(), re.M)
    return [path for line in copies for path in line.split()]
