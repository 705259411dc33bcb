"""What every redaction stage shares: a pattern that names a kind, and how a match is hidden.

A pattern hides either its whole match or the groups that hold the secret (the
rest of the match, a key name or a command, stays readable). Text already hidden,
by another stage or by Harness's own `***` mask, is never hidden twice.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import partial

MARK = re.compile(r"\[REDACTED:([a-z0-9_]+)\]")
_ALREADY = re.compile(r"\[REDACTED:[a-z0-9_]+\]|\*{3,}")  # our mark, or Harness's mask


def mark(kind: str) -> str:
    return f"[REDACTED:{kind}]"


@dataclass(frozen=True)
class Pattern:
    kind: str
    regex: re.Pattern[str]
    # Hide only the groups that took part in the match (alternatives may hold the
    # secret in different groups); without groups, the whole match.
    groups: bool = False


def pattern(kind: str, regex: str, *, groups: bool = False, flags: int = 0) -> Pattern:
    return Pattern(kind, re.compile(regex, flags), groups)


def hide(text: str, patterns: Iterable[Pattern], possible: Container[re.Pattern[str]]) -> str:
    """Every match of every pattern, in turn, replaced by its mark; only the patterns
    among `possible` (the prefilter's answer) are run."""
    for found in patterns:
        if found.regex not in possible:
            continue
        how = _hide_groups if found.groups else _hide_whole
        text = found.regex.sub(partial(how, kind=found.kind), text)
    return text


# Some catalogue expressions take the delimiters around a token into their match.
_DELIMITERS = " \t\"'=:"


def _hide_whole(match: re.Match[str], kind: str) -> str:
    whole = match.group(0)
    if _ALREADY.fullmatch(whole):
        return whole
    token = whole.strip(_DELIMITERS)
    if not token:
        return whole
    start = whole.index(token)
    return whole[:start] + mark(kind) + whole[start + len(token) :]


def _hide_groups(match: re.Match[str], kind: str) -> str:
    whole = match.group(0)
    offset = match.start()
    spans = [
        match.span(i)
        for i in range(1, (match.re.groups or 0) + 1)
        if match.group(i) and not _ALREADY.match(match.group(i))
    ]
    if not spans:
        return whole
    # Nested groups: keep the outermost spans only.
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    out = []
    cursor = 0
    for start, end in kept:
        out.append(whole[cursor : start - offset])
        out.append(mark(kind))
        cursor = end - offset
    out.append(whole[cursor:])
    return "".join(out)


__all__ = ["MARK", "Pattern", "hide", "mark", "pattern"]
