"""How incidents look in Slack: the `IncidentPosts` of bot/service/incidents.py.

The parent post is the logs post attributed to the trigger, posted at once with
what failed and refreshed in place when the link and excerpts are ready; later
events are one line each in its thread, and a later failure refreshes the parent.
"""

from __future__ import annotations

from bot.domain import Execution, PipelineEvent
from bot.service import LogsResult
from bot.slack import incident_blocks
from bot.slack.poster import Poster


class SlackIncidentPosts:
    def __init__(self, poster: Poster, *, private_links: bool = False) -> None:
        self._poster = poster
        self._private = private_links

    async def failure(self, channel: str, result: LogsResult, event: PipelineEvent) -> str:
        return await self._poster.post(
            channel, incident_blocks.notification_message(result, event, private_link=self._private)
        )

    async def refresh(
        self, channel: str, ts: str, result: LogsResult, event: PipelineEvent
    ) -> None:
        await self._poster.update(
            channel,
            ts,
            incident_blocks.notification_message(result, event, private_link=self._private),
        )

    async def event(
        self,
        channel: str,
        event: PipelineEvent,
        run: int | None,
        stage_name: str | None,
        thread_ts: str | None,
    ) -> str:
        line = incident_blocks.event_line(event, run, stage_name)
        return await self._poster.post(channel, line, thread_ts=thread_ts)

    async def recovered(
        self, channel: str, thread_ts: str, execution: Execution, execution_url: str
    ) -> None:
        line = incident_blocks.recovered_line(
            execution.pipeline_name, execution.run_sequence, execution_url
        )
        await self._poster.post(channel, line, thread_ts=thread_ts)
