from __future__ import annotations

from tests.conftest import RunningBot


async def test_latest_run_link_is_posted(bot: RunningBot) -> None:
    status, ack, rid = await bot.command("deploy_checkout")
    assert status == 200
    print(ack)
    reply = await bot.reply(rid)
    print(reply)
    assert reply["response_type"] == "in_channel"
