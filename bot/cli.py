"""`harness-logs-bot` / `python -m bot`: parse flags, load settings, serve until a signal;
or one of the terminal subcommands (`excerpt`, `fetch`, `doctor`, `sandbox`).

Exit codes, for every subcommand: 0 done (serving: after a clean shutdown), 1 a service
reported a problem, 2 bad input or settings (one line per problem, naming the
variable, never its value), 130 interrupted (Ctrl-C), 141 the output was closed
(`… | head`). Neither of the last two prints a traceback.

The parser tree is also what shell completion reads (argcomplete): see the README.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from bot.config import Mode, Settings, SettingsError, StartupError, load_settings

log = logging.getLogger("bot")
T = TypeVar("T")

PROG = "harness-logs-bot"
INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports when the reader went away

EXIT_CODES = """\
exit codes:
  0    done
  1    a service (Harness, Slack) reported a problem
  2    bad input or settings
  130  interrupted (Ctrl-C)
  141  the output was closed (… | head)"""

FETCH_EPILOG = f"""\
The words are those of the slash command, /harness-logs in Slack:
  <pipeline> [<run>] [<stage>[/<step>]] [in <org>/<project>]
  <Harness execution URL>
Pipelines, stages and steps by identifier or display name, any case; no run means
the latest. A run number needs no #: a shell reads an unquoted #42 as a comment
(write 42, or quote it: '#42').

examples:
  {PROG} fetch deploy_checkout                  the latest run
  {PROG} fetch deploy_checkout 42               run #42
  {PROG} fetch deploy_checkout 42 deploy_prod/rollout
  {PROG} fetch "Deploy Checkout" 42 "Deploy Prod/Rollout"
  {PROG} fetch deploy_checkout in payments/checkout --json
  {PROG} fetch 'https://app.harness.io/ng/account/…/executions/…/pipeline'

Needs only the Harness settings (HARNESS_API_KEY, HARNESS_ACCOUNT_ID,
HARNESS_DEFAULT_PROJECT, …), from the environment or .env.

{EXIT_CODES}"""

DOCTOR_EPILOG = """\
Checks the Slack bot token and its scopes against manifest.yml, the app token (Socket
Mode), the signing secret's shape (HTTP mode), the Harness key's access to the default
project, the store, the webhook token and the access policy file. One line each;
never prints a secret.

exit codes:
  0    everything works
  1    something does not (the lines with ✗ say what, and how to fix it)
  2    the settings cannot be read (missing or invalid: one line each)"""

SANDBOX_EPILOG = f"""\
No account or settings needed. Type what you would type in Slack (/harness-logs …) or
a sandbox command (!help lists them). Ctrl-D or !quit leaves; so does Ctrl-C.

{EXIT_CODES}"""

# name: (one line for the list of subcommands, description, epilog)
_SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "excerpt": (
        "the excerpt the bot would post for a local log file",
        "Print the excerpt the bot would post for a local log file.",
        EXIT_CODES,
    ),
    "fetch": (
        "what /harness-logs would post, in the terminal",
        "The slash command's lookup, export and excerpt in a terminal: the run's status, "
        "what failed (headline and excerpt of each failed step) and the download link.",
        FETCH_EPILOG,
    ),
    "doctor": (
        "the settings checked against the real Slack and Harness",
        "Check the settings against the real services, one line each.",
        DOCTOR_EPILOG,
    ),
    "sandbox": (
        "the real bot against emulated Slack and Harness, at a prompt",
        "Try the bot without any account: the real app against the Harness and Slack "
        "emulators, on this machine.",
        SANDBOX_EPILOG,
    ),
}
SUBCOMMANDS = tuple(_SUBCOMMANDS)


def package_version() -> str:
    try:
        return version("harness-logs")
    except PackageNotFoundError:  # pragma: no cover (run from a tree that is not installed)
        return "unknown"


def _fetch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "words",
        nargs="*",
        metavar="WORD",
        help="what you would type after /harness-logs (see below)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--script", metavar="FILE", help="run the lines of FILE, print the transcript, exit"
    )


def _excerpt_parent() -> argparse.ArgumentParser:
    from bot.terminal.excerpt import build_parser as excerpt_parser

    return excerpt_parser()


_ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "fetch": _fetch_arguments,
    "doctor": lambda parser: None,
    "sandbox": _sandbox_arguments,
}


def subcommand_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one subcommand, as its module's `main` uses it."""
    _line, description, epilog = _SUBCOMMANDS[name]
    parser = argparse.ArgumentParser(
        prog=f"{PROG} {name}",
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _ARGUMENTS[name](parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Slack app that posts Harness execution logs into channels.\n"
        "Without a subcommand it serves the bot (settings from the environment or .env).",
        epilog=f"`{PROG} COMMAND --help` says more about each.\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument(
        "--mode",
        choices=("socket", "http"),
        help="Slack connection: socket (default when SLACK_APP_TOKEN is set) or http",
    )
    parser.add_argument("--port", type=int, help="HTTP port (default: PORT, else 3000)")
    parser.add_argument("--host", help="HTTP bind address (default: HOST, else 0.0.0.0)")
    commands = parser.add_subparsers(
        title="subcommands (serving the bot is the default)", dest="command"
    )
    for name, (line, description, epilog) in _SUBCOMMANDS.items():
        if name == "excerpt":
            # Its flags are the excerpt module's own; only its words are added here.
            commands.add_parser(
                name,
                parents=[_excerpt_parent()],
                add_help=False,
                help=line,
                description=description,
                epilog=epilog,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            continue
        sub = commands.add_parser(
            name,
            help=line,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _ARGUMENTS[name](sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return quietly(lambda: _main(sys.argv[1:] if argv is None else argv))


def quietly(run: Callable[[], int]) -> int:
    """`run()`, with Ctrl-C and a closed output ending it the way a shell expects: exit
    130 or 141, no traceback."""
    try:
        return run()
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # Whatever is still buffered would fail again when Python flushes at exit.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return PIPE_CLOSED


def _main(argv: list[str]) -> int:
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions, then this exits
        import argcomplete

        argcomplete.autocomplete(build_parser())
    if argv[:1] == ["excerpt"]:
        from bot.terminal.excerpt import main as excerpt_main

        return excerpt_main(argv[1:])
    if argv[:1] == ["doctor"]:
        from bot.terminal.doctor import main as doctor_main

        return doctor_main(argv[1:])
    if argv[:1] == ["fetch"]:
        from bot.terminal.fetch import main as fetch_main

        return fetch_main(argv[1:])
    if argv[:1] == ["sandbox"]:
        from bot.sandbox import main as sandbox_main

        return sandbox_main(argv[1:])
    parser = build_parser()
    if argv and not argv[0].startswith("-"):
        return _unknown_subcommand(parser, argv[0])
    args = parser.parse_args(argv)
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
    from bot.logging_setup import configure_logging

    configure_logging(settings.log_level, settings.secrets(), settings.log_format)
    port = args.port if args.port is not None else settings.port
    host = args.host or settings.host
    try:
        asyncio.run(serve(settings, mode, host, port))
    except StartupError as exc:
        print(f"{PROG}: cannot start", file=sys.stderr)
        print(f"  {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.error("could not start: %s", exc)
        return 1
    return 0


def _unknown_subcommand(parser: argparse.ArgumentParser, word: str) -> int:
    from bot.suggest import closest

    near = closest(word, SUBCOMMANDS, limit=1)
    hint = f"; did you mean `{PROG} {near[0]}`?" if near else ""
    parser.print_usage(sys.stderr)
    print(f"{PROG}: `{word}` is not a subcommand{hint}", file=sys.stderr)
    print(f"  subcommands: {', '.join(SUBCOMMANDS)} (none: serve the bot)", file=sys.stderr)
    return 2


def _refuse(problems: list[str]) -> int:
    print(f"{PROG}: invalid settings", file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    return 2


async def serve(settings: Settings, mode: Mode, host: str, port: int) -> None:
    # Imported here: Bolt, the HTTP clients and the store are not needed by the
    # terminal subcommands, which should start in a blink.
    from bot.app import BotApp
    from bot.clock import Clock
    from bot.service.policy import PolicyError
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
