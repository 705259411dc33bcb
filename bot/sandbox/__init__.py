"""`harness-logs-bot sandbox [--script FILE]`: try the bot without any account.

The real app runs against the Harness and Slack emulators (the `emulators`
package, installed beside `bot`). Interactively, each
line you type is sent as Slack would send it and the answer is printed; with
`--script FILE`, one line at a time from the file, the transcript printed, exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from bot.sandbox.session import HELP, Session

BANNER = "harness-logs sandbox: the real bot, with Harness and Slack emulated on this machine."


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="harness-logs-bot sandbox")
    parser.add_argument("--script", help="run the lines of FILE, print the transcript, exit")
    args = parser.parse_args(argv)
    lines: list[str] | None = None
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


async def run_session(lines: list[str] | None) -> int:
    # The transcript is the output; the app's own log only for what went wrong.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    session = Session()
    await session.start()
    try:
        if lines is not None:
            for line in lines:
                print(f"> {line}")
                if not await session.handle(line):
                    break
            return 0
        print(BANNER)
        print(HELP)
        _line_editing()
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                print()
                break
            if not await session.handle(line):
                break
        return 0
    finally:
        await session.stop()


def _line_editing() -> None:
    """Arrow keys and history at the prompt, where the platform has readline."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401


__all__ = ["main", "run_session"]
