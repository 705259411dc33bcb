"""Buttons: "Show full excerpt" posts the longer excerpt in the message's thread."""

from __future__ import annotations

import json
from typing import Any

from emulators.harness import HarnessEmulator
from emulators.slack import BOT_TOKEN
from tests.blockkit import assert_valid_message
from tests.conftest import RunningBot
from tests.slack.support import ask, buttons, key_of, line


async def excerpt_button(bot: RunningBot, text: str) -> str:
    _, reply = await ask(bot, text)
    (button,) = buttons(reply, "show_full_excerpt")
    value: str = button["value"]
    return value


async def test_full_excerpt_is_posted_in_the_thread(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    key = key_of(harness, "integration", 5, "ui", "e2e")
    failures = {50: "ERROR: cache volume is read-only", 150: "ERROR: upload refused by registry"}
    harness.logs[key] = b"".join(
        line("info", failures.get(i, f"line {i}") + "\n", i) for i in range(1, 301)
    )
    value = await excerpt_button(bot, "integration #5 ui/e2e")
    status, _ = await bot.press("show_full_excerpt", value, message_ts="1763700000.000777")
    assert status == 200
    posted = await bot.slack.wait_for(lambda: bot.slack.calls("chat.postMessage"))
    call = posted[0]
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == "C0INCIDENT"
    assert call.args["thread_ts"] == "1763700000.000777"
    blocks = (
        call.args["blocks"]
        if isinstance(call.args["blocks"], list)
        else json.loads(call.args["blocks"])
    )
    assert_valid_message({"text": call.args["text"], "blocks": blocks})
    code = "\n".join(b["text"]["text"] for b in blocks if b["text"]["text"].startswith("```"))
    # Longer than the post's excerpt: 10 lines before each failure and 60 at the end.
    assert "line 40\n" in code
    assert "cache volume is read-only" in code
    assert "upload refused by registry" in code
    assert "line 241" in code
    assert "line 300" in code
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert any(t.startswith(":mag: `unknown cause`  cache volume is read-only") for t in texts)


async def test_where_the_bot_is_not_a_member_the_response_url_is_used(bot: RunningBot) -> None:
    value = await excerpt_button(bot, "integration #5 ui/e2e")
    _status, response_id = await bot.press("show_full_excerpt", value, channel_id="C0PRIVATE1")
    reply = await bot.reply(response_id)
    assert reply["response_type"] == "in_channel"
    assert reply["replace_original"] is False
    assert reply["thread_ts"] == "1763700000.000100"
    assert any("exit status 2" in b.get("text", {}).get("text", "") for b in reply["blocks"])


async def test_an_excerpt_too_long_for_messages_becomes_a_file(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    key = key_of(harness, "integration", 5, "ui", "e2e")
    harness.logs[key] = b"".join(
        line("error" if i % 40 == 0 else "info", f"{i:04d} " + "z" * 290 + "\n", i)
        for i in range(1, 400)
    )
    value = await excerpt_button(bot, "integration #5 ui/e2e")
    await bot.press("show_full_excerpt", value, message_ts="1763700000.000999")
    completed = await bot.slack.wait_for(lambda: bot.slack.calls("files.completeUploadExternal"))
    assert completed[0].args["channel_id"] == "C0INCIDENT"
    assert completed[0].args["thread_ts"] == "1763700000.000999"
    (content,) = bot.slack.uploads.values()
    text = content.decode()
    assert "0399 zzz" in text
    assert len(text.splitlines()) <= 200


async def test_a_forged_button_value_does_nothing(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    for value in ("not json", json.dumps({"o": "../x", "p": "shop", "e": "abc", "n": "n1"}), ""):
        status, response_id = await bot.press("show_full_excerpt", value)
        assert status == 200
        assert bot.slack.replies_to(response_id) == []
    assert harness.requests == []
    assert bot.slack.calls("chat.postMessage") == []


async def test_link_buttons_are_acknowledged(bot: RunningBot) -> None:
    status, _ = await bot.press("download_logs", "")
    assert status == 200


async def test_a_vanished_execution_is_explained_privately(bot: RunningBot) -> None:
    value = json.dumps({"o": "default", "p": "shop", "e": "gone123", "n": "n1"})
    _status, response_id = await bot.press("show_full_excerpt", value)
    reply: dict[str, Any] = await bot.reply(response_id)
    assert reply["response_type"] == "ephemeral"
    assert "no longer in Harness" in reply["text"]
