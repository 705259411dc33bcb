"""Acting once per delivery: Slack retries an event it thinks went unanswered, two
replicas may both receive it. The first to claim a delivery's id acts; the claim is
kept in the shared store, so it holds across replicas and restarts.
"""

from __future__ import annotations

from bot.store import Store

SLACK_EVENT_TTL = 3600.0  # Slack retries within minutes; an hour is plenty


class Deliveries:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def first_slack_event(self, event_id: str) -> bool:
        """True for the first delivery of a Slack event id, False for its retries."""
        return await self._store.claim(f"event:{event_id}", SLACK_EVENT_TTL)


__all__ = ["Deliveries"]
