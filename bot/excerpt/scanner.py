"""One log file, streamed: find the lines that explain a failure, keep them and little else.

A log can be hundreds of MB, so the scanner never holds it. Each chunk is
split into lines (one C call) and searched for trigger literals (Hyperscan, at
memory speed); only the few lines holding one are searched with the full rule
set and scored. Lines scoring as failures ("anchors") are kept with a few
lines of context in a bounded pool: the earliest (where the root cause
usually is), the highest-scoring, and the latest (how the run ended). Lines of
one shape (differing only in numbers and hashes) fold into the first.
Parsing, ANSI stripping and redaction run later, on kept lines only.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.excerpt import rules
from bot.excerpt.model import ExcerptSettings
from bot.excerpt.text import first_time, output_of, shape

# A line needs at least this score to be kept as a failure line.
THRESHOLD = 5
_TAIL_BYTES = 256 * 1024  # raw bytes kept per file for its tail

RawLines = list[tuple[int, bytes]]


@dataclass(eq=False)
class Anchor:
    """A line that reads as a failure, with its context, numbered within its file."""

    number: int
    raw: bytes
    rules: frozenset[int]
    score: int
    key: bytes
    seq: int
    before: RawLines
    after: RawLines = field(default_factory=list)
    similar: int = 0
    holders: int = 0


@dataclass
class FileSummary:
    """What one file contributes: counts, failure lines, its tail and where keys are."""

    name: str
    first_time: str | None
    lines: int
    error_lines: int
    anchors: list[Anchor]
    tail: RawLines
    steps: list[tuple[int, bytes]]  # which job ran, and which command before the first failure
    key_ranges: list[tuple[int, int]]
    keep_bytes: int


class _Pool:
    """The earliest, the best and the latest anchors, and nothing else."""

    def __init__(self, settings: ExcerptSettings) -> None:
        self._settings = settings
        self.first: list[Anchor] = []
        self._best: list[tuple[int, int, Anchor]] = []  # min-heap on (score, -seq)
        self._last: deque[Anchor] = deque()
        self._summaries: deque[Anchor] = deque()
        self.by_key: dict[bytes, Anchor] = {}

    def add(self, anchor: Anchor) -> None:
        if len(self.first) < self._settings.first:
            self.first.append(anchor)
            anchor.holders += 1
        entry = (anchor.score, -anchor.seq, anchor)
        if len(self._best) < self._settings.best:
            heapq.heappush(self._best, entry)
            anchor.holders += 1
        elif entry[:2] > self._best[0][:2]:
            self._release(heapq.heapreplace(self._best, entry)[2])
            anchor.holders += 1
        self._last.append(anchor)
        anchor.holders += 1
        if len(self._last) > self._settings.last:
            self._release(self._last.popleft())
        if anchor.rules & rules.SUMMARY_RULES:
            self._summaries.append(anchor)
            anchor.holders += 1
            if len(self._summaries) > self._settings.summaries:
                self._release(self._summaries.popleft())
        if anchor.holders:
            self.by_key[anchor.key] = anchor

    def _release(self, anchor: Anchor) -> None:
        anchor.holders -= 1
        if anchor.holders == 0 and self.by_key.get(anchor.key) is anchor:
            del self.by_key[anchor.key]

    def members(self) -> list[Anchor]:
        held = (*self.first, *(e[2] for e in self._best), *self._last, *self._summaries)
        seen = {id(a): a for a in held}
        return sorted(seen.values(), key=lambda a: a.seq)


class LogScanner:
    """Feeds on one log stream (NDJSON or plain text) in chunks; memory stays bounded."""

    def __init__(
        self,
        settings: ExcerptSettings | None = None,
        name: str = "",
        on_anchor: Callable[[Anchor], None] | None = None,
    ) -> None:
        self.settings = settings or ExcerptSettings()
        self.name = name
        self._recent: deque[bytes] = deque(
            maxlen=max(4 * self.settings.tail, self.settings.before + 1, 64)
        )
        self._carry = bytearray()
        self._carry_full = False
        self.lines = 0
        self.error_lines = 0
        self.first_time: str | None = None
        self._pool = _Pool(self.settings)
        self._open: list[Anchor] = []  # anchors still collecting lines after them
        self._seq = 0
        self._first_step: tuple[int, bytes] | None = None
        self._step: tuple[int, bytes] | None = None
        self._step_at_failure: tuple[int, bytes] | None = None
        self._key_open: int | None = None
        self._key_ranges: list[tuple[int, int]] = []
        self._on_anchor = on_anchor

    # -- bytes in ------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        first = chunk.find(b"\n")
        if first < 0:
            self._extend_carry(chunk)
            return
        last = chunk.rfind(b"\n")
        if self._carry:
            self._extend_carry(chunk[:first])
            head = bytes(self._carry)
            self._carry.clear()
            self._carry_full = False
            region = head + chunk[first:last] if last > first else head
        else:
            region = chunk[:last]
        self._region(region)
        self._extend_carry(chunk[last + 1 :])

    def _extend_carry(self, data: bytes) -> None:
        # A huge line is kept only up to keep_bytes; the rest is skipped, not stored.
        if self._carry_full or not data:
            return
        room = self.settings.keep_bytes - len(self._carry)
        self._carry += data[:room]
        self._carry_full = len(data) >= room

    def _region(self, region: bytes) -> None:
        """Complete lines, newline-separated: the hot path, Python work only on rare lines."""
        lines = region.split(b"\n")
        base = self.lines
        if base == 0 and self.first_time is None:
            self.first_time = first_time(lines[0][: self.settings.keep_bytes])
        if self._open:
            self._fill_after(lines, base)
        ends = rules.triggered(region)
        if ends:
            self._score(region, lines, base, ends)
        keep = self.settings.keep_bytes
        window = self._recent.maxlen or 0
        self._recent.extend(line[:keep] for line in lines[-window:])
        self.lines = base + len(lines)

    def _score(self, region: bytes, lines: list[bytes], base: int, ends: list[int]) -> None:
        candidates: list[int] = []
        index = position = 0
        for end in ends:
            index += region.count(b"\n", position, end)
            position = end
            if not candidates or candidates[-1] != index:
                candidates.append(index)
        keep = self.settings.keep_bytes
        joined = b"\n".join(lines[i][:keep] for i in candidates)
        matched: list[set[int]] = [set() for _ in candidates]
        index = position = 0
        for end, rule in rules.match(joined):
            index += joined.count(b"\n", position, end)
            position = end
            matched[index].add(rule)
        for slot, found in enumerate(matched):
            if found:
                self._line(candidates[slot], lines, base, frozenset(found))

    def _line(self, index: int, lines: list[bytes], base: int, found: frozenset[int]) -> None:
        number = base + index + 1
        raw = lines[index][: self.settings.keep_bytes]
        if rules.KEY_BEGIN in found or rules.KEY_END in found:
            self._track_key(number, found)
        if found & rules.STEP_RULES:
            self._step = (number, raw)
            if self._first_step is None:
                self._first_step = self._step
        score = rules.score(found)
        if score < THRESHOLD:
            return
        self.error_lines += 1
        if self._step_at_failure is None and score >= 8:
            self._step_at_failure = self._step
        key = shape(raw)
        existing = self._pool.by_key.get(key)
        if existing is not None:
            existing.similar += 1
            return
        anchor = Anchor(
            number=number,
            raw=raw,
            rules=found,
            score=score,
            key=key,
            seq=self._seq,
            before=self._before(index, lines, base),
        )
        self._seq += 1
        after = lines[index + 1 : index + 1 + self.settings.after]
        anchor.after = [
            (number + 1 + i, line[: self.settings.keep_bytes]) for i, line in enumerate(after)
        ]
        if len(anchor.after) < self.settings.after:
            self._open.append(anchor)
        self._pool.add(anchor)
        if self._on_anchor is not None:
            self._on_anchor(anchor)

    def _before(self, index: int, lines: list[bytes], base: int) -> RawLines:
        wanted = self.settings.before
        keep = self.settings.keep_bytes
        start = max(0, index - wanted)
        taken = [(base + i + 1, lines[i][:keep]) for i in range(start, index)]
        missing = wanted - len(taken)
        if missing > 0 and self._recent:
            older = list(self._recent)[-missing:]
            taken = [(base - len(older) + i + 1, line) for i, line in enumerate(older)] + taken
        return [(n, line) for n, line in taken if n >= 1]

    def _fill_after(self, lines: list[bytes], base: int) -> None:
        keep = self.settings.keep_bytes
        still: list[Anchor] = []
        for anchor in self._open:
            need = self.settings.after - len(anchor.after)
            anchor.after.extend((base + 1 + i, line[:keep]) for i, line in enumerate(lines[:need]))
            if len(anchor.after) < self.settings.after:
                still.append(anchor)
        self._open = still

    def _track_key(self, number: int, found: frozenset[int]) -> None:
        if rules.KEY_END in found and self._key_open is not None:
            self._key_ranges.append((self._key_open, number))
            self._key_open = None
        if rules.KEY_BEGIN in found and rules.KEY_END not in found:
            self._key_open = number

    # -- summary out -----------------------------------------------------------------

    def finish(self) -> FileSummary:
        if self._carry:
            head = bytes(self._carry)
            self._carry.clear()
            self._region(head)
        ranges = list(self._key_ranges)
        if self._key_open is not None:
            ranges.append((self._key_open, self.lines))
        summary = FileSummary(
            name=self.name,
            first_time=self.first_time,
            lines=self.lines,
            error_lines=self.error_lines,
            anchors=self._pool.members(),
            tail=self._tail(),
            steps=[
                s
                for s in {self._first_step, self._step_at_failure or self._step}
                if s is not None and self.error_lines
            ],
            key_ranges=ranges,
            keep_bytes=self.settings.keep_bytes,
        )
        self._recent.clear()
        return summary

    def _tail(self) -> RawLines:
        """The last lines, reaching further back while a run of one repeated line goes on."""
        recent = list(self._recent)
        take = min(len(recent), self.settings.tail)
        if take:
            first = output_of(recent[-take])
            while take < len(recent) and output_of(recent[-take - 1]) == first:
                take += 1
        kept: RawLines = []
        size = 0
        for offset, line in enumerate(reversed(recent[len(recent) - take :])):
            size += len(line)
            if size > _TAIL_BYTES and offset >= self.settings.tail:
                break
            kept.append((self.lines - offset, line))
        kept.reverse()
        return kept


__all__ = ["THRESHOLD", "Anchor", "FileSummary", "LogScanner"]
