"""The redactor: every stage on every line, and what one line leaves open for the next.

Stages, in order: the bot's own configured secrets; the shapes of `shapes` (command
lines, URLs, headers, `name=value`); the vendor formats of `vendors`;
detect-secrets' catalogue (`catalogue`); base64 runs that decode to any of these
(`encoded`). One Hyperscan scan (`prefilter`) says which of their expressions can
match a line, and only those run, so a line with nothing in it costs a few µs.

Across lines: inside a private key block every line of key material is hidden,
however long the block and whatever prefix each line carries (`app_1  | `,
`[deploy] `, `pod/api-7d9f `); a line that is not key material ends the block, so a
BEGIN without its END cannot hide the error after it. A line ending in a secret's
name or a password prompt (`password:`, `Enter passphrase for key 'x':`) hides the
value that starts the next line.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.excerpt.redaction import catalogue, encoded, shapes, vendors
from bot.excerpt.redaction.patterns import hide, mark
from bot.excerpt.redaction.prefilter import Prefilter

_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_MATERIAL = re.compile(
    r"|[A-Za-z0-9+/=]{8,}|=[A-Za-z0-9+/]{4}"
    r"|(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset|MessageID): ?.*"
)
# Key material after a prefix a log collector put in front of every line: a service
# name and a bar (compose), a bracketed tag, a pod name, a timestamp.
_PREFIXED_MATERIAL = re.compile(r"(.{1,80}?[\s|\]>:])\s*[A-Za-z0-9+/=]{16,}\s*")
# A secret's name with its separator and nothing after it, or a password prompt:
# the value is on the next line.
_NAME_ONLY = re.compile(
    rf"(?:{shapes.SECRET_WORDS})\b(?:\s+for\s+[^\n]{{1,120}})?(?:\\?[\"'])?\s*[=:]\s*"
    r"(?:\\?[\"'])?\s*$",
    re.I,
)
_SEPARATORS = frozenset(":=\"'")
_LEADING_VALUE = re.compile(r"^(\s*(?:\\?[\"'])?)([^\s\"'&,;\\]{3,})")
_MAX_DEPTH = 2  # base64 inside base64 (a docker config in a Kubernetes Secret), no deeper

PREFILTER = Prefilter(
    [
        *(p.regex for p in (*shapes.PATTERNS, *vendors.PATTERNS)),
        *catalogue.EXPRESSIONS,
        encoded.RUN,
    ]
)


class Open(enum.Enum):
    NONE = "none"
    KEY_BLOCK = "key_block"  # inside a PEM/PGP private key block
    VALUE_NEXT = "value_next"  # the line ended with a secret's name; the value comes next


@dataclass(frozen=True)
class Carry:
    """What one line leaves open for the next."""

    open: Open = Open.NONE
    prefix: str | None = None  # what precedes the key material on a key block's lines

    @property
    def in_key_block(self) -> bool:
        return self.open is Open.KEY_BLOCK


NOTHING = Carry()
KEY_BLOCK = Carry(Open.KEY_BLOCK)
VALUE_NEXT = Carry(Open.VALUE_NEXT)


def warm_up() -> None:
    """Compile (or load) the prefilter now rather than on the first line redacted."""
    PREFILTER.warm_up()


class Redactor:
    """Replaces secrets by `[REDACTED:<kind>]`, the bot's own configured ones first."""

    def __init__(self, configured: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._configured = sorted({s for s in configured if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """One piece of text, every stage, with no state from other lines."""
        return self._redact(text, 0)

    def _redact(self, text: str, depth: int) -> str:
        for secret in self._configured:
            if secret in text:
                text = text.replace(secret, mark("configured"))
        possible = PREFILTER.possible(text)
        if not possible:
            return text
        text = hide(text, shapes.PATTERNS, possible)
        text = hide(text, vendors.PATTERNS, possible)
        text = catalogue.redact(text, possible)
        if depth < _MAX_DEPTH and encoded.RUN in possible:
            text = encoded.redact(text, lambda inner: self._redact_block(inner, depth + 1))
        return text

    def _redact_block(self, text: str, depth: int) -> str:
        """Several lines (decoded base64 may hold a whole key file), carried across."""
        carry = NOTHING
        out = []
        for line in text.splitlines():
            redacted, carry = self._redact_line(line, carry, depth)
            out.append(redacted)
        return "\n".join(out)

    def redact_line(self, line: str, carry: Carry = NOTHING) -> tuple[str, Carry]:
        """One line of a sequence, with what the previous line left open."""
        return self._redact_line(line, carry, 0)

    def _redact_line(self, line: str, carry: Carry, depth: int) -> tuple[str, Carry]:
        if carry.in_key_block:
            end = _PEM_END.search(line)
            if end is not None:
                head = line[: end.start()]
                kept = "" if _KEY_MATERIAL.fullmatch(head.strip()) else self._redact(head, depth)
                return kept + mark("pem") + self._redact(line[end.end() :], depth), NOTHING
            prefix = _material_prefix(line, carry.prefix)
            if prefix is not None:
                return self._redact(prefix, depth) + mark("pem"), carry
        elif carry.open is Open.VALUE_NEXT:
            line = _LEADING_VALUE.sub(lambda m: m.group(1) + mark("secret"), line, count=1)
        begin = _PEM_BEGIN.search(line) if "-----BEGIN" in line else None
        if begin and not _PEM_END.search(line, begin.end()):
            head = line[: begin.start()]
            return self._redact(head, depth) + mark("pem"), Carry(Open.KEY_BLOCK, head)
        redacted = self._redact(line, depth)
        # Only a line ending in a separator can be a name waiting for its value.
        if redacted.rstrip()[-1:] in _SEPARATORS and _NAME_ONLY.search(redacted):
            return redacted, VALUE_NEXT
        return redacted, NOTHING

    def redact_lines(self, lines: Iterable[str]) -> Iterator[str]:
        """Line by line, carrying key blocks and names whose value is on the next line."""
        carry = NOTHING
        for line in lines:
            redacted, carry = self.redact_line(line, carry)
            yield redacted


def _material_prefix(line: str, prefix: str | None) -> str | None:
    """What precedes the key material on this line ("" for none), or None when the
    line is not key material: then the key block has ended."""
    if _KEY_MATERIAL.fullmatch(line.strip()):
        return ""
    if prefix and line.startswith(prefix) and _KEY_MATERIAL.fullmatch(line[len(prefix) :].strip()):
        return prefix
    found = _PREFIXED_MATERIAL.fullmatch(line)
    return found.group(1) if found else None


__all__ = [
    "KEY_BLOCK",
    "NOTHING",
    "PREFILTER",
    "VALUE_NEXT",
    "Carry",
    "Open",
    "Redactor",
    "warm_up",
]
