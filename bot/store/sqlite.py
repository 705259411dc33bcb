"""SQLite store: one file, WAL mode, schema versioned by `PRAGMA user_version`.

aiosqlite runs SQLite on its own thread, so queries never block the event
loop. Migrations run at start-up, in order, each in a transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from bot.clock import Clock
from bot.domain import Events, Filters, Lane, Work
from bot.domain.windows import LocalWindow
from bot.store.base import PipelineKey, Subscription, ThreadRecord
from bot.store.groupcommit import GroupCommit

MIGRATIONS: tuple[str, ...] = (
    # 1: subscriptions, threads, claims, last failures
    """
    CREATE TABLE subscriptions (
        channel TEXT NOT NULL, account TEXT NOT NULL, org TEXT NOT NULL,
        project TEXT NOT NULL, pipeline TEXT NOT NULL, pipeline_name TEXT NOT NULL,
        events TEXT NOT NULL, created_by TEXT NOT NULL, created_at REAL NOT NULL,
        broken TEXT,
        PRIMARY KEY (channel, account, org, project, pipeline)
    );
    CREATE INDEX subscriptions_by_pipeline ON subscriptions (account, org, project, pipeline);
    CREATE TABLE threads (
        channel TEXT NOT NULL, plan_execution_id TEXT NOT NULL, ts TEXT NOT NULL,
        account TEXT NOT NULL, org TEXT NOT NULL, project TEXT NOT NULL, pipeline TEXT NOT NULL,
        run_sequence INTEGER NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (channel, plan_execution_id)
    );
    CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
    CREATE TABLE last_failures (
        channel TEXT NOT NULL, account TEXT NOT NULL, org TEXT NOT NULL,
        project TEXT NOT NULL, pipeline TEXT NOT NULL, plan_execution_id TEXT NOT NULL,
        PRIMARY KEY (channel, account, org, project, pipeline)
    );
    """,
    # 2: a thread no longer keeps its parent message (nothing read it)
    "ALTER TABLE threads DROP COLUMN message;",
    # 3: the durable work queue; a key is unique among queued work
    """
    CREATE TABLE work (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        lane TEXT NOT NULL, body TEXT NOT NULL, key TEXT UNIQUE,
        not_before REAL NOT NULL, owner TEXT, lease_until REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX work_due ON work (lane, not_before);
    """,
    # 4: values kept for a while (finished exports' links)
    "CREATE TABLE kept (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL);",
    # 5: a subscription's branch and stage filters and whom it mentions (JSON)
    "ALTER TABLE subscriptions ADD COLUMN filters TEXT NOT NULL DEFAULT '{}';",
)
_DONE = "done:"  # claims that remember finished work by its key
THREAD_RETENTION = 30 * 86400
# Queries are built only from these constants; every value is a bound parameter.
_OF = "account=? AND org=? AND project=? AND pipeline=?"  # one pipeline
_AT = f"channel=? AND {_OF}"  # one pipeline in one channel


def _at(channel: str, key: PipelineKey) -> tuple[str, str, str, str, str]:
    return (channel, key.account, key.org, key.project, key.pipeline)


def _sub(row: aiosqlite.Row) -> Subscription:
    events: Events = "all" if row["events"] == "all" else "failures"
    return Subscription(
        channel=row["channel"],
        pipeline=PipelineKey(row["account"], row["org"], row["project"], row["pipeline"]),
        pipeline_name=row["pipeline_name"],
        events=events,
        created_by=row["created_by"],
        created_at=row["created_at"],
        broken=row["broken"],
        filters=Filters.from_dict(json.loads(row["filters"] or "{}")),
    )


class SqliteStore:
    def __init__(self, db: aiosqlite.Connection, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._windows: dict[str, LocalWindow] = {}
        self._enqueues: GroupCommit[Work, bool] = GroupCommit(self._enqueue_all)

    @classmethod
    async def open(cls, path: str, clock: Clock) -> SqliteStore:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA busy_timeout=5000")
        await db.execute("PRAGMA synchronous=NORMAL")
        store = cls(db, clock)
        await store._migrate()
        now = clock.time()
        await db.execute("DELETE FROM threads WHERE updated_at < ?", (now - THREAD_RETENTION,))
        await db.execute("DELETE FROM claims WHERE expires_at < ?", (now,))
        await db.execute("DELETE FROM kept WHERE expires_at < ?", (now,))
        return store

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(
                f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;"
            )

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def add_subscription(self, subscription: Subscription) -> bool:
        key = subscription.pipeline
        existed = await self._one(
            f"SELECT 1 FROM subscriptions WHERE {_AT}",
            _at(subscription.channel, key),
        )
        await self._db.execute(
            """INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
               ON CONFLICT (channel, account, org, project, pipeline) DO UPDATE SET
               events=excluded.events, pipeline_name=excluded.pipeline_name, broken=NULL,
               filters=excluded.filters""",
            (
                subscription.channel,
                key.account,
                key.org,
                key.project,
                key.pipeline,
                subscription.pipeline_name,
                subscription.events,
                subscription.created_by,
                subscription.created_at or self._clock.time(),
                json.dumps(subscription.filters.as_dict()),
            ),
        )
        return existed is None

    async def remove_subscription(self, channel: str, pipeline: PipelineKey) -> bool:
        cursor = await self._db.execute(
            f"DELETE FROM subscriptions WHERE {_AT}",
            _at(channel, pipeline),
        )
        return cursor.rowcount > 0

    async def channel_subscriptions(self, channel: str) -> list[Subscription]:
        async with self._db.execute(
            "SELECT * FROM subscriptions WHERE channel=? ORDER BY pipeline_name, pipeline",
            (channel,),
        ) as cursor:
            return [_sub(row) for row in await cursor.fetchall()]

    async def all_subscriptions(self, limit: int) -> list[Subscription]:
        async with self._db.execute(
            "SELECT * FROM subscriptions ORDER BY channel, pipeline_name, pipeline LIMIT ?",
            (limit,),
        ) as cursor:
            return [_sub(row) for row in await cursor.fetchall()]

    async def pipeline_subscriptions(self, pipeline: PipelineKey) -> list[Subscription]:
        async with self._db.execute(
            f"SELECT * FROM subscriptions WHERE {_OF} ORDER BY channel",
            (pipeline.account, pipeline.org, pipeline.project, pipeline.pipeline),
        ) as cursor:
            return [_sub(row) for row in await cursor.fetchall()]

    async def mark_broken(self, channel: str, pipeline: PipelineKey, reason: str) -> None:
        await self._db.execute(
            f"UPDATE subscriptions SET broken=? WHERE {_AT}",
            (reason, *_at(channel, pipeline)),
        )

    async def get_thread(self, channel: str, plan_execution_id: str) -> ThreadRecord | None:
        row = await self._one(
            "SELECT * FROM threads WHERE channel=? AND plan_execution_id=?",
            (channel, plan_execution_id),
        )
        if row is None:
            return None
        return ThreadRecord(
            channel=row["channel"],
            plan_execution_id=row["plan_execution_id"],
            ts=row["ts"],
            pipeline=PipelineKey(row["account"], row["org"], row["project"], row["pipeline"]),
            run_sequence=row["run_sequence"],
            status=row["status"],
        )

    async def save_thread(self, record: ThreadRecord) -> None:
        key = record.pipeline
        await self._db.execute(
            "INSERT OR REPLACE INTO threads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.channel,
                record.plan_execution_id,
                record.ts,
                key.account,
                key.org,
                key.project,
                key.pipeline,
                record.run_sequence,
                record.status,
                self._clock.time(),
            ),
        )

    async def last_failure(self, channel: str, pipeline: PipelineKey) -> str | None:
        row = await self._one(
            f"SELECT plan_execution_id FROM last_failures WHERE {_AT}",
            _at(channel, pipeline),
        )
        return str(row[0]) if row else None

    async def set_last_failure(
        self, channel: str, pipeline: PipelineKey, plan_execution_id: str | None
    ) -> None:
        where = _at(channel, pipeline)
        if plan_execution_id is None:
            await self._db.execute(
                f"DELETE FROM last_failures WHERE {_AT}",
                where,
            )
        else:
            await self._db.execute(
                "INSERT OR REPLACE INTO last_failures VALUES (?, ?, ?, ?, ?, ?)",
                (*where, plan_execution_id),
            )

    async def put_value(self, key: str, value: str, ttl_seconds: float) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO kept VALUES (?, ?, ?)",
            (key, value, self._clock.time() + ttl_seconds),
        )

    async def get_value(self, key: str) -> str | None:
        row = await self._one(
            "SELECT value FROM kept WHERE key = ? AND expires_at > ?", (key, self._clock.time())
        )
        return str(row["value"]) if row else None

    async def take_value(self, key: str) -> str | None:
        async with self._db.execute(
            "DELETE FROM kept WHERE key = ? RETURNING value, expires_at", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row["value"]) if row and row["expires_at"] > self._clock.time() else None

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        now = self._clock.time()
        cursor = await self._db.execute(
            """INSERT INTO claims VALUES (?, ?)
               ON CONFLICT (key) DO UPDATE SET expires_at=excluded.expires_at
               WHERE claims.expires_at < ?""",
            (key, now + ttl_seconds, now),
        )
        return cursor.rowcount == 1

    def window(self, name: str) -> LocalWindow:
        # One process owns a SQLite file: its window is the process's own.
        if name not in self._windows:
            self._windows[name] = LocalWindow(self._clock.monotonic)
        return self._windows[name]

    async def release(self, key: str) -> None:
        await self._db.execute("DELETE FROM claims WHERE key=?", (key,))

    async def renew(self, key: str, ttl_seconds: float) -> None:
        await self._db.execute(
            "UPDATE claims SET expires_at=? WHERE key=?", (self._clock.time() + ttl_seconds, key)
        )

    # -- the work queue -------------------------------------------------------

    async def enqueue(self, work: Work) -> bool:
        return await self._enqueues.write(work)

    async def _enqueue_all(self, works: Sequence[Work]) -> list[bool]:
        """One statement, so one transaction for the group, and a concurrent finish
        cannot slip between the check and the insert."""
        rows = ", ".join(["(?, ?, ?, ?)"] * len(works))
        values = [v for w in works for v in (w.lane.value, w.to_json(), w.key, w.not_before)]
        async with self._db.execute(
            f"""INSERT OR IGNORE INTO work (lane, body, key, not_before)
                SELECT column1, column2, column3, column4 FROM (VALUES {rows}) AS v
                WHERE NOT EXISTS (
                    SELECT 1 FROM claims WHERE key = ? || v.column3 AND expires_at >= ?
                )
                RETURNING key""",
            (*values, _DONE, self._clock.time()),
        ) as cursor:
            added_keys = {row["key"] for row in await cursor.fetchall()}
        added: list[bool] = []
        for work in works:  # of two with one key in a group, the first was inserted
            added.append(work.key is None or work.key in added_keys)
            added_keys.discard(work.key)
        return added

    async def take(self, lane: Lane, owner: str, lease: float, limit: int) -> list[Work]:
        now = self._clock.time()
        async with self._db.execute(
            """UPDATE work SET owner = ?, lease_until = ?
               WHERE id IN (
                   SELECT id FROM work WHERE lane = ? AND not_before <= ? AND lease_until < ?
                   ORDER BY not_before, id LIMIT ?
               )
               RETURNING id, body""",
            (owner, now + lease, lane.value, now, now, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        taken = [Work.from_json(row["body"], id=str(row["id"])) for row in rows]
        return sorted(taken, key=lambda w: (w.not_before, int(w.id)))

    async def extend(self, work: Work, owner: str, lease: float) -> None:
        await self._db.execute(
            "UPDATE work SET lease_until = ? WHERE id = ? AND owner = ?",
            (self._clock.time() + lease, int(work.id), owner),
        )

    async def finish(self, work: Work, remember: float) -> None:
        if work.key is not None:
            await self.claim(_DONE + work.key, remember)
        await self._db.execute("DELETE FROM work WHERE id = ?", (int(work.id),))

    async def retry(self, work: Work) -> None:
        await self._db.execute(
            "UPDATE work SET body = ?, not_before = ?, owner = NULL, lease_until = 0 WHERE id = ?",
            (work.to_json(), work.not_before, int(work.id)),
        )

    async def drop(self, work: Work) -> None:
        await self._db.execute("DELETE FROM work WHERE id = ?", (int(work.id),))

    async def queued(self, lane: Lane) -> int:
        row = await self._one("SELECT count(*) FROM work WHERE lane = ?", (lane.value,))
        return int(row[0]) if row else 0

    async def oldest(self, lane: Lane) -> float | None:
        row = await self._one(
            "SELECT min(json_extract(body, '$.created_at')) FROM work"
            " WHERE lane = ? AND not_before <= ?",
            (lane.value, self._clock.time()),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def ping(self) -> None:
        await self._one("SELECT 1", ())

    async def close(self) -> None:
        await self._db.close()

    async def _one(self, sql: str, params: tuple[object, ...]) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()
