"""The incident flow's ports: what a failure post shows (`Alert`), how the edge shows
incidents (`IncidentPosts`, implemented by bot/slack/clients/incident_posts.py; it
raises bot/service/channels.py's `ChannelUnavailable`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain import Execution, History, Mute, PipelineEvent, Subscription
from bot.service.targets import LogsResult

__all__ = ["Alert", "IncidentPosts"]


@dataclass(frozen=True)
class Alert:
    """Everything a failure post shows."""

    result: LogsResult  # `export` is None while the export is prepared
    event: PipelineEvent
    history: History | None = None
    mention: bool = True  # name people as Slack mentions where Slack knows them
    retry: bool = False  # offer "Retry failed stages" (the policy lets someone)
    # Once the pipeline recovered: (the green run, how many failed runs it ended).
    recovered: tuple[int, int | None] | None = None
    # Nice-to-haves skipped to keep the Harness key's budget ("history", "comparison").
    left_out: frozenset[str] = frozenset()


class IncidentPosts(Protocol):
    """How the edge shows incidents; each call returns the ts of what it posted."""

    async def failure(self, channel: str, alert: Alert) -> str:
        """The parent post of a failure."""

    async def refresh(self, channel: str, ts: str, alert: Alert) -> None:
        """The parent post again, in place (the link and excerpts came, or it recovered)."""

    async def event(
        self,
        channel: str,
        event: PipelineEvent,
        run: int | None,
        stage_name: str | None,
        thread_ts: str | None,
    ) -> str: ...

    async def recovered(
        self,
        channel: str,
        thread_ts: str,
        execution: Execution,
        execution_url: str,
        failed_runs: int | None,
    ) -> None: ...

    async def unmuted(self, channel: str, subscription: Subscription, mute: Mute) -> None:
        """The channel's mute of the pipeline ended because it recovered."""
