"""Redis store, for several replicas behind a load balancer.

Keys (all under `hl:`): a hash of subscriptions per channel, a set of
subscribed channels per pipeline, a JSON record per execution thread, a
string per last failure, and `SET NX EX` claims, which is what lets two
replicas receiving the same webhook act once.

The work queue is a Redis Stream per lane read by one consumer group
(`XADD` / `XREADGROUP` / `XACK`); work whose replica died is taken over with
`XAUTOCLAIM` once its lease (the entry's idle time) runs out, and a live worker
keeps its lease with `XCLAIM`. Work due later waits in a sorted set and is moved
to the stream, atomically, by whichever replica looks first. A key is held while
its work is queued and remembered once it is done.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.clock import Clock
from bot.domain import Filters, Lane, Work
from bot.store.base import PipelineKey, Subscription, ThreadRecord
from bot.store.groupcommit import GroupCommit
from bot.store.windows import RedisWindow

THREAD_TTL = 30 * 86400
GROUP = "workers"
QUEUED_KEY_TTL = 86400  # a key held by queued work outlives any deadline

# Due work from the sorted set into the stream, all or nothing.
_PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, body in ipairs(due) do
    redis.call('ZREM', KEYS[1], body)
    redis.call('XADD', KEYS[2], '*', 'w', body)
end
return #due
"""


def _stream(lane: Lane) -> str:
    return f"hl:q:{lane.value}"


def _delayed(lane: Lane) -> str:
    return f"hl:q:{lane.value}:later"


def _key(key: str) -> str:
    return f"hl:work-key:{key}"


def _pipe(key: PipelineKey) -> str:
    return json.dumps([key.account, key.org, key.project, key.pipeline], separators=(",", ":"))


def _sub_to_json(sub: Subscription) -> str:
    return json.dumps(
        {
            "pipeline": [
                sub.pipeline.account,
                sub.pipeline.org,
                sub.pipeline.project,
                sub.pipeline.pipeline,
            ],
            "pipeline_name": sub.pipeline_name,
            "events": sub.events,
            "created_by": sub.created_by,
            "created_at": sub.created_at,
            "broken": sub.broken,
            "filters": sub.filters.as_dict(),
        }
    )


def _sub_from_json(channel: str, raw: str | bytes) -> Subscription:
    data: dict[str, Any] = json.loads(raw)
    return Subscription(
        channel=channel,
        pipeline=PipelineKey(*data["pipeline"]),
        pipeline_name=data["pipeline_name"],
        events="all" if data["events"] == "all" else "failures",
        created_by=data["created_by"],
        created_at=data["created_at"],
        broken=data.get("broken"),
        filters=Filters.from_dict(data.get("filters")),
    )


class RedisStore:
    def __init__(self, redis: Redis, clock: Clock) -> None:
        self._redis = redis
        self._clock = clock
        self._windows: dict[str, RedisWindow] = {}
        self._enqueues: GroupCommit[Work, bool] = GroupCommit(self._enqueue_all)

    @classmethod
    async def open(cls, url: str, clock: Clock) -> RedisStore:
        redis = Redis.from_url(
            url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5
        )
        await redis.ping()
        store = cls(redis, clock)
        for lane in Lane:
            try:
                await redis.xgroup_create(_stream(lane), GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        return store

    async def add_subscription(self, subscription: Subscription) -> bool:
        channel_key = f"hl:subs:{subscription.channel}"
        field = _pipe(subscription.pipeline)
        stored = Subscription(
            **{
                **subscription.__dict__,
                "created_at": subscription.created_at or self._clock.time(),
                "broken": None,
            }
        )
        created = await self._redis.hsetnx(channel_key, field, _sub_to_json(stored))
        if not created:
            # Subscribing again changes what is posted and heals a broken one; who
            # subscribed first, and when, stay (as in the SQLite store).
            raw = await self._redis.hget(channel_key, field)
            if raw is not None:
                first = _sub_from_json(subscription.channel, str(raw))
                stored = Subscription(
                    **{
                        **stored.__dict__,
                        "created_by": first.created_by,
                        "created_at": first.created_at,
                    }
                )
            await self._redis.hset(channel_key, field, _sub_to_json(stored))
        await self._redis.sadd(f"hl:pipe:{field}", subscription.channel)
        return bool(created)

    async def remove_subscription(self, channel: str, pipeline: PipelineKey) -> bool:
        field = _pipe(pipeline)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hdel(f"hl:subs:{channel}", field)
            tx.srem(f"hl:pipe:{field}", channel)
            removed, *_ = await tx.execute()
        return bool(removed)

    async def channel_subscriptions(self, channel: str) -> list[Subscription]:
        rows = await self._redis.hgetall(f"hl:subs:{channel}")
        subs = [_sub_from_json(channel, raw) for raw in rows.values()]
        return sorted(subs, key=lambda s: (s.pipeline_name, s.pipeline.pipeline))

    async def all_subscriptions(self, limit: int) -> list[Subscription]:
        channels = sorted(
            [str(key).removeprefix("hl:subs:") async for key in self._redis.scan_iter("hl:subs:*")]
        )
        found: list[Subscription] = []
        for channel in channels:
            found.extend(await self.channel_subscriptions(channel))
            if len(found) >= limit:
                break
        return found[:limit]

    async def pipeline_subscriptions(self, pipeline: PipelineKey) -> list[Subscription]:
        field = _pipe(pipeline)
        channels = sorted(str(c) for c in await self._redis.smembers(f"hl:pipe:{field}"))
        subs = []
        for channel in channels:
            raw = await self._redis.hget(f"hl:subs:{channel}", field)
            if raw is not None:
                subs.append(_sub_from_json(channel, str(raw)))
        return subs

    async def mark_broken(self, channel: str, pipeline: PipelineKey, reason: str) -> None:
        field = _pipe(pipeline)
        raw = await self._redis.hget(f"hl:subs:{channel}", field)
        if raw is None:
            return
        sub = _sub_from_json(channel, raw)
        await self._redis.hset(
            f"hl:subs:{channel}",
            field,
            _sub_to_json(Subscription(**{**sub.__dict__, "broken": reason})),
        )

    async def get_thread(self, channel: str, plan_execution_id: str) -> ThreadRecord | None:
        raw = await self._redis.get(f"hl:thread:{channel}:{plan_execution_id}")
        if raw is None:
            return None
        data = json.loads(raw)
        return ThreadRecord(
            channel=channel,
            plan_execution_id=plan_execution_id,
            ts=data["ts"],
            pipeline=PipelineKey(*data["pipeline"]),
            run_sequence=data["run_sequence"],
            status=data["status"],
        )

    async def save_thread(self, record: ThreadRecord) -> None:
        key = record.pipeline
        data = {
            "ts": record.ts,
            "pipeline": [key.account, key.org, key.project, key.pipeline],
            "run_sequence": record.run_sequence,
            "status": record.status,
        }
        await self._redis.set(
            f"hl:thread:{record.channel}:{record.plan_execution_id}",
            json.dumps(data),
            ex=THREAD_TTL,
        )

    async def last_failure(self, channel: str, pipeline: PipelineKey) -> str | None:
        value = await self._redis.get(f"hl:lastfail:{channel}:{_pipe(pipeline)}")
        return str(value) if value is not None else None

    async def set_last_failure(
        self, channel: str, pipeline: PipelineKey, plan_execution_id: str | None
    ) -> None:
        key = f"hl:lastfail:{channel}:{_pipe(pipeline)}"
        if plan_execution_id is None:
            await self._redis.delete(key)
        else:
            await self._redis.set(key, plan_execution_id, ex=THREAD_TTL)

    async def put_value(self, key: str, value: str, ttl_seconds: float) -> None:
        await self._redis.set(f"hl:kept:{key}", value, px=max(1, int(ttl_seconds * 1000)))

    async def get_value(self, key: str) -> str | None:
        value = await self._redis.get(f"hl:kept:{key}")
        return str(value) if value is not None else None

    async def take_value(self, key: str) -> str | None:
        value = await self._redis.getdel(f"hl:kept:{key}")
        return str(value) if value is not None else None

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        return bool(
            await self._redis.set(
                f"hl:claim:{key}", "1", nx=True, px=max(1, int(ttl_seconds * 1000))
            )
        )

    def window(self, name: str) -> RedisWindow:
        if name not in self._windows:
            self._windows[name] = RedisWindow(self._redis, f"hl:window:{name}")
        return self._windows[name]

    async def release(self, key: str) -> None:
        await self._redis.delete(f"hl:claim:{key}")

    async def renew(self, key: str, ttl_seconds: float) -> None:
        await self._redis.set(f"hl:claim:{key}", "1", xx=True, px=max(1, int(ttl_seconds * 1000)))

    # -- the work queue -------------------------------------------------------

    async def enqueue(self, work: Work) -> bool:
        return await self._enqueues.write(work)

    async def _enqueue_all(self, works: Sequence[Work]) -> list[bool]:
        """Two round trips for the group: hold the keys, then add what won its key."""
        keyed = [work for work in works if work.key is not None]
        held: list[Any] = []
        if keyed:
            async with self._redis.pipeline(transaction=False) as pipe:
                for work in keyed:
                    pipe.set(_key(work.key or ""), "queued", nx=True, ex=QUEUED_KEY_TTL)
                held = await pipe.execute()
        won = iter(held)  # one answer per keyed work, in order
        added = [work.key is None or bool(next(won)) for work in works]
        adding = [work for work, ok in zip(works, added, strict=True) if ok]
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                now = self._clock.time()
                for work in adding:
                    if work.not_before > now:
                        pipe.zadd(_delayed(work.lane), {work.to_json(): work.not_before})
                    else:
                        pipe.xadd(_stream(work.lane), {"w": work.to_json()})
                await pipe.execute()
        except Exception:
            # Not recorded: a redelivery must be able to try again.
            keys = [_key(work.key) for work in adding if work.key is not None]
            if keys:
                await self._redis.delete(*keys)
            raise
        return added

    async def take(self, lane: Lane, owner: str, lease: float, limit: int) -> list[Work]:
        stream = _stream(lane)
        await self._redis.eval(_PROMOTE, 2, _delayed(lane), stream, self._clock.time(), limit)
        idle_ms = max(1, int(lease * 1000))
        # [next start, [(id, fields), ...], [ids deleted meanwhile]]
        reclaimed: Any = await self._redis.xautoclaim(
            stream, GROUP, owner, idle_ms, start_id="0-0", count=limit
        )
        entries = list(reclaimed[1])
        if len(entries) < limit:
            answer: Any = await self._redis.xreadgroup(
                GROUP, owner, {stream: ">"}, count=limit - len(entries)
            )
            for _name, fresh in answer or []:
                entries.extend(fresh)
        return [Work.from_json(fields["w"], id=entry_id) for entry_id, fields in entries if fields]

    async def extend(self, work: Work, owner: str, lease: float) -> None:
        await self._redis.xclaim(_stream(work.lane), GROUP, owner, 0, [work.id], justid=True)

    async def finish(self, work: Work, remember: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(_stream(work.lane), GROUP, work.id)
            pipe.xdel(_stream(work.lane), work.id)
            if work.key is not None:
                pipe.set(_key(work.key), "done", px=max(1, int(remember * 1000)))
            await pipe.execute()

    async def retry(self, work: Work) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            if work.not_before > self._clock.time():
                pipe.zadd(_delayed(work.lane), {work.to_json(): work.not_before})
            else:
                pipe.xadd(_stream(work.lane), {"w": work.to_json()})
            pipe.xack(_stream(work.lane), GROUP, work.id)
            pipe.xdel(_stream(work.lane), work.id)
            await pipe.execute()

    async def drop(self, work: Work) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(_stream(work.lane), GROUP, work.id)
            pipe.xdel(_stream(work.lane), work.id)
            if work.key is not None:
                pipe.delete(_key(work.key))
            await pipe.execute()

    async def queued(self, lane: Lane) -> int:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(_stream(lane))
            pipe.zcard(_delayed(lane))
            in_stream, waiting = await pipe.execute()
        return int(in_stream) + int(waiting)

    async def oldest(self, lane: Lane) -> float | None:
        # Due work is in the stream, oldest first (a retry goes to its end).
        first: Any = await self._redis.xrange(_stream(lane), count=1)
        if not first:
            return None
        return Work.from_json(first[0][1]["w"]).created_at or None

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
