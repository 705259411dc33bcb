"""Link previews (a use case): Harness execution links shared in a channel -> what each
run's preview shows, for those the channel may read.

A link repeated in one message is previewed once, and only the first few are (Slack
shows few, and each costs a Harness call). Links that do not parse, name executions
Harness does not know, or that the access policy does not let the channel read are
left alone without a word (the policy logs its refusals). A link still being written
in the composer goes to no known channel: the policy decides for `COMPOSER`, which
never reads, so it is previewed once it is sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.domain import Execution, Failure, Scope
from bot.service.access import Access, Act, Asker
from bot.service.logs import LogsService
from bot.service.targets import TargetError

__all__ = ["MAX_LINKS", "LinkPreviews", "Preview", "PreviewRequest"]

MAX_LINKS = 5  # per message


@dataclass(frozen=True)
class PreviewRequest:
    user: str
    channel: str  # COMPOSER for a link not yet sent
    urls: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    url: str
    execution: Execution
    failures: list[Failure]
    execution_url: str


class LinkPreviews:
    def __init__(self, service: LogsService, access: Access) -> None:
        self._service = service
        self._access = access

    async def previews(self, request: PreviewRequest) -> list[Preview]:
        """One preview per link worth showing in that channel, in the message's order."""
        asker = Asker(request.user, request.channel)
        targets: dict[str, tuple[Scope, str]] = {}
        for url in list(dict.fromkeys(request.urls))[:MAX_LINKS]:
            named = self._service.execution_of_link(url)
            if named is None:
                continue
            if await self._access.refusal(asker, Act.READ, named[0]) is not None:
                continue
            targets[url] = named
        found = await asyncio.gather(
            *(self._preview(url, *named) for url, named in targets.items())
        )
        return [preview for preview in found if preview is not None]

    async def _preview(self, url: str, scope: Scope, plan_execution_id: str) -> Preview | None:
        try:
            execution = await self._service.execution(scope, plan_execution_id)
        except TargetError:
            return None
        return Preview(
            url,
            execution,
            self._service.summary_failures(execution),
            self._service.execution_url(execution),
        )
