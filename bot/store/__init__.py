"""Durable state behind one interface: SQLite by default, Redis for several replicas."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.domain import Events
from bot.store.base import PipelineKey, Store, Subscription, ThreadRecord, WorkQueue


class StoreUrlError(ValueError):
    pass


async def open_store(url: str) -> Store:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or `redis://host:port/db`."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from bot.store.sqlite import SqliteStore

        path = url.removeprefix("sqlite://")
        path = path[1:] if path.startswith("/") else path
        return await SqliteStore.open(path or "data/bot.db")
    if scheme in ("redis", "rediss", "unix"):
        from bot.store.redis import RedisStore

        return await RedisStore.open(url)
    raise StoreUrlError("must start with sqlite:/// or redis://")


__all__ = [
    "Events",
    "PipelineKey",
    "Store",
    "StoreUrlError",
    "Subscription",
    "ThreadRecord",
    "WorkQueue",
    "open_store",
]
