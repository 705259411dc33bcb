"""Link unfurls: a Harness execution link pasted in Slack unfolds into its summary.

`link_shared` arrives once per message; Slack retries it when not answered in
time (`X-Slack-Retry-Num`), so each event is recorded as work keyed by its event
id, which acts once across retries, replicas and restarts; a link repeated in one
message unfurls once. Links that do not parse, or name
executions Harness does not know, are left alone without a word.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Lane, Scope, Work
from bot.service import LogsService, TargetError
from bot.service.access import Access, Refused
from bot.service.workers import Workers
from bot.slack import incident_blocks

log = logging.getLogger(__name__)

MAX_LINKS = 5  # per message: Slack shows few unfurls, and each costs a Harness call


KIND = "unfurl"
UNFURL_DEADLINE = 10 * 60.0  # an unfurl much later than the message is noise
_KEPT = ("links", "channel", "message_ts", "unfurl_id", "source")
_TS = re.compile(r"\d+\.\d+")  # a message's ts: seconds and a counter


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
        work = Work(
            KIND,
            {k: event.get(k) for k in _KEPT},
            deadline=self._workers.deadline_in(UNFURL_DEADLINE),
            lane=Lane.INTERACTIVE,
            key=f"unfurl:{event_id}" if event_id else None,
        )
        if not await self._workers.submit(work):
            log.info("link_shared %s already handled (Slack retry)", event_id)

    async def _run(self, work: Work) -> None:
        await self._unfurl(work.payload)

    async def _unfurl(self, event: dict[str, Any]) -> None:
        urls = list(dict.fromkeys(str(link.get("url") or "") for link in event.get("links") or []))
        targets: dict[str, tuple[Scope, str]] = {}
        channel = str(event.get("channel") or "")
        for url in urls[:MAX_LINKS]:
            named = self._service.execution_of_link(url)
            if named is None:
                continue
            if isinstance(await self._access.may_read(channel, named[0]), Refused):
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
            await self._client.chat_unfurl(unfurls=unfurls, **_message_of(event))
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
        return incident_blocks.unfurl_blocks(
            execution, failures, self._service.execution_url(execution)
        )


def _message_of(event: dict[str, Any]) -> dict[str, Any]:
    """How chat.unfurl names the message: a sent one by channel and ts; a link still in
    the message composer (`channel` "COMPOSER", `source` "composer", a `message_ts`
    that is no timestamp) only by the event's `unfurl_id` and `source`."""
    channel, ts = event.get("channel"), str(event.get("message_ts") or "")
    sent = event.get("source") != "composer" and channel != "COMPOSER" and _TS.fullmatch(ts)
    if sent and channel:
        return {"channel": channel, "ts": ts}
    return {"unfurl_id": event.get("unfurl_id"), "source": event.get("source") or "composer"}
