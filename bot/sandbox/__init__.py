"""`harness-logs-bot sandbox [--script FILE]`: try the bot without any account.

The real app runs against the Harness and Slack emulators (the `emulators`
package, installed beside `bot`). Interactively, each
line you type is sent as Slack would send it and the answer is printed; with
`--script FILE`, one line at a time from the file, the transcript printed, exit 0.

At the prompt the event loop runs in a thread of its own and the prompt in the main
thread: Ctrl-C then interrupts whatever is happening at once (the prompt itself, or
a command still being answered) and ends the session quietly with exit code 130,
where an `input()` in a worker thread would wait for Enter first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bot.sandbox.session import Session

T = TypeVar("T")

BANNER = (
    "harness-logs sandbox: the real bot, with Harness and Slack emulated on this machine.\n"
    "Type what you would type in Slack, e.g. /harness-logs deploy_checkout, or !help for "
    "everything else (!quit, Ctrl-D or Ctrl-C leaves)."
)
INTERRUPTED = 130


def main(argv: list[str]) -> int:
    from bot.cli import subcommand_parser

    args = subcommand_parser("sandbox").parse_args(argv)
    if args.script:
        try:
            lines = Path(args.script).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(
                f"harness-logs-bot sandbox: cannot read {args.script}: {exc.strerror}",
                file=sys.stderr,
            )
            return 2
        return asyncio.run(run_session(lines))
    return prompt()


def _quiet_logs() -> None:
    # The transcript is the output; the app's own log only for what went wrong.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


async def run_session(lines: list[str]) -> int:
    """The lines of a script, each printed before what it did."""
    _quiet_logs()
    session = Session()
    await session.start()
    try:
        for line in lines:
            print(f"> {line}")
            if not await session.handle(line):
                break
        return 0
    finally:
        await session.stop()


class _Loop:
    """An event loop in a daemon thread, for coroutines the main thread waits on."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # Ctrl-C must reach the main thread: a SIGINT taken by this thread (or by the
        # threads it starts, which inherit the mask) would leave the prompt waiting.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` there and wait for it here; Ctrl-C cancels it."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            with contextlib.suppress(concurrent.futures.CancelledError, Exception):
                future.result(timeout=10)
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


def prompt() -> int:
    """The interactive session: a prompt in this thread, the bot in the loop's."""
    _quiet_logs()
    _line_editing()
    loop = _Loop()
    session = Session()
    try:
        print("Starting the bot and the emulators …", flush=True)
        loop.run(session.start())
        print(BANNER)
        while True:
            try:
                line = input("> ")
            except EOFError:
                print()
                return 0
            if not loop.run(session.handle(line)):
                return 0
    except KeyboardInterrupt:
        print()  # the prompt's line is left with ^C on it
        return INTERRUPTED
    finally:
        # Stopping takes a moment; a second Ctrl-C meanwhile ends the process at once.
        signal.signal(signal.SIGINT, lambda _signal, _frame: os._exit(INTERRUPTED))
        with contextlib.suppress(Exception):
            loop.run(session.stop())
        loop.close()


def _line_editing() -> None:
    """Arrow keys and history at the prompt, where the platform has readline."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401


__all__ = ["main", "prompt", "run_session"]
