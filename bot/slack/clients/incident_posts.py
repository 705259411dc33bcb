"""How incidents look in Slack: the `IncidentPosts` of bot/service/incidents/ports.py.

The parent post is the logs post attributed to the trigger, posted at once with
what failed and refreshed in place when the link and excerpts are ready; later
events are one line each in its thread, and a later failure refreshes the parent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain import Execution, Mute, PipelineEvent, Subscription
from bot.service.incidents import Alert
from bot.slack.clients.poster import Poster
from bot.slack.views.incidents import emails_shown, event_line, notification_message, recovered_line
from bot.slack.views.subscriptions import recovery_unmuted_message

UserByEmail = Callable[[str], Awaitable[str | None]]


async def _nobody(_email: str) -> str | None:
    return None


class SlackIncidentPosts:
    def __init__(
        self,
        poster: Poster,
        *,
        private_links: bool = False,
        user_by_email: UserByEmail = _nobody,
    ) -> None:
        self._poster = poster
        self._private = private_links
        self._user_by_email = user_by_email

    async def failure(self, channel: str, alert: Alert) -> str:
        return await self._poster.post(channel, await self._message(alert))

    async def refresh(self, channel: str, ts: str, alert: Alert) -> None:
        await self._poster.update(channel, ts, await self._message(alert))

    async def _message(self, alert: Alert) -> dict[str, object]:
        return notification_message(alert, await self._people(alert), private_link=self._private)

    async def _people(self, alert: Alert) -> dict[str, str]:
        """Slack users of the run's trigger and commit author, by email (mention=author)."""
        if not alert.mention:
            return {}
        people = {}
        for email in emails_shown(alert):
            user = await self._user_by_email(email)
            if user:
                people[email] = user
        return people

    async def unmuted(self, channel: str, subscription: Subscription, mute: Mute) -> None:
        await self._poster.post(channel, recovery_unmuted_message(subscription, mute))

    async def event(
        self,
        channel: str,
        event: PipelineEvent,
        run: int | None,
        stage_name: str | None,
        thread_ts: str | None,
    ) -> str:
        line = event_line(event, run, stage_name)
        return await self._poster.post(channel, line, thread_ts=thread_ts)

    async def recovered(
        self,
        channel: str,
        thread_ts: str,
        execution: Execution,
        execution_url: str,
        failed_runs: int | None,
    ) -> None:
        line = recovered_line(
            execution.pipeline_name, execution.run_sequence, execution_url, failed_runs
        )
        await self._poster.post(channel, line, thread_ts=thread_ts)
