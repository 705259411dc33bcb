"""Link unfurls: a Harness execution link pasted in Slack unfolds into its summary.

`link_shared` arrives once per message; Slack retries it when not answered in
time (`X-Slack-Retry-Num`), so each event is recorded as work keyed by its event
id, which acts once across retries, replicas and restarts; a link repeated in one
message unfurls once. Links that do not parse, or name executions Harness does not
know, are left alone without a word. Where the access policy cannot tell which
channel a link goes to (one still being written in the composer), it is not
unfolded there: it is once it is sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Lane, Scope, Work
from bot.service import LogsService, TargetError
from bot.service.access import COMPOSER, Access, Act, Asker, Refused
from bot.service.workers import Workers
from bot.slack.views.incidents import unfurl_blocks

log = logging.getLogger(__name__)

MAX_LINKS = 5  # per message: Slack shows few unfurls, and each costs a Harness call


KIND = "unfurl"
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
    def __init__(
        self, service: LogsService, client: AsyncWebClient, workers: Workers, access: Access
    ) -> None:
        self._service = service
        self._client = client
        self._workers = workers
        self._access = access
        workers.handle(KIND, self._run)

    def register(self, app: AsyncApp) -> None:
        app.event("link_shared")(self.on_link_shared)

    async def on_link_shared(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        event_id = str(body.get("event_id") or "")
        try:
            shared = LinkShared.model_validate(event)
        except ValidationError:
            log.warning("ignored a malformed link_shared event %s", event_id or "(no id)")
            return
        work = Work(
            KIND,
            shared.model_dump(),
            deadline=self._workers.deadline_in(UNFURL_DEADLINE),
            lane=Lane.INTERACTIVE,
            key=f"unfurl:{event_id}" if event_id else None,
        )
        if not await self._workers.submit(work):
            log.info("link_shared %s already handled (Slack retry)", event_id)

    async def _run(self, work: Work) -> None:
        try:
            shared = LinkShared.model_validate(work.payload)
        except ValidationError:
            log.warning("dropped unfurl work that is not a link_shared event")
            return
        await self._unfurl(shared)

    async def _unfurl(self, shared: LinkShared) -> None:
        urls = list(dict.fromkeys(link.url for link in shared.links))
        targets: dict[str, tuple[Scope, str]] = {}
        asker = Asker(shared.user or "", shared.where)
        for url in urls[:MAX_LINKS]:
            named = self._service.execution_of_link(url)
            if named is None:
                continue
            if isinstance(await self._access.decide(asker, Act.READ, named[0]), Refused):
                continue  # not unfolded here; the policy's refusal is logged
            targets[url] = named
        if not targets:
            return
        found = await asyncio.gather(
            *(self._blocks(scope, exec_id) for scope, exec_id in targets.values())
        )
        unfurls = {url: {"blocks": b} for url, b in zip(targets, found, strict=True) if b}
        if not unfurls:
            return
        try:
            await self._client.chat_unfurl(unfurls=unfurls, **shared.message())
        except SlackApiError as exc:
            log.warning(
                "chat.unfurl refused: %s", exc.response.get("error") if exc.response else exc
            )

    async def _blocks(self, scope: Scope, plan_execution_id: str) -> list[dict[str, Any]] | None:
        try:
            execution = await self._service.execution(scope, plan_execution_id)
        except TargetError:
            return None
        failures = self._service.summary_failures(execution)
        return unfurl_blocks(execution, failures, self._service.execution_url(execution))
