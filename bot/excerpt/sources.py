"""Byte streams -> excerpts: NDJSON or plain text, gzip, or an export zip, with hard caps.

Pure and synchronous: it reads an iterator of byte chunks (from a socket, fed
through a worker thread, or from a file) and never holds more than a chunk.
The format is told from the first bytes, not from a name or a header, since
Harness serves `.gz` blobs with and without Content-Encoding.
"""

from __future__ import annotations

import itertools
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from stream_unzip import UnzipError, stream_unzip

from bot.domain import ReadStop, StopKind
from bot.domain.excerpt import Excerpt
from bot.excerpt.collector import ExcerptCollector
from bot.excerpt.redaction import Redactor
from bot.excerpt.scanner import Anchor, FileSummary, LogScanner
from bot.excerpt.settings import ExcerptSettings
from bot.excerpt.text import green_digest

_INFLATE_STEP = 1 << 20  # at most this much decompressed output per call: bounds a bomb
_ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 1 << 30  # bytes downloaded
    max_decompressed: int = 2 << 30  # bytes after gzip/zip decompression
    max_entries: int = 5000  # files in an export zip


class ReadBudget:
    """Shared between the reader (bytes read) and the scanner (bytes decompressed)."""

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.limits = limits or ReadLimits()
        self.decompressed = 0
        self.entries = 0
        self.stop_reason: ReadStop | None = None
        self.stopped = threading.Event()

    def stop(self, reason: ReadStop) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()

    def take(self, size: int) -> bool:
        self.decompressed += size
        if self.decompressed > self.limits.max_decompressed:
            self.stop(ReadStop(StopKind.TOO_LARGE, self.limits.max_decompressed))
            return False
        return not self.stopped.is_set()


def inflate(chunks: Iterator[bytes], wbits: int) -> Iterator[bytes]:
    """Streaming decompression that never expands more than a step at a time."""
    inflater = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            out = inflater.decompress(data, _INFLATE_STEP)
            data = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                return


def _sniff(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The first bytes (at least 4 unless the stream is shorter) and the whole stream."""
    head = b""
    taken: list[bytes] = []
    for chunk in chunks:
        taken.append(chunk)
        head += chunk[:4]
        if len(head) >= 4:
            break
    return head, itertools.chain(taken, chunks)


# Which files of an export zip to read, by name (None: all of them).
Entries = Callable[[str], bool] | None


def _read_log(
    chunks: Iterator[bytes],
    budget: ReadBudget,
    settings: ExcerptSettings,
    add: Callable[[FileSummary], None],
    on_anchor: Callable[[Anchor], None] | None = None,
    entries: Entries = None,
) -> None:
    """Scan every file of a log (one, or each of an export zip's that `entries` wants),
    gzip or not."""
    head, stream = _sniff(chunks)
    if head.startswith(_GZIP_MAGIC):
        stream = inflate(stream, zlib.MAX_WBITS | 16)
        head, stream = _sniff(stream)
    if head.startswith(_ZIP_MAGIC):
        _scan_zip(stream, budget, settings, add, on_anchor, entries)
    else:
        scanner = LogScanner(settings, on_anchor=on_anchor)
        _feed(scanner, stream, budget)
        add(scanner.finish())


def _feed(scanner: LogScanner, chunks: Iterable[bytes], budget: ReadBudget) -> None:
    for data in chunks:
        if not budget.take(len(data)):
            break
        scanner.feed(data)


def collect_stream(
    chunks: Iterator[bytes],
    redactor: Redactor,
    settings: ExcerptSettings | None = None,
    budget: ReadBudget | None = None,
    entries: Entries = None,
) -> ExcerptCollector:
    """Scan a log in any of the forms Harness or a person hands over; excerpt it later.
    Of an export zip, only the files `entries` wants are read (a step's, in a run's)."""
    budget = budget or ReadBudget()
    collector = ExcerptCollector(redactor, settings)
    _read_log(chunks, budget, collector.settings, collector.add, entries=entries)
    collector.truncated = budget.stop_reason
    return collector


def excerpt_stream(
    chunks: Iterator[bytes],
    redactor: Redactor,
    settings: ExcerptSettings | None = None,
    budget: ReadBudget | None = None,
) -> Excerpt:
    """The excerpt of a log in any of the forms Harness or a person hands over."""
    return collect_stream(chunks, redactor, settings, budget).excerpt()


def _scan_zip(
    chunks: Iterator[bytes],
    budget: ReadBudget,
    settings: ExcerptSettings,
    add: Callable[[FileSummary], None],
    on_anchor: Callable[[Anchor], None] | None,
    entries: Entries = None,
) -> None:
    try:
        for name, _size, unzipped in stream_unzip(chunks, allow_zip64=True):
            if budget.stopped.is_set():
                break
            text = name.decode("utf-8", errors="replace")
            if entries is not None and not entries(text):
                for _skipped in unzipped:  # a stream's files are read in turn
                    pass
                continue
            budget.entries += 1
            if budget.entries > budget.limits.max_entries:
                budget.stop(ReadStop(StopKind.TOO_MANY_FILES, budget.limits.max_entries))
                break
            scanner = LogScanner(settings, text, on_anchor)
            _feed(scanner, unzipped, budget)
            add(scanner.finish())
            if budget.stopped.is_set():
                break
    except UnzipError:
        if budget.stop_reason is None:
            budget.stop(ReadStop(StopKind.DAMAGED))


@dataclass(frozen=True)
class LogShapes:
    """What a green run's log printed, as far as comparing with a red run needs."""

    shapes: frozenset[bytes]
    lines: int


def line_shapes(
    chunks: Iterator[bytes],
    budget: ReadBudget | None = None,
    max_shapes: int = 50_000,
    entries: Entries = None,
) -> LogShapes:
    """Shapes (as digests) of the lines of a green log that could read as failures, bounded
    in number (50,000 digests take a few MB).

    Only lines the scanner would look at matter for comparison, so only those are
    hashed: the rest of a green log costs what scanning it costs.
    """
    budget = budget or ReadBudget()
    found: set[bytes] = set()

    def keep(anchor: Anchor) -> None:
        if len(found) < max_shapes:
            found.add(green_digest(anchor.raw))

    lines = 0

    def count(summary: FileSummary) -> None:
        nonlocal lines
        lines += summary.lines

    settings = ExcerptSettings(before=0, after=0, tail=1, first=1, best=1, last=1)
    _read_log(chunks, budget, settings, count, on_anchor=keep, entries=entries)
    return LogShapes(frozenset(found), lines)


__all__ = [
    "LogShapes",
    "ReadBudget",
    "ReadLimits",
    "collect_stream",
    "excerpt_stream",
    "inflate",
    "line_shapes",
]
