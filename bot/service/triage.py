"""Triage from an alert (a use case): mute a pipeline in a channel, or retry its run.

Each asks the access policy first, as the person who pressed in the channel they
pressed in: muting silences a channel's alerts, so it is the subscribe rule's to allow
(`Act.MANAGE`); retrying needs a `retry` rule for the run's project. The edge renders
the outcome: who muted what and until when, the retry's run, or the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Mute, PipelineKey, Scope
from bot.service.access import Access, Act, Asker, Refused
from bot.service.retry_runs import RetryOutcome, RunRetries
from bot.service.subscriptions import Subscriptions

__all__ = ["MuteRequest", "Muted", "RetryRequest", "Triage"]


@dataclass(frozen=True)
class MuteRequest:
    user: str
    channel: str
    scope: Scope
    pipeline: str
    how: str  # "1h", "24h" or "recovery"


@dataclass(frozen=True)
class Muted:
    mute: Mute
    pipeline: str
    pipeline_name: str  # as the channel's subscription names it (else the identifier)


@dataclass(frozen=True)
class RetryRequest:
    user: str
    channel: str
    scope: Scope
    plan_execution_id: str
    thread_ts: str | None  # the alert's thread, where the new run is followed


class Triage:
    def __init__(
        self, subscriptions: Subscriptions, retries: RunRetries, access: Access, *, account: str
    ) -> None:
        self._subscriptions = subscriptions
        self._retries = retries
        self._access = access
        self._account = account

    async def mute(self, request: MuteRequest) -> Muted | Refused:
        refused = await self._access.refusal(
            Asker(request.user, request.channel), Act.MANAGE, request.scope
        )
        if refused is not None:
            return refused
        scope = request.scope
        key = PipelineKey(self._account, scope.org, scope.project, request.pipeline)
        mute = await self._subscriptions.mutes.mute(request.channel, key, request.user, request.how)
        subscription = await self._subscriptions.of(request.channel, key)
        name = subscription.pipeline_name if subscription else request.pipeline
        return Muted(mute, request.pipeline, name)

    async def retry(self, request: RetryRequest) -> RetryOutcome | Refused:
        refused = await self._access.refusal(
            Asker(request.user, request.channel), Act.RETRY, request.scope
        )
        if refused is not None:
            return refused
        thread = (
            (request.channel, request.thread_ts) if request.channel and request.thread_ts else None
        )
        return await self._retries.retry(
            request.user, request.scope, request.plan_execution_id, thread
        )
