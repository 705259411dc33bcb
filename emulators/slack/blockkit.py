"""Slack's `invalid_blocks`: why Slack would refuse a message's Block Kit.

slack_sdk's models stand for Slack's documented schema
(https://api.slack.com/reference/block-kit/blocks), and the limits below are the ones
that page and each method's page give (50 blocks a message, 3,000 characters of
section text, 2,000 a field, 3,000 a button's URL, 40,000 of message text).
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

__all__ = ["block_problems"]


def block_problems(message: dict[str, Any]) -> list[str]:
    """Why Slack would refuse the message's blocks (`invalid_blocks`); empty when it would not.

    slack_sdk's models stand for Slack's documented schema: every block must parse,
    validate and come back from `to_dict()` unchanged, so an unknown type or field,
    at any depth (a misspelt `rich_text_section`), is caught rather than dropped.
    """
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    problems = []
    if len(blocks) > 50:
        problems.append("more than 50 blocks")
    if len(str(message.get("text") or "")) > 40_000:
        problems.append("text over 40,000 characters")
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"block {index}: unknown type {raw.get('type')!r}")
                continue
            block.validate_json()
        except SlackObjectFormationError as exc:
            problems.append(f"block {index}: {exc}")
            continue
        if _canonical(block.to_dict()) != _canonical(raw):
            problems.append(f"block {index}: unknown type or field inside {raw.get('type')!r}")
        if raw["type"] == "section" and "text" in raw and len(raw["text"]["text"]) > 3000:
            problems.append(f"block {index}: section text over 3,000 characters")
        for field in raw.get("fields", []):
            if len(field["text"]) > 2000:
                problems.append(f"block {index}: field over 2,000 characters")
        for element in raw.get("elements", []):
            if element.get("type") == "button" and len(element.get("url", "")) > 3000:
                problems.append(f"block {index}: button url over 3,000 characters")
    return problems


def _canonical(value: Any) -> Any:
    """JSON-equal form: key order and tuples do not matter."""
    return json.loads(json.dumps(value, sort_keys=True))
