"""`harness-logs-bot excerpt FILE|- [--full] [--json]`: the post's excerpt of a local log.

Needs no settings: it runs the same scanner, ranking and redaction as the bot
on a downloaded log (Harness NDJSON, plain text, `.gz` or an export `logs.zip`)
and prints the text the post would show, so it is also how excerpt quality is
measured on real failure logs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import BinaryIO

from bot.excerpt import (
    FULL_CHARS,
    MESSAGE_CHARS,
    MESSAGE_LINE_CHARS,
    Excerpt,
    ExcerptSettings,
    excerpt_stream,
)
from bot.excerpt_view import excerpt_text
from bot.redaction import Redactor

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
    return parser


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def read_excerpt(path: str, settings: ExcerptSettings) -> Excerpt:
    if path == "-":
        return excerpt_stream(_chunks(sys.stdin.buffer), Redactor(), settings)
    with open(path, "rb") as stream:
        return excerpt_stream(_chunks(stream), Redactor(), settings)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.json and args.file == "-":
            data = sys.stdin.buffer.read()  # read twice below: once per excerpt length
            excerpt = excerpt_stream(iter([data]), Redactor())
            full = excerpt_stream(iter([data]), Redactor(), ExcerptSettings.full())
        elif args.json:
            excerpt = read_excerpt(args.file, ExcerptSettings())
            full = read_excerpt(args.file, ExcerptSettings.full())
        else:
            excerpt = full = read_excerpt(
                args.file, ExcerptSettings.full() if args.full else ExcerptSettings()
            )
    except OSError as exc:
        print(f"harness-logs-bot excerpt: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "headline": excerpt.headline,
                    "category": excerpt.kind.value,
                    "excerpt": excerpt_text(excerpt, MESSAGE_CHARS, MESSAGE_LINE_CHARS),
                    "full": excerpt_text(full, FULL_CHARS),
                    "total_lines": excerpt.total_lines,
                    "error_lines": excerpt.error_lines,
                },
                ensure_ascii=False,
            )
        )
    elif args.full:
        print(excerpt_text(full, FULL_CHARS))
    else:
        print(excerpt_text(excerpt, MESSAGE_CHARS, MESSAGE_LINE_CHARS))
    return 0
