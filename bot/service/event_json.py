"""`PipelineEvent` to and from JSON, for the work that carries it in the queue."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from bot.domain import PipelineEvent

_TIMES = ("started_at", "ended_at")


def event_to_json(event: PipelineEvent) -> dict[str, Any]:
    data = asdict(event)
    for name in _TIMES:
        value = data[name]
        data[name] = value.isoformat() if isinstance(value, datetime) else None
    return data


def event_from_json(data: dict[str, Any]) -> PipelineEvent:
    known = {f.name for f in fields(PipelineEvent)}
    values = {k: v for k, v in data.items() if k in known}
    for name in _TIMES:
        value = values.get(name)
        values[name] = datetime.fromisoformat(value) if isinstance(value, str) else None
    return PipelineEvent(**values)


__all__ = ["event_from_json", "event_to_json"]
