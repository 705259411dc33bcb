"""Accepted work, as the durable queue holds it.

Everything the bot accepts (a slash command, a button press, a webhook, each
channel post of a fan-out) becomes a `Work` in the store before it is
acknowledged, and leaves it only once its result was delivered, it was given up
at its deadline, or it turned out to be a duplicate.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any


class Lane(enum.StrEnum):
    """Work that someone waits on never queues behind a webhook backlog."""

    INTERACTIVE = "interactive"  # commands, buttons, unfurls
    BACKGROUND = "background"  # webhooks and their channel posts
    # An alert's fill-ins wait on Harness (and on the key's budget when it is short):
    # in a lane of their own they never keep the next alert's first post waiting.
    FILL = "fill"


class WorkKind(enum.StrEnum):
    """Every kind of work the bot queues. The values are stored with the work, so a
    queue written by another version reads the same: never rename one."""

    COMMAND = "command"  # a /harness-logs command, answered through its response_url
    BUTTON = "button"  # a press of a logs message's button
    TRIAGE = "triage"  # an alert's Retry button or Mute menu
    UNFURL = "unfurl"  # Harness links shared in a message or the composer
    WEBHOOK = "webhook"  # a Harness notification, fanned out to its channels
    INCIDENT_POST = "incident_post"  # an alert's first post in one channel
    INCIDENT_FILL = "incident_fill"  # that post filled in (run, history, excerpt, link)


@dataclass(frozen=True)
class Work:
    kind: str  # which job runs it (a `WorkKind` in the bot; any name in the queue's own tests)
    payload: dict[str, Any]  # JSON-serialisable
    deadline: float  # epoch seconds; past it the work is given up
    lane: Lane = Lane.BACKGROUND
    # At most one piece of work per key is queued, and once done the key is
    # remembered for a while, so a redelivery acts once; a dropped one frees it.
    key: str | None = None
    not_before: float = 0.0  # epoch seconds; a retry waits until then
    attempts: int = 0  # failed attempts so far (not counting waits Slack asked for)
    created_at: float = 0.0
    # The queue's receipt for a taken piece of work (row id, stream entry id).
    id: str = field(default="", compare=False)

    def to_json(self) -> str:
        data = asdict(self)
        del data["id"]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes, id: str = "") -> Work:
        data = json.loads(raw)
        return cls(**{**data, "lane": Lane(data["lane"]), "id": id})

    def again(self, at: float, *, failed: bool) -> Work:
        """The same work, due again at `at`."""
        return replace(self, not_before=at, attempts=self.attempts + (1 if failed else 0))


__all__ = ["Lane", "Work", "WorkKind"]
