"""Every secret form of the corpus, one log each, through `harness-logs-bot excerpt`:
the value never shows, in the in-message excerpt, the full one or the headline, while
the rest of its line does. And the look-alikes people need in an incident come
through unchanged."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.excerpt import clean_message
from bot.excerpt.redaction import Redactor
from tests.excerpt.logs import ci_log
from tests.excerpt.redaction.forms import FORMS, LOOKALIKES, Form

BEFORE = [f"[build] compiling module {i} of 12" for i in range(12)]
FAILURE = "Error: deploy failed, see above"
# More lines than the excerpt's tail, so only the lines around the failure are kept.
AFTER = [f"[cleanup] removing container {i}" for i in range(24)]


def excerpt_json(tmp_path: Path, lines: list[str]) -> dict[str, Any]:
    path = tmp_path / "step.log"
    path.write_bytes(ci_log("\n".join(lines)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["excerpt", str(path), "--json"]) == 0
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_no_form_of_secret_reaches_the_excerpt(tmp_path: Path, form: Form) -> None:
    data = excerpt_json(tmp_path, [*BEFORE, *form.lines, FAILURE, *AFTER])
    shown = "\n".join([data["headline"] or "", data["excerpt"], data["full"]])
    for secret in form.secret:
        assert secret not in shown, f"{form.name}: {secret!r} leaked"
    assert form.shown in data["excerpt"], f"{form.name}: its line is not in the excerpt"
    assert FAILURE in data["excerpt"]


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_no_form_of_secret_survives_in_a_message_from_harness(form: Form) -> None:
    # A failure message or a webhook's errorMessage may quote the same lines.
    cleaned = clean_message("\r\n".join(["Error: step failed:", *form.lines]), Redactor())
    for secret in form.secret:
        assert secret not in cleaned, f"{form.name}: {secret!r} leaked"
    assert "[REDACTED:" in cleaned


@pytest.mark.parametrize("line", LOOKALIKES)
def test_what_people_need_in_an_incident_is_not_hidden(tmp_path: Path, line: str) -> None:
    assert Redactor().redact(line) == line
    data = excerpt_json(tmp_path, [*BEFORE, line, FAILURE, *AFTER])
    assert line in data["excerpt"].splitlines()
