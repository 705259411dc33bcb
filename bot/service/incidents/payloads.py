"""What the incident flow's queued work carries, as JSON: the notification, the
subscription, the run's history, and the key that makes one delivery of a
notification act once."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from bot.domain import Filters, History, PipelineEvent, PipelineKey, Standing, Subscription

__all__ = [
    "delivery",
    "event_from_json",
    "event_to_json",
    "history_from_json",
    "history_to_json",
    "sub_from",
    "sub_json",
]


def history_to_json(history: History | None) -> dict[str, Any] | None:
    if history is None:
        return None
    return {
        "standing": history.standing.value,
        "failed_runs": history.failed_runs,
        "since_run": history.since_run,
        "last_green": history.last_green,
        "flapping": history.flapping,
    }


def history_from_json(data: Any) -> History | None:
    if not isinstance(data, dict):
        return None
    try:
        return History(
            Standing(data["standing"]),
            int(data["failed_runs"]),
            data.get("since_run"),
            data.get("last_green"),
            bool(data.get("flapping")),
        )
    except (KeyError, ValueError, TypeError):
        return None


def delivery(event: PipelineEvent) -> str:
    parts = (event.plan_execution_id, event.event_type, event.stage or "", event.step or "")
    return "webhook:" + ":".join(parts)


def sub_json(subscription: Subscription) -> dict[str, Any]:
    key = subscription.pipeline
    return {
        "channel": subscription.channel,
        "pipeline": [key.account, key.org, key.project, key.pipeline],
        "pipeline_name": subscription.pipeline_name,
        "events": subscription.events,
        "filters": subscription.filters.as_dict(),
    }


def sub_from(data: dict[str, Any]) -> Subscription:
    return Subscription(
        channel=data["channel"],
        pipeline=PipelineKey(*data["pipeline"]),
        pipeline_name=data["pipeline_name"],
        events="all" if data["events"] == "all" else "failures",
        filters=Filters.from_dict(data.get("filters")),
    )


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
