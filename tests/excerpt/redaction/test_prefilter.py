"""The prefilter may let an expression run for nothing, never keep one from running."""

from __future__ import annotations

from bot.excerpt.redaction.redactor import PREFILTER
from tests.excerpt.redaction.forms import FORMS, LOOKALIKES, b64

LINES = [
    *(row for form in FORMS for row in form.lines),
    *LOOKALIKES,
    # Lines the stages see after decoding base64 or after another stage's mark.
    *(b64(row) for form in FORMS for row in form.lines),
    "password: [REDACTED:secret] and token=[REDACTED:github_token]",
    "mixed\tTABS\tpassword=\thunter2\t",
]


def test_every_expression_that_matches_a_line_is_among_the_possible_ones() -> None:
    for line in LINES:
        possible = PREFILTER.possible(line)
        missed = [e.pattern for e in PREFILTER.expressions if e.search(line) and e not in possible]
        assert not missed, (line, missed)


def test_a_line_beyond_printable_ascii_runs_every_expression() -> None:
    assert PREFILTER.possible("passwörd: hunter2") == frozenset(PREFILTER.expressions)
    assert PREFILTER.possible("token\x0bvalue") == frozenset(PREFILTER.expressions)
