"""Values kept for a while where every replica sees them (the store implements it)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["KeptValues"]


class KeptValues(Protocol):
    async def get_value(self, key: str) -> str | None: ...

    async def put_value(self, key: str, value: str, ttl_seconds: float) -> None: ...
