"""App Home: opening the bot's Home tab publishes usage with the pipelines the person
sees, their recent requests, the subscriptions of their channels and the Harness host."""

from __future__ import annotations

import json
from typing import Any

from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator
from tests.blockkit import all_text
from tests.conftest import RunningBot
from tests.incident import slack_event
from tests.slack.support import ask

OPENED = {"type": "app_home_opened", "user": "U0ALICE001", "channel": "D0HOME0001", "tab": "home"}


async def test_opening_home_shows_usage_recent_requests_and_subscriptions(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    _status, _ack, rid = await bot.command("subscribe deploy_checkout")
    await bot.reply(rid)
    slack.user_channels["U0ALICE001"] = {"C0INCIDENT"}  # alice is in #incident
    await ask(bot, "deploy_checkout #42")
    assert await slack_event(bot, OPENED) == 200
    (call,) = await slack.wait_for(lambda: slack.calls("views.publish"))
    assert call.args["user_id"] == "U0ALICE001"
    view: Any = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    text = all_text(view)
    assert "/harness-logs deploy_checkout #42 deploy_prod/rollout" in text  # their pipeline
    assert "Your recent requests" in text and "`/harness-logs deploy_checkout #42`" in text
    assert "<#C0INCIDENT>: *Deploy Checkout* (`default/shop`) `events=failures`" in text
    assert "127.0.0.1" in text and harness.api_key not in json.dumps(view)
    assert slack.invalid == []


async def test_a_first_visit_says_none_yet(bot: RunningBot, slack: SlackEmulator) -> None:
    assert await slack_event(bot, {**OPENED, "user": "U0NEWCOMER"}) == 200
    (call,) = await slack.wait_for(lambda: slack.calls("views.publish"))
    view: Any = call.args["view"]
    text = all_text(json.loads(view) if isinstance(view, str) else view)
    assert "/harness-logs deploy_checkout" in text
    assert text.count("None yet.") == 2
