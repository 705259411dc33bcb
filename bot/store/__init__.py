"""Durable state behind one interface: SQLite by default, Redis for several replicas."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.domain import Events
from bot.store.base import PipelineKey, Store, Subscription, ThreadRecord, WorkQueue

OPEN_TIMEOUT = 15.0


class StoreUrlError(ValueError):
    pass


class StoreUnavailable(Exception):
    """The store could not be opened; the message names why (never a password)."""


async def open_store(url: str, clock: Clock) -> Store:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or `redis://host:port/db`.

    Raises `StoreUrlError` for a URL of another kind and `StoreUnavailable` when
    the store does not open within `OPEN_TIMEOUT` seconds or refuses.
    """
    try:
        async with asyncio.timeout(OPEN_TIMEOUT):
            return await _open(url, clock)
    except StoreUrlError:
        raise
    except TimeoutError:
        raise StoreUnavailable(f"no answer within {OPEN_TIMEOUT:.0f} s") from None
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        password = urlsplit(url).password
        if password:
            reason = reason.replace(password, "****")
        raise StoreUnavailable(reason.splitlines()[0][:300]) from None


async def _open(url: str, clock: Clock) -> Store:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from bot.store.sqlite import SqliteStore

        path = url.removeprefix("sqlite://")
        path = path[1:] if path.startswith("/") else path
        return await SqliteStore.open(path or "data/bot.db", clock)
    if scheme in ("redis", "rediss", "unix"):
        from bot.store.redis import RedisStore

        return await RedisStore.open(url, clock)
    raise StoreUrlError("must start with sqlite:/// or redis://")


__all__ = [
    "Events",
    "PipelineKey",
    "Store",
    "StoreUnavailable",
    "StoreUrlError",
    "Subscription",
    "ThreadRecord",
    "WorkQueue",
    "open_store",
]
