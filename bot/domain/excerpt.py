"""A failing step's excerpt as plain data, and how it is fitted into a budget.

Every kept line carries a priority. A post shows the lines that fit its budget in
order of priority (the failure, the summary, then their context), laid out in log
order with the gaps between them counted; the longer "Show full excerpt" text is
the same excerpt with a bigger budget. Built by bot/excerpt, shown by the edges.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass

from bot.domain.reasons import ReadStop

# The in-message excerpt and the longer one behind "Show full excerpt".
MESSAGE_CHARS = 2_600
FULL_CHARS = 12_000
MESSAGE_LINE_CHARS = 240


class Kind(enum.StrEnum):
    """The fixed vocabulary of failure kinds (part of the CLI's JSON contract)."""

    TEST_FAILURE = "test_failure"
    COMPILE_ERROR = "compile_error"
    LINT_ERROR = "lint_error"
    DEPENDENCY_INSTALL = "dependency_install"
    PERMISSION_OR_SECRET = "permission_or_secret"  # noqa: S105 (a kind, not a secret)
    TIMEOUT_OR_OOM = "timeout_or_oom"
    NETWORK_OR_FLAKY = "network_or_flaky"
    CONTAINER_BUILD = "container_build"
    PIPELINE_CONFIG = "pipeline_config"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ExcerptLine:
    text: str
    level: str = "info"
    repeat: int = 1
    number: int = 0  # line number in the step's log (1-based; 0 when not known)
    priority: float = 0.0
    similar: int = 0  # later lines of the same shape folded into this one

    def display(self, max_chars: int | None = None) -> str:
        text = self.text
        if max_chars is not None and len(text) > max_chars:
            text = text[: max_chars - 1] + "…"
        if self.repeat > 1:
            text += f"  (repeated {self.repeat:,} times)"
        if self.similar:
            text += f"  (+{self.similar:,} similar)"
        return text


@dataclass(frozen=True)
class Gap:
    omitted: int

    def display(self) -> str:
        return f"… {self.omitted:,} line{'s' if self.omitted != 1 else ''} omitted …"


Piece = ExcerptLine | Gap


@dataclass(frozen=True)
class Excerpt:
    lines: tuple[ExcerptLine, ...]
    total_lines: int
    error_lines: int  # lines that read as a failure
    files: int = 1
    truncated: ReadStop | None = None  # why reading stopped early, when it did
    headline: str | None = None  # what failed, in one line
    kind: Kind = Kind.UNKNOWN
    compared_with: int | None = None  # run number of the green run lines were compared with
    similar_to_green: int = 0  # failure lines demoted because the green run printed them too

    @property
    def empty(self) -> bool:
        return self.total_lines == 0

    @property
    def pieces(self) -> tuple[Piece, ...]:
        """Every kept line in log order, with the gaps between them."""
        return _with_gaps(list(self.lines), self.total_lines)

    def render_lines(
        self, max_chars: int | None = None, line_chars: int | None = None
    ) -> list[str]:
        """The excerpt as display lines; with `max_chars`, the most telling lines that fit."""
        if max_chars is None:
            chosen = list(self.lines)
        else:
            chosen = _choose(self.lines, self.total_lines, max_chars, line_chars)
        return [
            piece.display()
            if isinstance(piece, Gap)
            else piece.display(_cut_for(piece, line_chars))
            for piece in _with_gaps(chosen, self.total_lines)
        ]

    def render(self, max_chars: int, line_chars: int | None = None) -> str:
        return "\n".join(self.render_lines(max_chars, line_chars))


# The most telling lines are shown whole (up to max_line_chars) even where others are cut.
_WHOLE_PRIORITY = 150.0


def _cut_for(line: ExcerptLine, line_chars: int | None) -> int | None:
    return None if line_chars is None or line.priority >= _WHOLE_PRIORITY else line_chars


def _with_gaps(lines: list[ExcerptLine], total: int) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    previous = 0
    for line in lines:
        if line.number > previous + 1:
            pieces.append(Gap(line.number - previous - 1))
        pieces.append(line)
        previous = max(previous, line.number + line.repeat - 1)
    if pieces and total > previous:
        pieces.append(Gap(total - previous))
    return tuple(pieces)


_GAP_CHARS = 24  # "… 12,345 lines omitted …" and its newline


def _choose(
    lines: tuple[ExcerptLine, ...], total: int, max_chars: int, line_chars: int | None
) -> list[ExcerptLine]:
    """The highest-priority lines whose display, gaps included, fits in `max_chars`.

    Greedy by priority; a line's cost is its text plus the gap markers its
    arrival adds (a line next to one already chosen adds none, one that fills
    the hole between two chosen lines removes one).
    """
    order = sorted(range(len(lines)), key=lambda i: (-lines[i].priority, lines[i].number))
    numbers = [line.number for line in lines]
    chosen: list[int] = []  # indexes into `lines`, kept sorted by line number
    used = 0
    for index in order:
        line = lines[index]
        shown = line.display(_cut_for(line, line_chars))
        cost = len(shown) + 1 + _gap_delta(chosen, numbers, index, total)
        if used + cost > max_chars:
            continue
        bisect.insort(chosen, index, key=lambda i: numbers[i])
        used += cost
    return [lines[i] for i in chosen]


def _gap_delta(chosen: list[int], numbers: list[int], index: int, total: int) -> int:
    """How many gap-marker characters adding line `index` adds (or removes)."""
    number = numbers[index]
    if not chosen:
        return _GAP_CHARS * ((number > 1) + (number < total))
    position = bisect.bisect_left([numbers[i] for i in chosen], number)
    before = numbers[chosen[position - 1]] if position > 0 else 0
    after = numbers[chosen[position]] if position < len(chosen) else total + 1
    had = after - before > 1  # a gap between the neighbours before
    left = number - before > 1
    right = after - number > 1
    return _GAP_CHARS * (left + right - had)


def fit_lines(lines: list[str], max_chars: int) -> list[str]:
    """Drop whole lines from the top until the joined text fits, and say how many went."""
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


__all__ = [
    "FULL_CHARS",
    "MESSAGE_CHARS",
    "MESSAGE_LINE_CHARS",
    "Excerpt",
    "ExcerptLine",
    "Gap",
    "Kind",
    "Piece",
    "fit_lines",
]
