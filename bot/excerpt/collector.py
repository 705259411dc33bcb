"""The files of one step -> one excerpt: merge, render the few kept lines, rank them.

Command units of a step arrive as separate files, in zip order rather than time
order; they are numbered as one log in order of their first timestamp. Only what
can still end up in the excerpt is kept, so 1,500 files cost no more than one.

Redaction runs once over the kept lines in log order, after the blocks around each
failure are merged: a key block or a prompt on one line hides what follows on the
next even where they belong to different blocks, and the line just before a block
(its lead, kept unshown) still counts.

Ranking: each failure line starts from its score; the first clear failure (the
root cause, usually) and the lines saying how the run ended (counts, exit
codes) are lifted; lines of a family already represented count less each time
(one `FAILED` line tells more than the twentieth, though each still outranks
the context of another), and so do lines the last
green run printed as well. Context lines rank below the line they surround,
less the further they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.domain import ReadStop
from bot.domain.excerpt import Excerpt, ExcerptLine
from bot.excerpt import rules
from bot.excerpt.diagnosis import diagnose
from bot.excerpt.redaction import KEY_BLOCK, NOTHING, Carry, Redactor
from bot.excerpt.scanner import Anchor, FileSummary
from bot.excerpt.settings import ExcerptSettings
from bot.excerpt.text import clean_text, green_digest, output_of, parse_line, shape

_STRONG = 8  # a score that reads as a real failure, not a passing mention
_FAMILY_FLOOR = 0.15  # the least a family's later lines count, of what the first counts
_SUMMARY_FLOOR = 1.0  # a summary line's do not decay: each says how a part of the run ended


@dataclass(frozen=True)
class RankedAnchor:
    """A failure line after merging: where it is, what it says, how much it matters."""

    number: int
    text: str
    rules: frozenset[int]
    score: int
    priority: float
    in_green: bool = False  # the last successful run printed it too


@dataclass
class _Kept:
    order: tuple[str, int]
    summary: FileSummary


class ExcerptCollector:
    """Merges file summaries (command units) in order of their first timestamp."""

    def __init__(
        self,
        redactor: Redactor | None = None,
        settings: ExcerptSettings | None = None,
    ) -> None:
        self.settings = settings or ExcerptSettings()
        self._redactor = redactor or Redactor()
        self._in_green: set[int] = set()  # ids of anchors the last green run printed too
        self._sizes: list[tuple[tuple[str, int], int]] = []
        self._files: list[_Kept] = []
        self._tails: list[_Kept] = []
        self._errors = 0
        self.truncated: ReadStop | None = None

    def add(self, summary: FileSummary) -> None:
        if summary.lines == 0:
            return
        order = (summary.first_time or "", len(self._sizes))
        self._sizes.append((order, summary.lines))
        kept = _Kept(order, summary)
        self._errors += summary.error_lines
        if summary.anchors:
            self._files.append(kept)
            self._trim_files()
        self._tails.append(kept)
        self._tails.sort(key=lambda k: k.order, reverse=True)
        covered = 0
        for position, item in enumerate(self._tails):
            covered += item.summary.lines
            if covered >= self.settings.tail:
                del self._tails[position + 1 :]
                break

    def _trim_files(self) -> None:
        """Keep the anchors of the earliest, the best and the latest files only."""
        budget = self.settings.first + self.settings.best + self.settings.last
        if sum(len(k.summary.anchors) for k in self._files) <= 2 * budget:
            return
        by_order = sorted(self._files, key=lambda k: k.order)
        keep: dict[int, _Kept] = {}
        for group in (by_order[:4], by_order[-4:]):
            keep.update((id(k), k) for k in group)
        by_score = sorted(
            self._files, key=lambda k: max(a.score for a in k.summary.anchors), reverse=True
        )
        count = sum(len(k.summary.anchors) for k in keep.values())
        for kept in by_score:
            if count >= budget:
                break
            if id(kept) not in keep:
                keep[id(kept)] = kept
                count += len(kept.summary.anchors)
        self._files = [k for k in self._files if id(k) in keep]

    @property
    def empty(self) -> bool:
        return not self._sizes

    def excerpt(self, green: Collection[bytes] = (), compared_with: int | None = None) -> Excerpt:
        """The excerpt; `green` holds the shapes of the lines the last successful run of
        the same step printed (run `compared_with`): failure lines among them rank lower."""
        offsets: dict[tuple[str, int], int] = {}
        total = 0
        for order, size in sorted(self._sizes):
            offsets[order] = total
            total += size
        lines: dict[tuple[int, int], ExcerptLine] = {}
        leads: dict[int, bytes] = {}  # the line before a kept stretch, by its number
        keys: list[tuple[int, int]] = []  # private key blocks, by line number

        def put(number: int, part: int, line: ExcerptLine) -> None:
            found = lines.get((number, part))
            if found is None or found.priority < line.priority:
                lines[(number, part)] = line

        def lead(base: int, found: tuple[int, bytes] | None) -> None:
            if found is not None:
                leads[base + found[0]] = found[1]

        summaries = {id(k.summary): k for k in (*self._files, *self._tails)}
        for kept in summaries.values():
            base = offsets[kept.order]
            keys.extend((base + b, base + e) for b, e in kept.summary.key_ranges)
        owned: list[tuple[int, Anchor, float, list[tuple[int, int]]]] = []
        demoted = 0
        anchors = _merge_shapes(
            [
                (offsets[k.order], k.summary, a)
                for k in sorted(self._files, key=lambda k: k.order)
                for a in sorted(k.summary.anchors, key=lambda a: a.number)
            ]
        )
        self._in_green = (
            {id(a) for _, _, a in anchors if green_digest(a.raw) in green} if green else set()
        )
        priorities = self._priorities([a for _, _, a in anchors])
        for (base, _summary, anchor), priority in zip(anchors, priorities, strict=True):
            if self._seen_green(anchor):
                demoted += 1
            block = [*anchor.before, (anchor.number, anchor.raw), *anchor.after]
            lead(base, anchor.lead)
            own: list[tuple[int, int]] = []
            for number, part, line in self._render(block, base):
                distance = abs(number - base - anchor.number)
                if distance == 0:
                    own.append((number, part))
                    put(number, part, _with(line, priority, anchor.similar))
                else:
                    put(number, part, _with(line, max(1.0, priority * 0.45 - 4 * distance)))
            if own:
                owned.append((base, anchor, priority, own))
        for kept in self._tails:
            base = offsets[kept.order]
            tail = kept.summary.tail
            lead(base, kept.summary.tail_lead)
            for number, part, line in self._render(tail, base):
                from_end = base + kept.summary.lines - number
                put(number, part, _with(line, 40.0 - 5 * from_end if from_end < 3 else 12.0))
        for kept in sorted(self._files, key=lambda k: k.order)[:1]:
            first_step = min((n for n, _ in kept.summary.steps), default=None)
            for step in kept.summary.steps:
                for number, part, line in self._render([step], offsets[kept.order]):
                    put(number, part, _with(line, 30.0 if step[0] == first_step else 55.0))
        shown = self._redact(lines, leads, keys)
        ranked = [
            RankedAnchor(
                base + anchor.number,
                " ".join(shown[key].text for key in own),
                anchor.rules,
                anchor.score,
                priority,
                self._seen_green(anchor),
            )
            for base, anchor, priority, own in owned
        ]
        kind, headline = diagnose(ranked)
        if headline is not None:
            headline = self._redactor.redact(headline)
        return Excerpt(
            lines=_fold(shown),
            total_lines=total,
            error_lines=self._errors,
            files=len(self._sizes),
            truncated=self.truncated,
            headline=headline,
            kind=kind,
            compared_with=compared_with if green else None,
            similar_to_green=demoted,
        )

    def _seen_green(self, anchor: Anchor) -> bool:
        return id(anchor) in self._in_green

    def _priorities(self, anchors: list[Anchor]) -> list[float]:
        """Each anchor's rank: score, lifted for root cause and ending, decayed by family."""
        strong = [i for i, a in enumerate(anchors) if a.score >= _STRONG]
        lift = Counter[int]()
        for place, i in enumerate(strong[:3]):
            lift[i] += (8, 5, 3)[place]
        for i in range(max(0, len(anchors) - 3), len(anchors)):
            lift[i] += 4
        for i, anchor in enumerate(anchors):
            if anchor.rules & rules.SUMMARY_RULES:
                lift[i] += 8
            if self._seen_green(anchor):
                lift[i] -= anchor.score // 2 + 4
        raw = [float(a.score + lift[i]) for i, a in enumerate(anchors)]
        seen = Counter[frozenset[int] | bytes]()
        result = [0.0] * len(anchors)
        for i in sorted(range(len(anchors)), key=lambda i: -raw[i]):
            family = _family(anchors[i])
            # A further failure of a family keeps a floor: one line for each distinct
            # failure outranks the context of the others once the first is shown whole.
            floor = _SUMMARY_FLOOR if anchors[i].rules & rules.SUMMARY_RULES else _FAMILY_FLOOR
            result[i] = 10 * raw[i] * max(0.7 ** seen[family], floor)
            seen[family] += 1
        return result

    def _render(
        self, raw_lines: Iterable[tuple[int, bytes]], base: int
    ) -> list[tuple[int, int, ExcerptLine]]:
        """Kept lines as text, not yet redacted (that needs their neighbours: `_redact`)."""
        out: list[tuple[int, int, ExcerptLine]] = []
        for number, raw in raw_lines:
            level, _, parts = _pieces(raw)
            for part, piece in enumerate(parts):
                out.append((base + number, part, ExcerptLine(piece, level, number=base + number)))
        return out

    def _redact(
        self,
        lines: dict[tuple[int, int], ExcerptLine],
        leads: dict[int, bytes],
        keys: list[tuple[int, int]],
    ) -> dict[tuple[int, int], ExcerptLine]:
        """Every kept line redacted, in log order, each with what the line before it
        left open: the previous kept line, else the stretch's lead, and any key block
        the line sits in."""
        out: dict[tuple[int, int], ExcerptLine] = {}
        carry: Carry = NOTHING
        previous: tuple[int, int] | None = None
        for (number, part), line in sorted(lines.items()):
            follows = previous is not None and (
                previous == (number, part - 1) or (part == 0 and previous[0] == number - 1)
            )
            if not follows:
                carry = NOTHING
                if part == 0 and number - 1 in leads:
                    before = _pieces(leads[number - 1])[2][-1]
                    start = KEY_BLOCK if _inside(keys, number - 1) else NOTHING
                    carry = self._redactor.redact_line(before, start)[1]
            if _inside(keys, number) and not carry.in_key_block:
                carry = KEY_BLOCK
            redacted, carry = self._redactor.redact_line(line.text, carry)
            out[(number, part)] = ExcerptLine(
                clean_text(redacted, self.settings.max_line_chars),
                line.level,
                line.repeat,
                line.number,
                line.priority,
                line.similar,
            )
            previous = (number, part)
        return out


def _merge_shapes(
    anchors: list[tuple[int, FileSummary, Anchor]],
) -> list[tuple[int, FileSummary, Anchor]]:
    """Fold later lines into the first of the same shape (numbers and hashes masked).

    The scanner folds only what a cheap test catches; this finishes on the few kept.
    """
    first: dict[bytes, Anchor] = {}
    kept: list[tuple[int, FileSummary, Anchor]] = []
    for base, summary, anchor in anchors:
        key = shape(output_of(anchor.raw))
        found = first.get(key)
        if found is None:
            first[key] = anchor
            anchor.key = key
            kept.append((base, summary, anchor))
        else:
            found.similar += 1 + anchor.similar
    return kept


def _family(anchor: Anchor) -> frozenset[int] | bytes:
    strong = frozenset(r for r in anchor.rules if rules.WEIGHTS[r] >= 6)
    return strong or anchor.key


def _pieces(raw: bytes) -> tuple[str, str, list[str]]:
    """(level, text, its lines cleaned) of one raw line: an NDJSON `out` may hold several."""
    level, text, _ = parse_line(raw)
    parts = text.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return level, text, [clean_text(piece, 10_000) for piece in parts or [""]]


def _inside(ranges: list[tuple[int, int]], number: int) -> bool:
    return any(begin < number <= end for begin, end in ranges)


def _with(line: ExcerptLine, priority: float, similar: int = 0) -> ExcerptLine:
    return ExcerptLine(
        line.text, line.level, number=line.number, priority=priority, similar=similar
    )


def _fold(lines: dict[tuple[int, int], ExcerptLine]) -> tuple[ExcerptLine, ...]:
    """Log order; a run of identical adjacent lines becomes one line with a count."""
    folded: list[ExcerptLine] = []
    last_number = -1
    for (number, _part), line in sorted(lines.items()):
        previous = folded[-1] if folded else None
        if (
            previous is not None
            and previous.text == line.text
            and number == last_number + 1
            and not line.similar
        ):
            if not line.text:
                last_number = number
                continue  # a run of blank lines is one blank line
            folded[-1] = ExcerptLine(
                previous.text,
                previous.level,
                previous.repeat + 1,
                previous.number,
                max(previous.priority, line.priority),
                previous.similar,
            )
        else:
            folded.append(line)
        last_number = number
    return tuple(folded)


__all__ = ["ExcerptCollector", "RankedAnchor"]
