"""What failed, in one line, and what kind of failure it is.

The kind is voted by the rules the top-ranked failure lines matched (each rule
that says something about a cause carries a kind and a weight). A wrong kind in
every post sends people the wrong way, so it is said only on strong, unambiguous
evidence, else not at all:

- each line votes for one kind only: the one a decisive rule of it names (an
  XCTest failure is printed like a compiler diagnostic, `file:line: error:`; its
  "XCTAssertEqual failed" decides), else the one its rules say clearly most
  about, or none; lines of the same rules as one that voted count for little;
- a kind is said by one line among the first shown or by one decisive line (a
  rustc error code, a test runner's own time limit), by two lines anywhere in the
  top ones, or hinted at by three; it also needs a clear lead over the runner-up;
- a cause (a time limit, the network, access, a download, the pipeline) outweighs
  the test failure it led to, when a line says it other than in a test's name; two
  causes at once (the network broke a dependency install) leave the kind unsaid.

The headline names the failing test, the compiler error and its location, or else
says what the most telling line says (never CI boilerplate such as "Process
completed with exit code 1." when a line says more).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.excerpt import Kind
from bot.excerpt.rules import RULES, STEP_RULES

if TYPE_CHECKING:
    from bot.excerpt.collector import RankedAnchor

HEADLINE_CHARS = 200
_CLEAR = 8  # a line says a kind when its rules give it this much weight
_HINT = 6  # and hints at it from this much: three such lines say it too
_FIRST_PLACES = 2  # one line is enough among the first lines shown, else two are needed
_DECISIVE = 12  # or one line anywhere that says it with this much weight
_LEAD = 1.8  # the kind needs this many times the runner-up's weight
_LINE_LEAD = 1.5  # a line votes for the kind it says this much more than any other
_AGAIN = 0.5  # what a line counts, compounded, for each line of the same rules before it
_TOP = 10  # lines that vote: the ones the excerpt shows first
_STRONG = 8
_EXIT_RULES = frozenset(i for i, rule in enumerate(RULES) if rule.name == "exit_code")
_BOILERPLATE = frozenset(i for i, rule in enumerate(RULES) if rule.name == "ci_boilerplate")
# Kinds that name a cause; a test failure is often what a cause led to. (The pipeline's
# own gate is not one: a printed script's `exit 1` is no proof that tests did not fail.)
_CAUSES = frozenset(
    {
        Kind.TIMEOUT_OR_OOM,
        Kind.NETWORK_OR_FLAKY,
        Kind.PERMISSION_OR_SECRET,
        Kind.DEPENDENCY_INSTALL,
    }
)

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
    votes: dict[Kind, float] = {}  # weight by rank: the lines shown first count most
    clear: dict[Kind, list[tuple[int, int]]] = {}  # (place, weight) of lines that say it
    hints: dict[Kind, list[int]] = {}  # weights of lines that hint at it
    alone: set[Kind] = set()  # causes said by a line that is not about a test as well
    families = Counter[frozenset[int]]()  # the kind rules of each line that voted
    place = -1
    for anchor in top[:_TOP]:
        if anchor.in_green or anchor.rules & (STEP_RULES | _BOILERPLATE):
            continue  # printed by the last success too, a command as run, CI boilerplate
        place += 1
        said: dict[Kind, int] = {}
        sure: set[Kind] = set()  # kinds a decisive rule of the line names
        for rule in anchor.rules:
            found = RULES[rule]
            if found.kind is not None:
                said[found.kind] = said.get(found.kind, 0) + found.kind_weight
                if found.kind_weight >= _DECISIVE:
                    sure.add(found.kind)
        if not said:
            continue
        ordered = sorted(said.items(), key=lambda item: -item[1])
        kind, amount = ordered[0]
        if len(sure) == 1 and not _two_causes(said):
            # "error[E0271]: expected X to be Y" is rustc's, whatever else it reads like.
            (kind,) = sure
            amount = said[kind]
        elif len(ordered) > 1 and amount < _LINE_LEAD * ordered[1][1]:
            continue  # the line says two things about as strongly: it votes for neither
        # The twentieth "FAIL pkg" line adds nothing to the first: a family votes once
        # in full, then less each time.
        family = frozenset(r for r in anchor.rules if RULES[r].kind is kind)
        repeat = _AGAIN ** families[family]
        families[family] += 1
        votes[kind] = votes.get(kind, 0.0) + repeat * amount / (1.0 + 0.25 * place)
        if amount >= _CLEAR:
            clear.setdefault(kind, []).append((place, amount))
            if said.get(Kind.TEST_FAILURE, 0) * 3 <= amount:
                alone.add(kind)
        elif amount >= _HINT:
            hints.setdefault(kind, []).append(amount)
    shown = {
        k
        for k, found in clear.items()
        if len(found) > 1 or found[0][0] < _FIRST_PLACES or found[0][1] >= _DECISIVE
    }
    shown |= {k for k, found in hints.items() if len(found) >= 3}  # several hints agree
    causes = shown & _CAUSES
    if len(causes) > 1:
        return Kind.UNKNOWN  # the network broke a download: either could be meant
    if causes and causes <= alone:
        # A cause outweighs the test failure it led to, not another kind of failure.
        (cause,) = causes
        rivals = [v for k, v in votes.items() if k not in (cause, Kind.TEST_FAILURE)]
        if all(votes[cause] >= _LEAD * v for v in rivals):
            return cause
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    if not ranked:
        return Kind.UNKNOWN
    best, most = ranked[0]
    if best not in shown or (len(ranked) > 1 and most < _LEAD * ranked[1][1]):
        return Kind.UNKNOWN
    return best


def _two_causes(said: dict[Kind, int]) -> bool:
    """Whether a line clearly says two causes (a download that timed out)."""
    return sum(1 for k, amount in said.items() if k in _CAUSES and amount >= _CLEAR) > 1


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
    said = [a for a in top if not a.rules & _BOILERPLATE and a.score >= _STRONG]
    telling = said[0] if said else top[0]
    if telling.rules & _EXIT_RULES:
        # "exit code 1" says that it failed, not why: a line that says why reads better.
        telling = next(
            (a for a in said if any(RULES[r].kind is kind for r in a.rules)),
            telling,
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
