"""The bot on any day: the whole world's wall clock a year on and a year back, then a
command, its link, the kept link, and a webhook's alert, end to end.

time-machine moves the process's wall clock (every `time.time()`, `datetime.now()`),
so nothing here knows a date: not the bot, not the emulators, not the requests signed
in the test. Monotonic time is left alone, as it is when a real clock is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from bot.clock import Clock, MovableClock
from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator
from tests.blockkit import all_text
from tests.incident import WEBHOOK_TOKEN, event_body, post_webhook, text_of
from tests.slack.support import ask

JOURNEYS = {"a-year-on": timedelta(days=365), "a-year-back": timedelta(days=-365)}


@pytest.fixture(params=list(JOURNEYS))
def clock(request: pytest.FixtureRequest) -> Iterator[MovableClock]:
    """Overrides the suite's clock: the travel starts before any emulator or bot does."""
    destination = Clock().now() + JOURNEYS[request.param]
    with time_machine.travel(destination, tick=True):
        travelled = MovableClock()
        assert abs((travelled.now() - destination).total_seconds()) < 60
        yield travelled


async def test_a_command_its_kept_link_and_an_alert_work_on_any_day(
    start_bot: Any, harness: HarnessEmulator, slack: SlackEmulator, clock: MovableClock
) -> None:
    bot = await start_bot(harness_webhook_token=WEBHOOK_TOKEN)
    _, reply = await ask(bot, "deploy_checkout #42")
    said = all_text(reply)
    assert "download_logs" in said
    spec = harness.pipelines[("default", "shop")]["deploy_checkout"].runs[0]
    expires = harness.link_expires(
        f"{harness.account}/pipeline/deploy_checkout/42/-{spec.plan_execution_id}"
    )
    assert expires is not None
    assert abs((expires - clock.now()) - timedelta(days=1)) < timedelta(minutes=5)  # a day on
    assert f"|{expires:%Y-%m-%d %H:%M} UTC>" in said  # from this (travelled) day
    exported = len(harness.calls("logs.export"))
    _, again = await ask(bot, "deploy_checkout #42")
    assert "download_logs" in all_text(again)
    assert len(harness.calls("logs.export")) == exported  # the kept link, not a new export

    _status, _ack, rid = await bot.command("subscribe deploy_checkout")
    assert "subscribed" in all_text(await bot.reply(rid)).lower()
    status, _answer = await post_webhook(bot, event_body(harness))
    assert status == 202
    await slack.wait_for(lambda: slack.posts("C0INCIDENT"))
    await asyncio.wait_for(bot.app.idle(), 20)
    (alert,) = slack.shown("C0INCIDENT")
    assert "Deploy Checkout #42" in text_of(alert) and ":x: Failed" in text_of(alert)
