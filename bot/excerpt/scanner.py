"""One log file, streamed: find the lines that explain a failure, keep them and little else.

A log can be hundreds of MB, so the scanner never holds it. Each chunk is
split into lines (one C call) and searched for trigger literals (Hyperscan, at
memory speed); only the few lines holding one are searched with the full rule
set and scored. Lines scoring as failures ("anchors") are kept with a few
lines of context in a bounded pool: the earliest (where the root cause
usually is), the highest-scoring, and the latest (how the run ended). Lines of
one shape (differing only in numbers) fold into the first.
Parsing, ANSI stripping and redaction run later, on kept lines only; the line just
before each kept stretch ("lead") is kept too, unshown, so that a prompt there
(`Enter password:`) still hides the value that starts the stretch.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from bot.excerpt import matching, rules
from bot.excerpt.settings import ExcerptSettings
from bot.excerpt.text import first_time, output_of, quick_shape

# A line needs at least this score to be kept as a failure line.
THRESHOLD = 5
_TAIL_BYTES = 256 * 1024  # raw bytes kept per file for its tail
_MAX_KEY_RANGES = 10_000  # private key blocks remembered per file

RawLines = list[tuple[int, bytes]]
_PLUS_ONE = (1).__add__


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
    lead: tuple[int, bytes] | None = None  # the line before `before`, for redaction only


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
    tail_lead: tuple[int, bytes] | None = None  # the line before the tail, for redaction only


def _line_end(region: bytes, start: int) -> int:
    end = region.find(b"\n", start)
    return len(region) if end < 0 else end


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
        """Complete lines, newline-separated: the hot path.

        The region is never split into lines: C-level searches find the few lines
        that hold a trigger, the lines around them and the last lines; counting
        newlines gives their numbers. Python work is only done on those lines.
        """
        base = self.lines
        keep = self.settings.keep_bytes
        if base == 0 and self.first_time is None:
            self.first_time = first_time(region[: min(keep, _line_end(region, 0))])
        if self._open:
            self._fill_after(region, base)
        ends = matching.triggered(region)
        counted = 0  # newlines counted so far, up to offset `position`
        position = 0
        if ends:
            starts = sorted({region.rfind(b"\n", 0, end) + 1 for end in ends})
            chosen: list[tuple[int, int, int]] = []  # (number, start, end) of each candidate
            for start in starts:
                counted += region.count(b"\n", position, start)
                position = start
                chosen.append((base + counted + 1, start, _line_end(region, start)))
            self._score(region, chosen)
        counted += region.count(b"\n", position)
        self.lines = base + counted + 1
        window = self._recent.maxlen or 0
        tail_start = len(region)
        for _ in range(window):
            if tail_start <= 0:
                break
            tail_start = region.rfind(b"\n", 0, tail_start - 1) + 1 if tail_start > 1 else 0
        self._recent.extend(line[:keep] for line in region[tail_start:].split(b"\n"))

    def _score(self, region: bytes, chosen: list[tuple[int, int, int]]) -> None:
        keep = self.settings.keep_bytes
        texts = [region[start : min(end, start + keep)] for _, start, end in chosen]
        hits = matching.match(b"\n".join(texts))
        if not hits:
            return
        # stops[i]: one past the newline after candidate i; a match ending at `end`
        # is in the first candidate whose stop is beyond it.
        stops = list(accumulate(map(_PLUS_ONE, map(len, texts))))
        matched: dict[int, set[int]] = {}
        for end, rule in hits:
            slot = bisect_left(stops, end + 1)
            found = matched.get(slot)
            if found is None:
                matched[slot] = {rule}
            else:
                found.add(rule)
        for slot, rule_set in matched.items():
            number, start, end = chosen[slot]
            self._line(region, number, start, end, texts[slot], frozenset(rule_set))

    def _line(
        self, region: bytes, number: int, start: int, end: int, raw: bytes, found: frozenset[int]
    ) -> None:
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
        key = quick_shape(raw)
        existing = self._pool.by_key.get(key)
        if existing is not None:
            existing.similar += 1
            return
        before = self._before(region, number, start)
        anchor = Anchor(
            number=number,
            raw=raw,
            rules=found,
            score=score,
            key=key,
            seq=self._seq,
            before=before[1:] if len(before) > self.settings.before else before,
            lead=before[0] if len(before) > self.settings.before else None,
        )
        self._seq += 1
        anchor.after = self._after(region, number, end, self.settings.after)
        if len(anchor.after) < self.settings.after:
            self._open.append(anchor)
        self._pool.add(anchor)
        if self._on_anchor is not None:
            self._on_anchor(anchor)

    def _before(self, region: bytes, number: int, start: int) -> RawLines:
        """Up to `before` + 1 lines (the context and its lead) ending where the line at
        `start` begins, older ones from the look-back window when the region starts
        sooner."""
        keep = self.settings.keep_bytes
        wanted = self.settings.before + 1
        taken: RawLines = []
        while len(taken) < wanted and start > 0:
            previous = region.rfind(b"\n", 0, start - 1) + 1
            taken.append(
                (number - len(taken) - 1, region[previous : min(start - 1, previous + keep)])
            )
            start = previous
        missing = wanted - len(taken)
        if missing > 0 and start == 0 and self._recent:
            older = list(self._recent)[-missing:]
            first = number - len(taken) - len(older)
            taken.extend((first + i, line) for i, line in reversed(list(enumerate(older))))
        return [(n, line) for n, line in reversed(taken) if n >= 1]

    def _after(self, region: bytes, number: int, end: int, wanted: int) -> RawLines:
        """Up to `wanted` lines after the line ending at `end` (its newline or the region's end)."""
        keep = self.settings.keep_bytes
        taken: RawLines = []
        while len(taken) < wanted and end < len(region):
            start = end + 1
            end = _line_end(region, start)
            taken.append((number + len(taken) + 1, region[start : min(end, start + keep)]))
        return taken

    def _fill_after(self, region: bytes, base: int) -> None:
        still: list[Anchor] = []
        for anchor in self._open:
            need = self.settings.after - len(anchor.after)
            # The region's first line is line base + 1: "after" the line ending just before it.
            anchor.after.extend(self._after(region, base, -1, need))
            if len(anchor.after) < self.settings.after:
                still.append(anchor)
        self._open = still

    def _track_key(self, number: int, found: frozenset[int]) -> None:
        if rules.KEY_END in found and self._key_open is not None:
            self._key_ranges.append((self._key_open, number))
            self._key_open = None
            if len(self._key_ranges) > _MAX_KEY_RANGES:
                # Bounded: the oldest two become one range (hiding more, never less).
                (begin, _), (_, end) = self._key_ranges[:2]
                self._key_ranges[:2] = [(begin, end)]
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
            tail=[],
            steps=[
                s
                for s in {self._first_step, self._step_at_failure or self._step}
                if s is not None and self.error_lines
            ],
            key_ranges=ranges,
        )
        summary.tail, summary.tail_lead = self._tail()
        self._recent.clear()
        return summary

    def _tail(self) -> tuple[RawLines, tuple[int, bytes] | None]:
        """The last lines, reaching further back while a run of one repeated line goes on,
        and the line before them."""
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
        lead_at = len(recent) - len(kept) - 1
        lead = (self.lines - len(kept), recent[lead_at]) if kept and lead_at >= 0 else None
        return kept, lead


__all__ = ["THRESHOLD", "Anchor", "FileSummary", "LogScanner"]
