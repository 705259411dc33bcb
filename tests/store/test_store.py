"""The store, the same tests on both backends (SQLite file and a real redis-server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import Clock, MovableClock
from bot.store import PipelineKey, Store, StoreUrlError, Subscription, ThreadRecord, open_store

CHECKOUT = PipelineKey("acc", "default", "shop", "deploy_checkout")
PAYMENTS = PipelineKey("acc", "payments", "checkout", "deploy_payments")


@pytest.fixture
async def store(store_url: str, clock: MovableClock) -> AsyncIterator[Store]:
    opened = await open_store(store_url, clock)
    yield opened
    await opened.close()


def sub(channel: str, key: PipelineKey = CHECKOUT, events: str = "failures") -> Subscription:
    return Subscription(channel, key, "Deploy Checkout", events, "U1", 1.0)  # type: ignore[arg-type]


async def test_subscriptions_by_channel_and_by_pipeline(store: Store) -> None:
    assert await store.add_subscription(sub("C1")) is True
    assert await store.add_subscription(sub("C2")) is True
    assert await store.add_subscription(sub("C1", PAYMENTS)) is True
    assert [s.channel for s in await store.pipeline_subscriptions(CHECKOUT)] == ["C1", "C2"]
    assert {s.pipeline for s in await store.channel_subscriptions("C1")} == {CHECKOUT, PAYMENTS}
    assert await store.pipeline_subscriptions(PipelineKey("acc", "x", "y", "z")) == []


async def test_subscribing_again_updates_events_and_heals(store: Store) -> None:
    await store.add_subscription(sub("C1"))
    await store.mark_broken("C1", CHECKOUT, "not_in_channel")
    assert (await store.channel_subscriptions("C1"))[0].broken == "not_in_channel"
    later = Subscription("C1", CHECKOUT, "Deploy Checkout v2", "all", "U2", 99.0)
    assert await store.add_subscription(later) is False
    (again,) = await store.channel_subscriptions("C1")
    assert again.events == "all"
    assert again.pipeline_name == "Deploy Checkout v2"
    assert again.broken is None
    # Who subscribed first, and when, stay the same on both backends.
    assert (again.created_by, again.created_at) == ("U1", 1.0)
    assert [s.channel for s in await store.pipeline_subscriptions(CHECKOUT)] == ["C1"]


async def test_unsubscribe(store: Store) -> None:
    await store.add_subscription(sub("C1"))
    assert await store.remove_subscription("C1", CHECKOUT) is True
    assert await store.remove_subscription("C1", CHECKOUT) is False
    assert await store.pipeline_subscriptions(CHECKOUT) == []
    assert await store.channel_subscriptions("C1") == []


async def test_threads_and_last_failures(store: Store) -> None:
    record = ThreadRecord(
        "C1",
        "exec1",
        "1763700000.000100",
        CHECKOUT,
        42,
        "Failed",
    )
    assert await store.get_thread("C1", "exec1") is None
    await store.save_thread(record)
    assert await store.get_thread("C1", "exec1") == record
    assert await store.get_thread("C2", "exec1") is None
    await store.set_last_failure("C1", CHECKOUT, "exec1")
    assert await store.last_failure("C1", CHECKOUT) == "exec1"
    await store.set_last_failure("C1", CHECKOUT, None)
    assert await store.last_failure("C1", CHECKOUT) is None


async def outlive(store_url: str, clock: MovableClock, seconds: float) -> None:
    """Let `seconds` pass for the store: SQLite keeps time by the bot's clock (moved);
    Redis by its own, which only waiting moves (so Redis cases use short times)."""
    if store_url.startswith("sqlite"):
        clock.advance(seconds)
    else:
        await asyncio.sleep(seconds)


async def test_a_claim_is_taken_once_until_it_expires(
    store: Store, store_url: str, clock: MovableClock
) -> None:
    assert await store.claim("event:1", 60) is True
    assert await store.claim("event:1", 60) is False
    assert await store.claim("event:2", 0.05) is True
    assert await store.claim("event:2", 60) is False
    await outlive(store_url, clock, 0.1)
    assert await store.claim("event:2", 60) is True
    await store.release("event:1")
    assert await store.claim("event:1", 60) is True


async def test_a_renewed_claim_outlives_its_first_lease(
    store: Store, store_url: str, clock: MovableClock
) -> None:
    assert await store.claim("export:x", 0.05) is True
    await store.renew("export:x", 60)  # its holder is still at work
    await outlive(store_url, clock, 0.1)
    assert await store.claim("export:x", 60) is False
    await store.renew("export:gone", 60)  # nothing to renew: nothing is claimed
    assert await store.claim("export:gone", 60) is True


async def test_concurrent_claims_have_one_winner(store_url: str) -> None:
    # Two clients, as two replicas would have.
    first, second = await open_store(store_url, Clock()), await open_store(store_url, Clock())
    try:
        results = await asyncio.gather(
            *(s.claim("webhook:x", 60) for s in (first, second) for _ in range(5))
        )
        assert results.count(True) == 1
    finally:
        await first.close()
        await second.close()


async def test_state_survives_reopening(store_url: str) -> None:
    store = await open_store(store_url, Clock())
    await store.add_subscription(sub("C1"))
    await store.close()
    reopened = await open_store(store_url, Clock())
    assert [s.channel for s in await reopened.pipeline_subscriptions(CHECKOUT)] == ["C1"]
    await reopened.ping()
    await reopened.close()


async def test_sqlite_creates_its_file_migrates_and_uses_wal(tmp_path: Path) -> None:
    from bot.store.sqlite import MIGRATIONS, SqliteStore

    path = tmp_path / "nested" / "dir" / "bot.db"
    store = await open_store(f"sqlite:///{path}", Clock())
    assert isinstance(store, SqliteStore)
    assert path.exists()
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    assert (tmp_path / "nested" / "dir" / "bot.db-wal").exists() or path.exists()
    import sqlite3

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_version_1_database_keeps_its_threads_through_the_migrations(
    tmp_path: Path,
) -> None:
    import sqlite3
    from dataclasses import astuple

    from bot.store.sqlite import MIGRATIONS

    path = tmp_path / "bot.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute(
            "INSERT INTO threads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("C1", "exec1", "1.2", *astuple(CHECKOUT), 42, "Failed", "{}", Clock().time()),
        )
        db.execute("PRAGMA user_version = 1")
    store = await open_store(f"sqlite:///{path}", Clock())
    try:
        thread = await store.get_thread("C1", "exec1")
        assert thread == ThreadRecord("C1", "exec1", "1.2", CHECKOUT, 42, "Failed")
    finally:
        await store.close()


async def test_an_unknown_store_url_is_refused() -> None:
    with pytest.raises(StoreUrlError):
        await open_store("mysql://db/bot", Clock())


async def test_kept_values_expire(store: Store, store_url: str, clock: MovableClock) -> None:
    await store.put_value("link:a/b", '{"url": "https://x"}', 60)
    await store.put_value("link:gone", "old", 0.05)
    assert await store.get_value("link:gone") == "old"
    await outlive(store_url, clock, 0.1)
    assert await store.get_value("link:a/b") == '{"url": "https://x"}'
    assert await store.get_value("link:gone") is None
    assert await store.get_value("link:never") is None


async def test_all_subscriptions_by_channel_then_pipeline(store: Store) -> None:
    await store.add_subscription(sub("C2"))
    await store.add_subscription(sub("C1", PAYMENTS))
    await store.add_subscription(sub("C1"))
    everything = await store.all_subscriptions(10)
    assert [(s.channel, s.pipeline.pipeline) for s in everything] == [
        ("C1", "deploy_checkout"),
        ("C1", "deploy_payments"),
        ("C2", "deploy_checkout"),
    ]
    assert len(await store.all_subscriptions(2)) == 2


async def test_a_kept_value_is_taken_once(store: Store) -> None:
    await store.put_value("mute:C1", "by U1", 60)
    results = await asyncio.gather(*(store.take_value("mute:C1") for _ in range(5)))
    assert [r for r in results if r is not None] == ["by U1"]
    assert await store.get_value("mute:C1") is None


async def test_filters_are_kept_and_changed_by_subscribing_again(store: Store) -> None:
    from dataclasses import replace

    from bot.domain import Filters

    filtered = replace(sub("C1"), filters=Filters(("main", "release/*"), ("deploy_*",), "none"))
    await store.add_subscription(filtered)
    (kept,) = await store.channel_subscriptions("C1")
    assert kept.filters == filtered.filters
    await store.add_subscription(sub("C1"))
    (changed,) = await store.pipeline_subscriptions(CHECKOUT)
    assert changed.filters == Filters()
