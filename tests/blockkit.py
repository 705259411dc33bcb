"""Assertions about messages: valid as Slack would take them, and what they say."""

from __future__ import annotations

from typing import Any

from emulators.slack.blockkit import block_problems


def assert_valid_message(message: dict[str, Any]) -> None:
    problems = block_problems(message)
    assert not problems, problems


def all_text(message: dict[str, Any]) -> str:
    """Every string in the message, for "does it say X" and "does it leak Y" checks."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(message)
    return "\n".join(out)
