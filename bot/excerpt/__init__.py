"""A failing step's log -> a trimmed, redacted excerpt that shows why it failed.

Pure and streaming: bytes in, plain data out; nothing here knows Harness's HTTP
or Slack. `rules` says what failing lines look like (`matching` runs them with
Hyperscan), `scanner` finds and keeps them in one file, `collector` merges the
files of a step and ranks the lines, `diagnosis` names the failure, `settings` says
how much a read keeps, `sources` reads NDJSON, plain text, gzip and export zips;
`redaction` hides secrets.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.excerpt import (
    FULL_CHARS,
    MESSAGE_CHARS,
    MESSAGE_LINE_CHARS,
    Excerpt,
    ExcerptLine,
    Gap,
    Kind,
    Piece,
    fit_lines,
)
from bot.excerpt import matching, redaction
from bot.excerpt.collector import ExcerptCollector
from bot.excerpt.redaction import Redactor
from bot.excerpt.scanner import FileSummary, LogScanner
from bot.excerpt.settings import ExcerptSettings
from bot.excerpt.sources import (
    LogShapes,
    ReadBudget,
    ReadLimits,
    collect_stream,
    excerpt_stream,
    inflate,
    line_shapes,
)
from bot.excerpt.text import clean_message


def warm_up() -> None:
    """Compile the rule set and the redaction's prefilter now (or load them from the
    cache) rather than on the first log read."""
    matching.warm_up()
    redaction.warm_up()


def excerpt_of(
    chunks: Iterable[bytes], redactor: Redactor, settings: ExcerptSettings | None = None
) -> Excerpt:
    """The excerpt of one log given as byte chunks (NDJSON, plain text, gzip or zip)."""
    return excerpt_stream(iter(chunks), redactor, settings)


__all__ = [
    "FULL_CHARS",
    "MESSAGE_CHARS",
    "MESSAGE_LINE_CHARS",
    "Excerpt",
    "ExcerptCollector",
    "ExcerptLine",
    "ExcerptSettings",
    "FileSummary",
    "Gap",
    "Kind",
    "LogScanner",
    "LogShapes",
    "Piece",
    "ReadBudget",
    "ReadLimits",
    "clean_message",
    "collect_stream",
    "excerpt_of",
    "excerpt_stream",
    "fit_lines",
    "inflate",
    "line_shapes",
    "warm_up",
]
