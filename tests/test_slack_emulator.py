"""The Slack emulator refuses what Slack refuses: blocks outside the documented schema."""

from __future__ import annotations

import json

import aiohttp
import pytest

from emulators.slack import BOT_TOKEN, SlackEmulator
from emulators.slack.blockkit import block_problems

GOOD = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}
MISSPELT = {
    "type": "rich_text",
    "elements": [
        {"type": "rich_textsection", "elements": [{"type": "link", "url": "https://x.test"}]}
    ],
}


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([GOOD], None),
        ([MISSPELT], "unknown type or field inside 'rich_text'"),
        ([{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}], "unknown type"),
        ([{**GOOD, "colour": "red"}], "unknown type or field inside 'section'"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3000"),
        ([GOOD] * 51, "more than 50 blocks"),
    ],
)
def test_block_problems_follow_slacks_schema(blocks: list[object], problem: str | None) -> None:
    found = block_problems({"text": "t", "blocks": blocks})
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


async def test_the_emulator_answers_invalid_blocks(slack: SlackEmulator) -> None:
    slack.members.add("C0TEST0001")
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{slack.api_url}chat.postMessage",
            json={"channel": "C0TEST0001", "text": "t", "blocks": [MISSPELT]},
            headers={"authorization": f"Bearer {BOT_TOKEN}"},
        ) as resp:
            answer = await resp.json()
        async with session.post(
            slack.response_url("r1"), json={"text": "t", "blocks": json.dumps([MISSPELT])}
        ) as resp:
            status, text = resp.status, await resp.text()
    assert answer["ok"] is False
    assert answer["error"] == "invalid_blocks"
    assert (status, text) == (400, "invalid_blocks")
    assert slack.replies == []
    assert len(slack.invalid) == 2
