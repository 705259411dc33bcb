"""Health, readiness and metrics endpoints of the running app."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.clock import MovableClock
from bot.readiness import TTL
from emulators.harness import HarnessEmulator
from emulators.slack import BOT_TOKEN
from tests.conftest import RunningBot
from tests.redis_server import redis_server


async def test_healthz_answers_while_the_process_lives(bot: RunningBot) -> None:
    async with bot.session.get(bot.url + "/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_readyz_checks_slack_and_harness(bot: RunningBot, harness: HarnessEmulator) -> None:
    async with bot.session.get(bot.url + "/readyz") as resp:
        assert resp.status == 200
        assert await resp.json() == {
            "status": "ready",
            "store": "ok",
            "slack": "ok",
            "harness": "ok",
        }
    assert [c.token for c in bot.slack.calls("auth.test")] == [BOT_TOKEN]
    assert len(harness.calls("pipelines.list")) == 1


async def test_a_burst_of_readiness_probes_costs_one_check_of_each(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    async def probe() -> int:
        async with bot.session.get(bot.url + "/readyz") as resp:
            return resp.status

    assert set(await asyncio.gather(*(probe() for _ in range(50)))) == {200}
    assert len(bot.slack.calls("auth.test")) == 1
    assert len(harness.calls("pipelines.list")) == 1


async def metric_lines(bot: RunningBot, prefix: str) -> list[str]:
    async with bot.session.get(bot.url + "/metrics") as resp:
        text = await resp.text()
    return [line for line in text.splitlines() if line.startswith(prefix)]


async def test_a_harness_outage_is_reported_while_the_replica_stays_ready_and_queues_work(
    start_bot: Any, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot(harness_api_key="pat.wrong.wrong.NotTheKey123")
    with caplog.at_level(logging.INFO, logger="bot.readiness"):
        for _ in range(2):  # a second probe: the outage is logged once, not every time
            async with bot.session.get(bot.url + "/readyz") as resp:
                assert resp.status == 200
                body = await resp.json()
            clock.advance(TTL)
    assert body == {
        "status": "degraded",
        "store": "ok",
        "slack": "ok",
        "harness": "error: HarnessAuthError",
    }
    assert "NotTheKey123" not in str(body)
    assert await metric_lines(bot, "harness_logs_dependency_up{") == [
        'harness_logs_dependency_up{dependency="store"} 1.0',
        'harness_logs_dependency_up{dependency="slack"} 1.0',
        'harness_logs_dependency_up{dependency="harness"} 0.0',
    ]
    (line,) = [r.getMessage() for r in caplog.records if "harness" in r.getMessage()]
    assert line == (
        "readiness: harness is down (error: HarnessAuthError); work is still accepted and queued"
    )
    # The replica still takes requests: the command is recorded and acknowledged.
    status, ack, _rid = await bot.command("deploy_checkout")
    assert status == 200
    assert "Fetching" in str(ack)


async def test_harness_coming_back_is_logged_and_the_gauge_follows(
    bot: RunningBot, harness: HarnessEmulator, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fail_next("pipelines.list", 503)
    with caplog.at_level(logging.INFO, logger="bot.readiness"):
        async with bot.session.get(bot.url + "/readyz") as resp:
            assert (resp.status, (await resp.json())["harness"]) == (
                200,
                "error: HarnessUnavailableError",
            )
        assert await metric_lines(bot, 'harness_logs_dependency_up{dependency="harness"}') == [
            'harness_logs_dependency_up{dependency="harness"} 0.0'
        ]
        clock.advance(TTL)  # past the cached answer
        async with bot.session.get(bot.url + "/readyz") as resp:
            assert await resp.json() == {
                "status": "ready",
                "store": "ok",
                "slack": "ok",
                "harness": "ok",
            }
    assert await metric_lines(bot, 'harness_logs_dependency_up{dependency="harness"}') == [
        'harness_logs_dependency_up{dependency="harness"} 1.0'
    ]
    assert [r.getMessage() for r in caplog.records][-1] == "readiness: harness is back"


async def test_an_unreachable_slack_is_reported_while_the_replica_stays_ready(
    start_bot: Any,
) -> None:
    bot = await start_bot(slack_api_url="http://127.0.0.1:9/api/")
    async with bot.session.get(bot.url + "/readyz") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["status"] == "degraded"
    assert body["slack"].startswith("error:")
    assert body["store"] == "ok"


async def test_without_its_store_the_replica_is_not_ready(
    start_bot: Any, clock: MovableClock, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as server:
        bot = await start_bot(bot_store_url=server.url(0))
        async with bot.session.get(bot.url + "/readyz") as resp:
            assert resp.status == 200
    clock.advance(TTL)  # Redis is gone
    async with bot.session.get(bot.url + "/readyz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["status"] == "not ready"
    assert body["store"].startswith("error:")
    assert await metric_lines(bot, 'harness_logs_dependency_up{dependency="store"}') == [
        'harness_logs_dependency_up{dependency="store"} 0.0'
    ]


async def test_metrics_count_commands_and_harness_calls(bot: RunningBot) -> None:
    await bot.command("help")
    _status, _ack, rid = await bot.command("deploy_checkout")
    await bot.reply(rid)
    await asyncio.wait_for(bot.app.idle(), 5)
    async with bot.session.get(bot.url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["content-type"].startswith("text/plain")
        text = await resp.text()
    assert 'harness_logs_commands_total{kind="help",outcome="ok"} 1.0' in text
    assert 'harness_logs_commands_total{kind="named",outcome="link"} 1.0' in text
    assert 'harness_logs_harness_requests_total{endpoint="logs.export",outcome="200"}' in text
    assert 'harness_logs_export_seconds_count{outcome="success"} 1.0' in text
    assert "harness_logs_jobs_in_flight 0.0" in text  # the command's job is done
    assert 'harness_logs_queue_wait_seconds_count{lane="interactive"}' in text
    assert "process_resident_memory_bytes" in text  # the default process collectors
    assert BOT_TOKEN not in text


async def test_on_shutdown_readiness_fails_at_once_and_running_work_finishes(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.export_gate = asyncio.Event()
    _status, _ack, rid = await bot.command("deploy_checkout")
    await harness.changes.wait_for(lambda: harness.calls("logs.export"))
    stopping = asyncio.create_task(bot.app.stop())
    await asyncio.sleep(0)  # let stop() begin
    async with bot.session.get(bot.url + "/readyz") as resp:
        assert resp.status == 503
        assert await resp.json() == {"status": "not ready", "process": "stopping"}
    harness.export_gate.set()  # the export finishes within the grace period
    reply = await bot.reply(rid)
    assert "download_logs" in str(reply)
    await asyncio.wait_for(stopping, 10)


async def test_work_not_finished_in_the_grace_period_is_answered_by_the_next_process(
    start_bot: Any, harness: HarnessEmulator, tmp_path: Any
) -> None:
    store = f"sqlite:///{tmp_path}/shared.db"
    first = await start_bot(bot_store_url=store, shutdown_grace=0.05)
    harness.export_gate = asyncio.Event()
    _status, _ack, rid = await first.command("deploy_checkout")
    await harness.changes.wait_for(lambda: harness.calls("logs.export"))
    await first.app.stop()  # the export is still running: the work goes back
    assert first.slack.replies_to(rid) == []
    harness.export_gate.set()
    second = await start_bot(bot_store_url=store)
    reply = await second.reply(rid)
    assert "download_logs" in str(reply)
    await asyncio.wait_for(second.app.idle(), 10)
    assert len(second.slack.replies_to(rid)) == 1


async def test_with_a_health_port_the_public_port_serves_only_what_slack_and_harness_post_to(
    start_bot: Any,
) -> None:
    bot = await start_bot(health_port=0, harness_webhook_token="whtoken-123456")
    internal = f"http://127.0.0.1:{bot.app.health_port}"
    for path in ("/healthz", "/readyz", "/metrics"):
        async with bot.session.get(bot.url + path) as resp:
            assert resp.status == 404, path
        async with bot.session.get(internal + path) as resp:
            assert resp.status == 200, path
    async with bot.session.post(internal + "/slack/events", data=b"x") as resp:
        assert resp.status in (404, 405)
    status, _ack, _rid = await bot.command("help")
    assert status == 200
