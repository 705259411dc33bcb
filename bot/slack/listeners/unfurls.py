"""`link_shared`: Harness execution links pasted in Slack unfold into their summary.

The event arrives once per message; Slack retries it when not answered in time
(`X-Slack-Retry-Num`), so each event is recorded as work keyed by its event id,
which acts once across retries, replicas and restarts. Which links are previewed,
and with what, is the use case's (bot/service/previews.py); here the event is
checked, recorded, and the previews rendered and sent with `chat.unfurl`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Work, WorkKind
from bot.service.access import COMPOSER
from bot.service.previews import LinkPreviews, PreviewRequest
from bot.service.workers import Workers
from bot.slack.views.unfurls import unfurl_blocks

log = logging.getLogger(__name__)

UNFURL_DEADLINE = 10 * 60.0  # an unfurl much later than the message is noise
_TS = re.compile(r"\d+\.\d+")  # a message's ts: seconds and a counter


class SharedLink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(max_length=4000)


class LinkShared(BaseModel):
    """A `link_shared` event, checked like any outside input: a malformed one is
    dropped at once (never recorded, so never retried).

    A link typed in the message composer, not yet sent, comes with `channel`
    "COMPOSER" (or only `channel_id`, in Slack's unfurling guide), `source` "composer"
    and a `message_ts` that names no message."""

    model_config = ConfigDict(extra="ignore")

    links: list[SharedLink] = Field(max_length=100)
    user: str | None = None
    channel: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    unfurl_id: str | None = None
    source: str | None = None

    @property
    def composer(self) -> bool:
        return self.source == "composer" or COMPOSER in (self.channel, self.channel_id)

    @property
    def where(self) -> str:
        """The channel the links were sent to (COMPOSER while still being written)."""
        return COMPOSER if self.composer else (self.channel or self.channel_id or "")

    def message(self) -> dict[str, Any]:
        """How chat.unfurl names the message: a sent one by channel and ts; a link still
        in the composer only by the event's `unfurl_id` and `source`."""
        ts = self.message_ts or ""
        if not self.composer and self.channel and _TS.fullmatch(ts):
            return {"channel": self.channel, "ts": ts}
        return {"unfurl_id": self.unfurl_id, "source": self.source or "composer"}


class UnfurlHandler:
    def __init__(self, previews: LinkPreviews, client: AsyncWebClient, workers: Workers) -> None:
        self._previews = previews
        self._client = client
        self._workers = workers

    def register(self, app: AsyncApp) -> None:
        """Its Bolt listener."""
        app.event("link_shared")(self.on_link_shared)

    async def on_link_shared(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        event_id = str(body.get("event_id") or "")
        try:
            shared = LinkShared.model_validate(event)
        except ValidationError:
            log.warning("ignored a malformed link_shared event %s", event_id or "(no id)")
            return
        work = Work(
            WorkKind.UNFURL,
            shared.model_dump(),
            deadline=self._workers.deadline_in(UNFURL_DEADLINE),
            key=f"unfurl:{event_id}" if event_id else None,
        )
        if not await self._workers.submit(work):
            log.info("link_shared %s already handled (Slack retry)", event_id)

    async def run(self, work: Work) -> None:
        """Recorded shared links, unfurled."""
        try:
            shared = LinkShared.model_validate(work.payload)
        except ValidationError:
            log.warning("dropped unfurl work that is not a link_shared event")
            return
        await self._unfurl(shared)

    async def _unfurl(self, shared: LinkShared) -> None:
        request = PreviewRequest(
            shared.user or "", shared.where, tuple(link.url for link in shared.links)
        )
        unfurls = {
            preview.url: {
                "blocks": unfurl_blocks(preview.execution, preview.failures, preview.execution_url)
            }
            for preview in await self._previews.previews(request)
        }
        if not unfurls:
            return
        try:
            await self._client.chat_unfurl(unfurls=unfurls, **shared.message())
        except SlackApiError as exc:
            log.warning(
                "chat.unfurl refused: %s", exc.response.get("error") if exc.response else exc
            )
