"""NDJSON log stream -> trimmed, redacted excerpt (pure, streaming, bounded memory).

A log can be hundreds of MB, so the scanner never holds it: bytes are fed in
chunks, each line is looked at once with cheap byte checks, and only the lines
that can end up in the excerpt are kept (a short look-back window, the blocks
around the first and the last error, the tail). Parsing, ANSI stripping,
redaction and trimming run on those few lines only.

One `LogScanner` reads one file (a step's blob, or one command unit of a zip);
`ExcerptCollector` merges the files of a step in time order into an `Excerpt`,
keeping only what can still matter, so 1,500 files cost no more than one.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from bot.redaction import Redactor, mark

_ERROR_LEVEL = re.compile(rb'"level"\s*:\s*"error"', re.IGNORECASE)
_OUT_PREFIX = re.compile(rb'"out"\s*:\s*"((?:[^"\\]|\\.)*)')
_LEVEL = re.compile(rb'"level"\s*:\s*"(\w+)"')
_TIME = re.compile(rb'"time"\s*:\s*"([^"]{1,64})"')
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_INSIDE_KEY = b"\x00"  # prefix on kept lines that start inside a PEM private key block
_KEY_MARK = b"PRIVATE KEY"
_MAX_PEM_LINES = 200  # a BEGIN without END must not hide the rest of the log


@dataclass(frozen=True)
class ExcerptSettings:
    before: int = 5  # lines kept before each error line
    after: int = 2  # lines kept after it
    tail: int = 15  # last lines of the log
    max_line_chars: int = 300
    keep_bytes: int = 8192  # per raw line kept; enough to recover 300 characters of text
    lookback: int = 400  # lines looked at from the end when folding repeats in the tail

    @classmethod
    def full(cls) -> ExcerptSettings:
        """The longer excerpt behind "Show full excerpt": up to about 200 lines."""
        return cls(before=25, after=10, tail=120)


@dataclass(frozen=True)
class ExcerptLine:
    text: str
    level: str = "info"
    repeat: int = 1


@dataclass(frozen=True)
class Gap:
    omitted: int


Piece = ExcerptLine | Gap


@dataclass(frozen=True)
class Excerpt:
    pieces: tuple[Piece, ...]
    total_lines: int
    error_lines: int
    files: int = 1
    truncated: str | None = None  # why reading stopped early, when it did

    @property
    def empty(self) -> bool:
        return self.total_lines == 0

    def render_lines(self) -> list[str]:
        lines = []
        for piece in self.pieces:
            if isinstance(piece, Gap):
                lines.append(
                    f"… {piece.omitted:,} line{'s' if piece.omitted != 1 else ''} omitted …"
                )
            elif piece.repeat > 1:
                lines.append(f"{piece.text}  (repeated {piece.repeat:,} times)")
            else:
                lines.append(piece.text)
        return lines

    def render(self, max_chars: int) -> str:
        """The excerpt as text of at most `max_chars`, dropping whole lines from the top."""
        return "\n".join(fit_lines(self.render_lines(), max_chars))


def fit_lines(lines: list[str], max_chars: int) -> list[str]:
    """Drop whole lines from the top until the joined text fits, and say how many went.

    Whole lines only, so nothing is cut inside a character or an escape sequence.
    """
    total = sum(len(line) + 1 for line in lines) - 1
    if total <= max_chars:
        return lines
    lines = list(lines)
    note_room = 48  # "… 12,345 more excerpt lines above …"
    dropped = 0
    while lines and total + note_room > max_chars:
        total -= len(lines.pop(0)) + 1
        dropped += 1
    note = f"… {dropped:,} more excerpt line{'s' if dropped != 1 else ''} above …"
    return [note, *lines] if len(note) <= max_chars else lines


# -- rendering one kept line ------------------------------------------------------


def clean_text(text: str, max_chars: int) -> str:
    """Strip ANSI codes and control characters, keep the last carriage-return frame."""
    text = _ANSI.sub("", text)
    if "\r" in text:
        text = text.rstrip("\r").rsplit("\r", 1)[-1]
    text = _CONTROL.sub("", text.replace("\t", "    ")).rstrip()
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def parse_line(raw: bytes) -> tuple[str, str, str | None]:
    """(level, text, time) of one NDJSON line; non-JSON lines are kept as text."""
    try:
        obj = json.loads(raw)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        out = obj.get("out")
        text = out if isinstance(out, str) else ("" if out is None else json.dumps(out))
        level = obj.get("level")
        when = obj.get("time")
        return (
            level.lower() if isinstance(level, str) else "info",
            text,
            when if isinstance(when, str) else None,
        )
    # A line cut short (over keep_bytes) is not valid JSON: recover its fields by hand.
    out_match = _OUT_PREFIX.search(raw)
    if out_match:
        level_match = _LEVEL.search(raw)
        time_match = _TIME.search(raw)
        return (
            level_match.group(1).decode().lower() if level_match else "info",
            _unescape(out_match.group(1)),
            time_match.group(1).decode(errors="replace") if time_match else None,
        )
    return "info", raw.decode("utf-8", errors="replace"), None


def _unescape(fragment: bytes) -> str:
    text = fragment.decode("utf-8", errors="replace")
    try:
        return str(json.loads(f'"{text}"'))
    except ValueError:
        # Cut inside an escape sequence: drop the partial escape at the end.
        return str(json.loads('"' + re.sub(r"\\u?[0-9a-fA-F]{0,3}$|\\$", "", text) + '"'))


@dataclass(frozen=True)
class _Rendered:
    """A display line with where it came from: raw line number and part of that line."""

    index: int  # 1-based line number in its file
    part: int  # a raw line whose text holds newlines renders as several parts
    line: ExcerptLine


def render_raw(
    raw_lines: Iterable[tuple[int, bytes]], redactor: Redactor, settings: ExcerptSettings
) -> list[_Rendered]:
    rendered: list[_Rendered] = []
    in_key = False
    for index, raw in raw_lines:
        inside = raw.startswith(_INSIDE_KEY)
        if inside:
            raw = raw[1:]
        level, text, _ = parse_line(raw)
        parts = text.split("\n")
        if len(parts) > 1 and parts[-1] == "":
            parts.pop()
        for number, part in enumerate(parts or [""]):
            cleaned = clean_text(part, 10_000)
            redacted, in_key = redactor.redact_line(cleaned, in_key or inside)
            inside = False
            line = ExcerptLine(clean_text(redacted, settings.max_line_chars), level)
            rendered.append(_Rendered(index, number, line))
    return rendered


# -- scanning one file -------------------------------------------------------------


RawLines = list[tuple[int, bytes]]
_TAIL_BYTES = 256 * 1024  # raw bytes kept per file for its tail


@dataclass
class FileSummary:
    """What one file contributes: counts, and the few raw blocks that can matter.

    Blocks are rendered (parsed, cleaned, redacted) only when asked for: of 1,500
    command units, only a handful end up in the excerpt.
    """

    name: str
    first_time: str | None
    lines: int
    error_lines: int
    render: Callable[[RawLines], list[_Rendered]]
    tail_wanted: int
    first_error_raw: RawLines = field(default_factory=list)
    last_error_raw: RawLines = field(default_factory=list)
    tail_raw: RawLines = field(default_factory=list)

    @cached_property
    def first_error(self) -> list[_Rendered]:
        return self.render(self.first_error_raw) if self.first_error_raw else []

    @cached_property
    def last_error(self) -> list[_Rendered]:
        if not self.last_error_raw or self.last_error_raw == self.first_error_raw:
            return []
        return self.render(self.last_error_raw)

    @cached_property
    def tail(self) -> list[_Rendered]:
        """The last `tail_wanted` display lines, reading further back while repeats go on.

        Rendering is the costly part, so it starts with just enough lines from the
        end and widens only while a run of repeats continues.
        """
        raw = self.tail_raw
        take = min(len(raw), self.tail_wanted + 1)
        while True:
            rendered = self.render(raw[len(raw) - take :])
            cut = _tail_start(rendered, self.tail_wanted)
            if cut > 0 or take >= len(raw):
                return rendered[cut:]
            take = min(len(raw), take * 4)


class LogScanner:
    """Feeds on one NDJSON stream in chunks; memory stays bounded whatever its size."""

    def __init__(
        self, redactor: Redactor, settings: ExcerptSettings | None = None, name: str = ""
    ) -> None:
        self.settings = settings or ExcerptSettings()
        self.name = name
        self._redactor = redactor
        self._recent: deque[bytes] = deque(
            maxlen=max(self.settings.lookback, self.settings.before + self.settings.after + 1)
        )
        self._carry = bytearray()
        self._carry_full = False
        self.lines = 0
        self.error_lines = 0
        self.first_time: str | None = None
        self._first_error: list[tuple[int, bytes]] | None = None
        self._last_error: list[tuple[int, bytes]] | None = None
        self._first_at = 0  # line number at which the first error block is complete
        self._last_at = 0  # line number at which the latest error's block is complete
        self._last_seen = 0  # line number of the latest error
        self._next_event = 0  # the nearer of the two, checked once per line
        self._pem_lines = -1  # -1: not inside a key; else lines seen inside it

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        first_newline = chunk.find(b"\n")
        if first_newline < 0:
            self._extend_carry(chunk)
            return
        if self._carry:
            self._extend_carry(chunk[:first_newline])
            head = bytes(self._carry)
            self._carry.clear()
            self._carry_full = False
            self._lines([head])
        else:
            self._lines([chunk[:first_newline]])
        last_newline = chunk.rfind(b"\n")
        if last_newline > first_newline:
            middle = chunk[first_newline + 1 : last_newline]
            if self._pem_lines < 0 and b"rror" not in middle and _KEY_MARK not in middle:
                self._quiet_lines(middle.split(b"\n"))
            else:
                self._lines(middle.split(b"\n"))
        self._extend_carry(chunk[last_newline + 1 :])

    def _extend_carry(self, data: bytes) -> None:
        # A huge line is kept only up to keep_bytes; the rest is skipped, not stored.
        if self._carry_full or not data:
            return
        room = self.settings.keep_bytes - len(self._carry)
        self._carry += data[:room]
        self._carry_full = len(data) >= room

    def _lines(self, lines: list[bytes]) -> None:
        # The hot loop: every line of a log passes here, so state lives in locals and
        # each line costs a few byte checks; the rare events call out to methods.
        append = self._recent.append
        keep = self.settings.keep_bytes
        n = self.lines
        if n == 0 and self.first_time is None:
            first = next((line for line in lines if line), None)
            if first is not None:
                self.first_time = parse_line(first[:keep])[2]
        next_event = self._next_event
        in_key = self._pem_lines >= 0
        for line in lines:
            if not line:
                continue
            n += 1
            if len(line) > keep:
                line = line[:keep]
            if in_key or _KEY_MARK in line:
                line = self._track_key(line)
                in_key = self._pem_lines >= 0
            append(line)
            if n == next_event:
                self.lines = n
                self._due()
                next_event = self._next_event
            if b"rror" in line and _ERROR_LEVEL.search(line):
                self.lines = n
                self._on_error()
                next_event = self._next_event
        self.lines = n

    def _quiet_lines(self, lines: list[bytes]) -> None:
        """Lines known to hold no error and no key: only the count and the newest matter.

        Most of a log is like this, and here it costs a few C-level list operations
        per chunk instead of a Python step per line.
        """
        count = len(lines) - lines.count(b"")
        if (self._next_event and self._next_event <= self.lines + count) or self.lines == 0:
            self._lines(lines)  # an error window closes in here, or the first line is here
            return
        keep = self.settings.keep_bytes
        window = self._recent.maxlen or 0
        newest = [line for line in lines[-window:] if line][-window:]
        self._recent.extend(line if len(line) <= keep else line[:keep] for line in newest)
        self.lines += count

    def _track_key(self, line: bytes) -> bytes:
        begins = b"-----BEGIN" in line and _KEY_MARK in line
        ends = b"-----END" in line and _KEY_MARK in line
        inside = self._pem_lines >= 0
        if inside:
            self._pem_lines += 1
            if ends or self._pem_lines > _MAX_PEM_LINES:
                self._pem_lines = -1
            return _INSIDE_KEY + line
        if begins and not ends:
            self._pem_lines = 0
        return line

    def _window(self, first: int, last: int) -> list[tuple[int, bytes]]:
        """Raw lines numbered first..last that are still in the look-back window."""
        start = self.lines - len(self._recent) + 1
        first = max(first, start)
        return [(i, self._recent[i - start]) for i in range(first, min(last, self.lines) + 1)]

    def _on_error(self) -> None:
        n = self.lines
        self.error_lines += 1
        if self._first_error is None:
            self._first_error = self._window(n - self.settings.before, n)
            self._first_at = n + self.settings.after
        self._last_seen = n
        self._last_at = n + self.settings.after
        self._schedule()

    def _schedule(self) -> None:
        pending = [at for at in (self._first_at, self._last_at) if at]
        self._next_event = min(pending) if pending else 0
        if self._next_event and self._next_event <= self.lines:
            self._due()

    def _due(self) -> None:
        """Close whichever error block is complete at the current line."""
        n = self.lines
        if self._first_at and self._first_at <= n:
            assert self._first_error is not None
            self._first_error.extend(self._window(self._first_error[-1][0] + 1, self._first_at))
            self._first_at = 0
        if self._last_at and self._last_at <= n:
            self._last_error = self._window(self._last_seen - self.settings.before, self._last_at)
            self._last_at = 0
        self._schedule()

    def finish(self) -> FileSummary:
        if self._carry:
            head = bytes(self._carry)
            self._carry.clear()
            self._lines([head])
        if self._first_at or self._last_at:
            self._first_at = min(self._first_at, self.lines) if self._first_at else 0
            self._last_at = min(self._last_at, self.lines) if self._last_at else 0
            self._due()
        summary = FileSummary(
            self.name,
            self.first_time,
            self.lines,
            self.error_lines,
            render=self._render,
            tail_wanted=self.settings.tail,
            first_error_raw=self._first_error or [],
            last_error_raw=self._last_error or [],
            tail_raw=self._tail_raw(),
        )
        self._recent.clear()
        return summary

    def _render(self, raw: RawLines) -> list[_Rendered]:
        return render_raw(raw, self._redactor, self.settings)

    def _tail_raw(self) -> RawLines:
        """The end of the look-back window, bounded in bytes as well as in lines."""
        kept: RawLines = []
        size = 0
        index = self.lines
        for line in reversed(self._recent):
            size += len(line)
            if size > _TAIL_BYTES and len(kept) > self.settings.tail:
                break
            kept.append((index, line))
            index -= 1
        kept.reverse()
        return kept


def _tail_start(rendered: list[_Rendered], wanted: int) -> int:
    """Where the last `wanted` distinct lines (with all their repeats) begin; 0 if not found."""
    distinct = 0
    start = len(rendered)
    previous: str | None = None
    for position in range(len(rendered) - 1, -1, -1):
        text = rendered[position].line.text
        if text != previous:
            if distinct == wanted:
                return start
            distinct += 1
            previous = text
        start = position
    return 0


# -- merging the files of one step --------------------------------------------------


@dataclass
class _Kept:
    order: tuple[str, int]
    summary: FileSummary


class ExcerptCollector:
    """Merges file summaries (command units) in order of their first timestamp."""

    def __init__(self, settings: ExcerptSettings | None = None) -> None:
        self.settings = settings or ExcerptSettings()
        self._sizes: list[tuple[tuple[str, int], int]] = []
        self._first: _Kept | None = None
        self._last: _Kept | None = None
        self._tails: list[_Kept] = []
        self._errors = 0
        self.truncated: str | None = None

    def add(self, summary: FileSummary) -> None:
        if summary.lines == 0:
            return
        order = (summary.first_time or "", len(self._sizes))
        self._sizes.append((order, summary.lines))
        kept = _Kept(order, summary)
        self._errors += summary.error_lines
        if summary.error_lines:
            if self._first is None or order < self._first.order:
                self._first = kept
            if self._last is None or order > self._last.order:
                self._last = kept
        self._tails.append(kept)
        self._tails.sort(key=lambda k: k.order, reverse=True)
        covered = 0
        for position, item in enumerate(self._tails):
            covered += item.summary.lines
            if covered >= self.settings.tail:
                del self._tails[position + 1 :]
                break

    def excerpt(self) -> Excerpt:
        offsets: dict[tuple[str, int], int] = {}
        total = 0
        for order, size in sorted(self._sizes):
            offsets[order] = total
            total += size
        picked: dict[tuple[int, int], ExcerptLine] = {}

        def take(kept: _Kept, block: list[_Rendered]) -> None:
            base = offsets[kept.order]
            for item in block:
                picked[(base + item.index, item.part)] = item.line

        if self._first is not None:
            take(self._first, self._first.summary.first_error)
        if self._last is not None:
            last = self._last.summary
            take(self._last, last.last_error or last.first_error)
        # The tail: newest files first, until `tail` distinct lines are in.
        wanted = self.settings.tail
        for kept in self._tails:
            block = kept.summary.tail
            start = len(block)
            previous: str | None = None
            while start > 0 and wanted > 0:
                text = block[start - 1].line.text
                if text != previous:
                    wanted -= 1
                    previous = text
                start -= 1
            while start > 0 and block[start - 1].line.text == previous:
                start -= 1
            take(kept, block[start:])
            if wanted <= 0:
                break
        return Excerpt(
            pieces=_assemble(picked, total),
            total_lines=total,
            error_lines=self._errors,
            files=len(self._sizes),
            truncated=self.truncated,
        )


def _assemble(picked: dict[tuple[int, int], ExcerptLine], total: int) -> tuple[Piece, ...]:
    """Order kept lines, fold adjacent repeats, and mark what was left out."""
    pieces: list[Piece] = []
    previous_index = 0
    for (index, _part), line in sorted(picked.items()):
        if index > previous_index + 1:
            pieces.append(Gap(index - previous_index - 1))
        last = pieces[-1] if pieces else None
        if isinstance(last, ExcerptLine) and last.text == line.text:
            pieces[-1] = ExcerptLine(last.text, last.level, last.repeat + line.repeat)
        else:
            pieces.append(line)
        previous_index = index
    if total > previous_index and pieces:
        pieces.append(Gap(total - previous_index))
    return tuple(pieces)


def excerpt_of(
    chunks: Iterable[bytes], redactor: Redactor, settings: ExcerptSettings | None = None
) -> Excerpt:
    """The excerpt of one NDJSON stream given as byte chunks (convenience for one file)."""
    scanner = LogScanner(redactor, settings)
    for chunk in chunks:
        scanner.feed(chunk)
    collector = ExcerptCollector(scanner.settings)
    collector.add(scanner.finish())
    return collector.excerpt()


__all__ = [
    "Excerpt",
    "ExcerptCollector",
    "ExcerptLine",
    "ExcerptSettings",
    "Gap",
    "LogScanner",
    "excerpt_of",
    "fit_lines",
    "mark",
]
