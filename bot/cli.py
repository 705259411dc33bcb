"""`harness-logs-bot` / `python -m bot`: parse flags, load settings, serve until a signal.

Exit codes: 0 after a clean shutdown, 2 for invalid flags or settings (one
line per problem, naming the variable, never its value).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.config import Mode, Settings, SettingsError, load_settings
from bot.logging_setup import configure_logging

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness-logs-bot",
        description="Slack app that posts Harness execution logs into channels.",
        epilog=(
            "subcommands (serving is the default):\n"
            "  excerpt FILE|- [--full] [--json]   the excerpt the bot would post for a local log"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--mode",
        choices=("socket", "http"),
        help="Slack connection: socket (default when SLACK_APP_TOKEN is set) or http",
    )
    parser.add_argument("--port", type=int, help="HTTP port (default: PORT, else 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")  # noqa: S104
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["excerpt"]:
        from bot.excerpt_cli import main as excerpt_main

        return excerpt_main(argv[1:])
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
    configure_logging(settings.log_level, settings.secrets())
    port = args.port if args.port is not None else settings.port
    try:
        asyncio.run(serve(settings, mode, args.host, port))
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

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    app = await BotApp.create(settings, mode)
    try:
        await app.start(host, port)
        await stop.wait()
        log.info("shutting down")
    finally:
        await app.stop()
