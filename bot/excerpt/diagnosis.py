"""What failed, in one line, and what kind of failure it is.

The kind is voted by the rules the top-ranked failure lines matched (each rule
that says something about a cause carries a kind and a weight), so a root cause
such as "Permission denied" outweighs the "1 test failed" it led to. The
headline names the failing test, the compiler error and its location, or else
says what the most telling line says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.excerpt.rules import RULES, Kind

if TYPE_CHECKING:
    from bot.excerpt.collector import RankedAnchor

HEADLINE_CHARS = 200
_MIN_VOTES = 4.0
_STRONG = 8
_EXIT_RULES = frozenset(i for i, rule in enumerate(RULES) if rule.name == "exit_code")

_COUNT = re.compile(r"\b(\d[\d,]*) (?:tests? )?(?:failed|failing)\b|Tests?:\s+(\d[\d,]*) failed")
_TEST_IDS = (
    re.compile(r"^FAILED (\S+)(?: - (.+))?"),  # pytest's short summary
    re.compile(r"--- FAIL: (\S+)"),  # go test
    re.compile(r"^test (\S+) \.\.\. FAILED"),  # cargo test
    re.compile(r"^\s*(?:●|✕|✗)\s+(.+?)(?:\s+\(\d+\s*m?s\))?$"),  # jest, vitest
)
_MESSAGE = re.compile(
    r"^(?:E\s+)?((?:[\w.]+(?:Error|Exception|Failure))(?::\s*.+)?|assert .+|Expected.+)"
)
_TSC = re.compile(r"(\S+?\.[cm]?[jt]sx?)[(:](\d+)[,:]\d+\)?:?\s*-?\s*error (TS\d+):\s*(.+)")
_RUSTC = re.compile(r"error\[(E\d{4})\]:\s*(.+)")
_COMPILER = re.compile(r"(\S+\.\w+):(\d+)(?::\d+)?:\s*(?:fatal )?error:\s*(.+)")
_NOISE = re.compile(
    r"^(?:##\[error\]|::error[^:]*::|\[ERROR\]\s*|(?:ERROR|Error|error):\s+(?=\S)|ERROR\s+(?=\S))"
)


def diagnose(ranked: Sequence[RankedAnchor]) -> tuple[Kind, str | None]:
    if not ranked:
        return Kind.UNKNOWN, None
    top = sorted(ranked, key=lambda a: -a.priority)[:12]
    kind = _kind(top)
    return kind, _headline(ranked, top, kind)


def _kind(top: Sequence[RankedAnchor]) -> Kind:
    votes: dict[Kind, float] = {}
    for place, anchor in enumerate(top):
        if anchor.in_green:
            continue  # printed by the last success too: not what broke this run
        weight = 1.0 / (1.0 + 0.25 * place)
        for rule in anchor.rules:
            found = RULES[rule]
            if found.kind is not None:
                votes[found.kind] = votes.get(found.kind, 0.0) + found.kind_weight * weight
    if not votes:
        return Kind.UNKNOWN
    kind, count = max(votes.items(), key=lambda item: item[1])
    return kind if count >= _MIN_VOTES else Kind.UNKNOWN


def _headline(ranked: Sequence[RankedAnchor], top: Sequence[RankedAnchor], kind: Kind) -> str:
    texts = [a.text for a in ranked]
    if kind is Kind.TEST_FAILURE:
        found = _tests(texts)
        if found:
            return _short(found)
    if kind in (Kind.COMPILE_ERROR, Kind.TEST_FAILURE):
        found = _compiler(texts)
        if found:
            return _short(found)
    telling = top[0]
    if top[0].rules & _EXIT_RULES:
        # "exit code 1" says that it failed, not why: a line that says why reads better.
        telling = next(
            (a for a in top if a.score >= _STRONG and any(RULES[r].kind is kind for r in a.rules)),
            top[0],
        )
    return _short(_NOISE.sub("", telling.text).strip())


def _tests(texts: list[str]) -> str | None:
    count = None
    for text in reversed(texts):
        match = _COUNT.search(text)
        if match:
            count = int((match.group(1) or match.group(2)).replace(",", ""))
            break
    test = message = None
    for text in texts:
        for pattern in _TEST_IDS:
            match = pattern.search(text)
            if match:
                test = match.group(1)
                message = match.group(2) if match.lastindex and match.lastindex > 1 else None
                break
        if test:
            break
    if message is None:
        message = next((m.group(1) for t in texts if (m := _MESSAGE.search(t.strip()))), None)
    if test is None and count is None:
        return None
    what = f"{count:,} test{'s' if count != 1 else ''} failed" if count else "Test failed"
    parts = [what + (f": {test}" if test else "")]
    if message:
        parts.append(message)
    return " — ".join(parts)


def _compiler(texts: list[str]) -> str | None:
    for text in texts:
        match = _TSC.search(text)
        if match:
            return f"error {match.group(3)} in {match.group(1)}:{match.group(2)}: {match.group(4)}"
    for position, text in enumerate(texts):
        match = _RUSTC.search(text)
        if match:
            where = next(
                (m.group(1) for t in texts[position + 1 : position + 4] if (m := _ARROW.search(t))),
                None,
            )
            return f"error[{match.group(1)}] {match.group(2)}" + (f" in {where}" if where else "")
    for text in texts:
        match = _COMPILER.search(text)
        if match:
            return f"error in {match.group(1)}:{match.group(2)}: {match.group(3)}"
    return None


_ARROW = re.compile(r"-->\s*(\S+:\d+)")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= HEADLINE_CHARS else text[: HEADLINE_CHARS - 1] + "…"


__all__ = ["HEADLINE_CHARS", "diagnose"]
