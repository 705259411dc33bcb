"""`harness-logs-bot` / `python -m bot`: parse flags, load settings, serve until a signal.

Exit codes: 0 after a clean shutdown, 2 for invalid flags or settings or a
start-up that cannot work (a store that does not open, an app token Slack
refuses): one line per problem, naming the variable, never its value.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from bot.config import Mode, Settings, SettingsError, StartupError, load_settings
from bot.logging_setup import configure_logging

log = logging.getLogger("bot")
T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness-logs-bot",
        description="Slack app that posts Harness execution logs into channels.",
        epilog=(
            "subcommands (serving is the default):\n"
            "  excerpt FILE|- [--full] [--json] [--green GREEN_FILE]\n"
            "                                     the excerpt the bot would post for a local log\n"
            "  fetch <command words> [--json]     what /harness-logs would post, in the terminal\n"
            "  doctor                             the settings checked against the real services\n"
            "  sandbox [--script FILE]            the real bot against emulated Slack and Harness"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--mode",
        choices=("socket", "http"),
        help="Slack connection: socket (default when SLACK_APP_TOKEN is set) or http",
    )
    parser.add_argument("--port", type=int, help="HTTP port (default: PORT, else 3000)")
    parser.add_argument("--host", help="HTTP bind address (default: HOST, else 0.0.0.0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["excerpt"]:
        from bot.excerpt_cli import main as excerpt_main

        return excerpt_main(argv[1:])
    if argv[:1] == ["doctor"]:
        from bot.doctor import main as doctor_main

        return doctor_main(argv[1:])
    if argv[:1] == ["fetch"]:
        from bot.fetch_cli import main as fetch_main

        return fetch_main(argv[1:])
    if argv[:1] == ["sandbox"]:
        from bot.sandbox import main as sandbox_main

        return sandbox_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _refuse(exc.problems)
    mode: Mode = args.mode or settings.default_mode()
    problems = settings.problems_for_mode(mode)
    if args.port is not None and not 0 <= args.port <= 65535:
        problems.append("--port: must be between 0 and 65535")
    if problems:
        return _refuse(problems)
    configure_logging(settings.log_level, settings.secrets(), settings.log_format)
    port = args.port if args.port is not None else settings.port
    host = args.host or settings.host
    try:
        asyncio.run(serve(settings, mode, host, port))
    except StartupError as exc:
        print("harness-logs-bot: cannot start", file=sys.stderr)
        print(f"  {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.error("could not start: %s", exc)
        return 1
    return 0


def _refuse(problems: list[str]) -> int:
    print("harness-logs-bot: invalid settings", file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    return 2


async def serve(settings: Settings, mode: Mode, host: str, port: int) -> None:
    # Imported here: Bolt, the HTTP clients and the store are not needed by the
    # terminal subcommands, which should start in a blink.
    from bot.app import BotApp
    from bot.clock import Clock
    from bot.service.access import PolicyError
    from bot.store import StoreUnavailable, StoreUrlError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        app = await _until(stop, BotApp.create(settings, mode, Clock()))
    except PolicyError as exc:
        raise StartupError(f"ACCESS_POLICY_FILE: {exc}") from None
    except (StoreUnavailable, StoreUrlError) as exc:
        raise StartupError(f"BOT_STORE_URL: cannot open the store ({exc})") from None
    if app is None:
        return  # a signal while opening the store
    loop.add_signal_handler(signal.SIGHUP, app.reload_policy)
    try:
        # Connecting Socket Mode can take a while (or fail): a signal still stops it.
        if await _until(stop, app.start(host, port)) is not None:
            await stop.wait()
        log.info("shutting down")
    finally:
        await app.stop()


async def _until(stop: asyncio.Event, step: Coroutine[Any, Any, T]) -> T | None:
    """`step`'s result, or None when `stop` is set first (the step is cancelled)."""
    task = asyncio.ensure_future(step)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None
