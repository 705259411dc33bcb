"""Helpers the Slack-facing tests share: asking the bot, reading its replies, logs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from emulators.harness import HarnessEmulator
from emulators.harness.runs import step_key
from tests.blockkit import assert_valid_message
from tests.conftest import RunningBot

ACK_TIMEOUT = 3.0  # what Slack allows for an acknowledgement


async def ask(bot: RunningBot, text: str, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a command that should be accepted: returns (ack body, the later reply)."""
    status, ack, rid = await asyncio.wait_for(bot.command(text, **kwargs), ACK_TIMEOUT)
    assert status == 200, ack
    assert isinstance(ack, dict) and ack["response_type"] == "ephemeral"
    assert "Fetching logs" in ack["text"], ack
    reply = await bot.reply(rid)
    assert_valid_message(reply)
    return ack, reply


def code_blocks(reply: dict[str, Any]) -> list[str]:
    return [
        b["text"]["text"]
        for b in reply["blocks"]
        if b["type"] == "section" and b.get("text", {}).get("text", "").startswith("```")
    ]


def buttons(reply: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    return [
        e
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]


def key_of(harness: HarnessEmulator, pipeline: str, run: int, stage_id: str, step_id: str) -> str:
    spec = next(
        r for r in harness.pipelines[("default", "shop")][pipeline].runs if r.run_sequence == run
    )
    return step_key(harness.account, spec, stage_id, step_id)


def line(level: str, out: str, i: int = 0) -> bytes:
    return (
        json.dumps(
            {"level": level, "pos": i, "out": out, "time": f"2025-11-20T10:00:{i % 60:02d}.000Z"}
        ).encode()
        + b"\n"
    )
