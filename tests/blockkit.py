"""Checks a message against Slack's Block Kit rules with slack_sdk's own models."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block


def assert_valid_message(message: dict[str, Any]) -> None:
    blocks = message.get("blocks", [])
    assert len(blocks) <= 50, "Slack allows at most 50 blocks"
    assert len(message.get("text", "")) <= 40_000
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError on any violation
        if raw["type"] == "section" and "text" in raw:
            assert len(raw["text"]["text"]) <= 3000
        for field in raw.get("fields", []):
            assert len(field["text"]) <= 2000
        for element in raw.get("elements", []):
            if element.get("type") == "button" and "url" in element:
                assert len(element["url"]) <= 3000


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
