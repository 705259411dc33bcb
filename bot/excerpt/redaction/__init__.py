"""Secrets in text from Harness -> `[REDACTED:<kind>]`, before anything reaches Slack.

`Redactor` (in `redactor`) runs every stage on every line and carries key blocks and
prompts from one line to the next; `shapes`, `vendors`, `catalogue` and `encoded`
are the stages, `patterns` what they share.
"""

from __future__ import annotations

from bot.excerpt.redaction.patterns import mark
from bot.excerpt.redaction.redactor import (
    KEY_BLOCK,
    NOTHING,
    VALUE_NEXT,
    Carry,
    Open,
    Redactor,
    warm_up,
)

__all__ = ["KEY_BLOCK", "NOTHING", "VALUE_NEXT", "Carry", "Open", "Redactor", "mark", "warm_up"]
