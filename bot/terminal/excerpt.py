"""`harness-logs-bot excerpt FILE|- [--full] [--json] [--green GREEN_FILE]`: the post's
excerpt of a local log.

Needs no settings: it runs the same scanner, ranking and redaction as the bot
on a downloaded log (Harness NDJSON, plain text, `.gz` or an export `logs.zip`)
and prints the text the post would show, so it is also how excerpt quality is
measured on real failure logs. With `--green`, the same step's log from the last
green run is read as the bot reads it (into the shapes of its failure-looking
lines) and the excerpt is compared with it, as posts are when that run is known.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from bot.excerpt import (
    FULL_CHARS,
    MESSAGE_CHARS,
    MESSAGE_LINE_CHARS,
    Excerpt,
    ExcerptSettings,
    LogShapes,
    collect_stream,
    line_shapes,
)
from bot.excerpt.redaction import Redactor
from bot.excerpt_view import excerpt_text

_CHUNK = 1 << 16


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness-logs-bot excerpt",
        description="Print the excerpt the bot would post for a local log file.",
    )
    parser.add_argument(
        "file", help="a log: Harness NDJSON, plain text, .gz or logs.zip; - for stdin"
    )
    parser.add_argument("--full", action="store_true", help='the longer "Show full excerpt" text')
    parser.add_argument("--json", action="store_true", help="print a JSON object instead")
    parser.add_argument(
        "--green",
        metavar="GREEN_FILE",
        help="the same step's log from the last green run (same forms as FILE): failure "
        "lines it printed too rank lower, as in posts that compare with the last success",
    )
    return parser


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


_HEAD = 8192  # what is read to tell a log from binary data


def _binary(head: bytes) -> bool:
    """Whether the start of a file is binary data rather than a log (an executable, an
    image): logs hold no NUL bytes and few control characters besides colour codes."""
    if head.startswith(_GZIP_MAGIC):
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, _HEAD)
        except zlib.error:
            return False  # cut short or damaged: reading it says so
    if head.startswith(_ZIP_MAGIC):
        return False  # an export: its files are the logs
    if b"\0" in head:
        return True
    control = sum(1 for byte in head if byte < 32 and byte not in _TEXT_CONTROLS)
    return control > len(head) // 10


_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")


class NotALog(Exception):
    """The input is not a log: empty, or binary data."""


class _Input:
    """A log to excerpt, from a file or from standard input (read once, kept for a
    second excerpt of another length)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._data: bytes | None = None

    def check(self) -> None:
        """Raise NotALog for binary data, before anything is scanned."""
        if self.path == "-":
            self._data = sys.stdin.buffer.read()
            head = self._data[: 2 * _HEAD]
        else:
            with open(self.path, "rb") as stream:
                head = stream.read(2 * _HEAD)
        if _binary(head):
            raise NotALog(f"{_shown(self.path)} is binary data, not a log")

    def excerpt(self, settings: ExcerptSettings, green: LogShapes | None) -> Excerpt:
        if self.path == "-":
            if self._data is None:
                self._data = sys.stdin.buffer.read()
            collector = collect_stream(iter([self._data]), Redactor(), settings)
        else:
            with open(self.path, "rb") as stream:
                collector = collect_stream(_chunks(stream), Redactor(), settings)
        return collector.excerpt(green.shapes) if green is not None else collector.excerpt()


def read_green(path: str) -> LogShapes | None:
    """What the green log printed, as the bot keeps it; None when it printed nothing
    (the bot then leaves the comparison out)."""
    if path == "-":
        data = sys.stdin.buffer.read()
        head = data[: 2 * _HEAD]
        if _binary(head):
            raise NotALog(f"{_shown(path)} is binary data, not a log")
        shapes = line_shapes(iter([data]))
    else:
        with open(path, "rb") as stream:
            if _binary(stream.read(2 * _HEAD)):
                raise NotALog(f"{_shown(path)} is binary data, not a log")
            stream.seek(0)
            shapes = line_shapes(_chunks(stream))
    return shapes if shapes.lines else None


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.file == "-" and args.green == "-":
        print("harness-logs-bot excerpt: only one of FILE and GREEN_FILE can be -", file=sys.stderr)
        return 2
    log = _Input(args.file)
    reading = args.file
    try:
        green = None
        if args.green is not None:
            reading = args.green
            green = read_green(args.green)
            reading = args.file
        log.check()
        if args.json:
            excerpt = log.excerpt(ExcerptSettings(), green)
            full = log.excerpt(ExcerptSettings.full(), green)
        else:
            excerpt = full = log.excerpt(
                ExcerptSettings.full() if args.full else ExcerptSettings(), green
            )
        if excerpt.empty:
            raise NotALog(f"{_shown(args.file)} is empty: there is no log to excerpt")
    except OSError as exc:
        print(f"harness-logs-bot excerpt: cannot read {reading}: {exc.strerror}", file=sys.stderr)
        return 2
    except NotALog as exc:
        print(f"harness-logs-bot excerpt: {exc}", file=sys.stderr)
        return 2
    compared = _green_name(args.green) if green is not None else None
    if args.json:
        print(
            json.dumps(
                {
                    "headline": excerpt.headline,
                    "category": excerpt.kind.value,
                    "excerpt": excerpt_text(
                        excerpt, MESSAGE_CHARS, MESSAGE_LINE_CHARS, compared_with=compared
                    ),
                    "full": excerpt_text(full, FULL_CHARS, compared_with=compared),
                    "total_lines": excerpt.total_lines,
                    "error_lines": excerpt.error_lines,
                },
                ensure_ascii=False,
            )
        )
    elif args.full:
        print(excerpt_text(full, FULL_CHARS, compared_with=compared))
    else:
        print(excerpt_text(excerpt, MESSAGE_CHARS, MESSAGE_LINE_CHARS, compared_with=compared))
    return 0


def _shown(path: str) -> str:
    return "standard input" if path == "-" else path


def _green_name(path: str) -> str:
    return "the green log on standard input" if path == "-" else Path(path).name
