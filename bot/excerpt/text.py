"""One raw log line -> the text people read: NDJSON fields, colour codes, CR frames, stamps."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.excerpt.redaction import Redactor

_OUT_PREFIX = re.compile(rb'"out"\s*:\s*"((?:[^"\\]|\\.)*)')
_LEVEL = re.compile(rb'"level"\s*:\s*"(\w+)"')
_TIME = re.compile(rb'"time"\s*:\s*"([^"]{1,64})"')
# Every ECMA-48 escape: CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), and the
# two-byte forms including character-set designations such as `ESC ( B` (tput sgr0).
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]+[0-~]"
    r"|\x1b[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
# A timestamp the CI system put in front of every line (GitHub's, ISO 8601, bracketed).
_STAMP = re.compile(
    r"^(?:\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?(?:\s|$))+"
)
# What differs between two otherwise identical lines: numbers, hashes, durations.
_VARIABLE = re.compile(rb"0x[0-9a-fA-F]+|[0-9a-fA-F]{7,}|\d+(?:\.\d+)?")


def parse_line(raw: bytes) -> tuple[str, str, str | None]:
    """(level, text, time) of one NDJSON line; non-JSON lines are kept as text."""
    if raw[:1] == b"{":
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


def first_time(raw: bytes) -> str | None:
    return parse_line(raw)[2] if raw[:1] == b"{" else None


def _unescape(fragment: bytes) -> str:
    text = fragment.decode("utf-8", errors="replace")
    try:
        return str(json.loads(f'"{text}"'))
    except ValueError:
        # Cut inside an escape sequence: drop the partial escape at the end.
        return str(json.loads('"' + re.sub(r"\\u?[0-9a-fA-F]{0,3}$|\\$", "", text) + '"'))


def clean_text(text: str, max_chars: int) -> str:
    """Strip escapes, control characters and leading timestamps; keep the last CR frame.

    Tabs stay tabs: tools print them as separators (`go test`'s `FAIL\tpkg`, the
    `job\tstep\ttime` columns of a downloaded GitHub log), and a line copied from the
    post must still be found verbatim in the log.
    """
    text = ANSI.sub("", text)
    if "\r" in text:
        text = text.rstrip("\r").rsplit("\r", 1)[-1]
    text = _CONTROL.sub("", text).rstrip()
    text = _STAMP.sub("", text)
    return cut(text, max_chars)


def clean_message(text: str, redactor: Redactor) -> str:
    """A message from Harness (a failure message, a webhook's errorMessage) made safe to show.

    Escapes go first, so a colour code between a key and its `=` cannot hide a secret.
    """
    lines = [clean_text(line, 100_000) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(redactor.redact_lines(lines)).strip()


def cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def output_of(raw: bytes) -> bytes:
    """The printed text of a raw line as stored (an NDJSON line's `out` value), unparsed."""
    match = _OUT_PREFIX.search(raw) if raw[:1] == b"{" else None
    return match.group(1) if match else raw


_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")


def quick_shape(raw: bytes) -> bytes:
    """A cheap first cut of `shape` for the hot path: digits zeroed, from the text on.

    Catches repeats whose numbers keep their width (timestamps, counters); `shape`
    finishes the job on the few lines that are kept.
    """
    start = raw.find(b'"out"')
    return (raw[start:] if start >= 0 else raw).translate(_DIGITS)


def digest(shape: bytes) -> bytes:
    """Eight bytes standing for a shape: what a green log's set of shapes holds."""
    return hashlib.blake2b(shape, digest_size=8).digest()


def green_digest(raw: bytes) -> bytes:
    """What a line is compared by with the last green run's lines: the digest of its
    text as printed (colour codes and timestamps gone, numbers masked), so that a
    line matches whatever form each log came in (NDJSON escapes it, plain text not)."""
    return digest(shape(clean_text(parse_line(raw)[1], 10_000).encode()))


def shape(raw: bytes) -> bytes:
    """A line with numbers, hashes and durations masked: lines of one shape fold together.

    Works on the raw line, so an NDJSON line's position and time fields mask away too.
    """
    return _VARIABLE.sub(b"#", raw)


__all__ = [
    "ANSI",
    "clean_message",
    "clean_text",
    "cut",
    "digest",
    "first_time",
    "green_digest",
    "output_of",
    "parse_line",
    "quick_shape",
    "shape",
]
