"""Who may do what inside the layers: listeners live in `bot/slack/listeners/` and are
registered in one place; the kinds of work are given to the workers in one place;
Slack and Harness clients are built by the wiring (and the health checks that probe
them), nowhere else; views are pure."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"

# Bolt's listener decorators: `app.command(...)(handler)` and friends.
LISTENER_METHODS = {"command", "action", "event", "view", "options", "shortcut", "message"}
CLIENTS = {"AsyncWebClient", "WebClient", "HarnessClient", "AsyncClient", "ClientSession"}
# Where clients may be built: the wiring, and the checks that probe Slack and Harness
# before the bot runs (doctor, readiness); the sandbox talks to its own stand-ins.
BUILDS_CLIENTS = {
    "bot/wiring.py",
    "bot/terminal/doctor.py",
    "bot/app.py",
    "bot/harness/streaming.py",
    "bot/sandbox/session.py",
}


def _sources() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def _calls(path: Path) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def test_listeners_are_registered_in_their_room_and_listed_once() -> None:
    outside = []
    for path in _sources():
        where = path.relative_to(ROOT).as_posix()
        for call in _calls(path):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in LISTENER_METHODS
                and isinstance(func.value, ast.Name)
                and func.value.id == "app"
                and not where.startswith("bot/slack/listeners/")
            ):
                outside.append(f"{where}:{call.lineno}")
    assert outside == [], "Bolt listeners outside bot/slack/listeners/"
    callers = {
        path.relative_to(ROOT).as_posix()
        for path in _sources()
        for call in _calls(path)
        if _name(call.func) == "register_listeners"
    }
    assert callers == {"bot/wiring.py"}


def test_every_kind_of_work_is_given_its_job_in_one_place() -> None:
    """A reader finds which code carries out queued work, and in which lane it waits,
    in one table (bot/wiring.py's `jobs`); no constructor or listener adds a job."""
    callers = {
        f"{path.relative_to(ROOT).as_posix()}:{call.lineno}"
        for path in _sources()
        for call in _calls(path)
        if _name(call.func) == "take_on"
    }
    assert [c.split(":")[0] for c in callers] == ["bot/wiring.py"], sorted(callers)


def test_clients_are_built_by_the_wiring_and_the_health_checks_only() -> None:
    built = {
        f"{path.relative_to(ROOT).as_posix()}:{_name(call.func)}"
        for path in _sources()
        for call in _calls(path)
        if _name(call.func) in CLIENTS
    }
    assert {b.split(":")[0] for b in built} <= BUILDS_CLIENTS, sorted(built)


def test_the_terminal_speaks_no_slack() -> None:
    """`fetch` and `excerpt` render the same outcomes in their own plain text: they share
    the service's words (bot/service/wording.py), not Slack's views."""
    for name in ("terminal/fetch.py", "terminal/excerpt.py", "excerpt_view.py"):
        tree = ast.parse((BOT / name).read_text())
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
        }
        assert not {m for m in imported if m.startswith("bot.slack")}, name


def test_views_are_pure() -> None:
    """Block Kit is built by functions of plain data: no I/O, no awaiting."""
    for path in (BOT / "slack" / "views").glob("*.py"):
        tree = ast.parse(path.read_text())
        impure = [
            n.lineno for n in ast.walk(tree) if isinstance(n, ast.Await | ast.AsyncFunctionDef)
        ]
        assert impure == [], f"{path.name}: async code at lines {impure}"
        imported = {
            alias.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for alias in n.names
        } | {
            (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
        }
        assert not imported & {"slack_sdk", "slack_bolt", "httpx", "aiohttp"}, path.name
