"""A sliding window of calls kept in Redis, shared by every replica.

The window is a sorted set of call times, read and written by one script, so
replicas racing for the last turn cannot both get it; times are Redis's own (`TIME`),
so replicas whose clocks differ still agree on what the window holds.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

__all__ = ["RedisWindow"]


# KEYS[1] the window; ARGV ceiling, period in ms, a unique member. Returns {wait ms, count}.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], period)
  return {0, count + 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {tonumber(oldest[2]) + period - now, count}
"""


class RedisWindow:
    def __init__(self, redis: Redis, key: str) -> None:
        self._redis = redis
        self._key = key
        self._script = redis.register_script(_TAKE)

    async def take(self, ceiling: int, period: float) -> tuple[float, int]:
        member = uuid.uuid4().hex
        wait_ms, count = await self._script(
            keys=[self._key], args=[ceiling, max(1, int(period * 1000)), member]
        )
        return max(0.0, float(wait_ms) / 1000), int(count)
