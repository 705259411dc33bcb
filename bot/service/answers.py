"""Answering a person who asks for logs (a use case): by command, button or link.

The access policy is asked as that person in that channel; the logs are fetched
reading only what the channel may read (a chained run in another project is named,
never read), and shown as the channel may see them. The edge renders the answer.
"""

from __future__ import annotations

from bot.domain import Scope
from bot.service.access import Access, Act, Asker, Refused
from bot.service.logs import LogsService
from bot.service.targets import LogsResult, Target

__all__ = ["LogsAnswers"]


class LogsAnswers:
    def __init__(self, service: LogsService, access: Access) -> None:
        self._service = service
        self._access = access

    async def refusal(self, asker: Asker, scope: Scope) -> Refused | None:
        """Why the person may not read `scope` here, if they may not."""
        return await self._access.refusal(asker, Act.READ, scope)

    async def answer(
        self, asker: Asker, target: Target, *, fresh: bool = False
    ) -> LogsResult | Refused:
        """The logs of `target` as `asker`'s channel may see them (raises `TargetError`
        when Harness has no such thing); `fresh` asks for a new link."""
        refused = await self.refusal(asker, self._service.scope_of(target))
        if refused is not None:
            return refused
        return await self.logs(asker, target, fresh=fresh)

    async def logs(self, asker: Asker, target: Target, *, fresh: bool = False) -> LogsResult:
        """`answer` for a target the policy has just allowed (a button's press, checked
        once for every action it may lead to)."""
        channel = asker.channel
        result = await self._service.fetch_logs(
            target, fresh=fresh, may_read=self._access.reader(channel)
        )
        return await self._access.shown_in(channel, result)
