"""Retry a failed run from a post: its failed stages, or a fresh run where Harness
will not retry it.

One retry per run: the first press claims it, and later presses (or a second
person at the same moment) are told who retried it and which run that started.
Starting a run is never repeated blindly: when Harness does not answer a start,
nobody can know whether it started, so the person is told to look before trying
again. Every retry is written to the log as an audit line (who, which run, what
started). The retried run joins the failed run's thread in the channel, so its
notifications land there.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Literal

from bot.domain import PipelineKey, Scope, ThreadRecord
from bot.domain.misses import HarnessRefused
from bot.domain.retry_plans import Started
from bot.harness.errors import (
    HarnessAuthError,
    HarnessError,
    HarnessNotFoundError,
    HarnessUnavailableError,
)
from bot.harness.retry_api import RetryApi
from bot.service.logs import LogsService
from bot.service.targets import TargetError
from bot.service.workers import to_the_end
from bot.store import Store

log = logging.getLogger(__name__)
audit = logging.getLogger("bot.audit")

CLAIM = 15 * 60.0  # a second press within this time is told about the first
REMEMBER = 7 * 86400.0  # how long "already retried by" is remembered


@dataclass(frozen=True)
class Retried:
    pipeline: PipelineKey
    pipeline_name: str
    failed_run: int
    started: Started
    stages: tuple[str, ...]  # the stages retried; empty for a fresh run
    rerun_because: str | None  # why Harness would not retry (a fresh run started)
    url: str  # the new run in Harness


@dataclass(frozen=True)
class RetryRefused:
    why: Literal["permission", "refused", "unavailable", "unsure", "not_found"]
    detail: str | None = None


@dataclass(frozen=True)
class AlreadyRetried:
    by: str | None
    run: int | None
    url: str | None


RetryOutcome = Retried | RetryRefused | AlreadyRetried


class RunRetries:
    def __init__(self, logs: LogsService, api: RetryApi, store: Store, *, account: str) -> None:
        self._logs = logs
        self._api = api
        self._store = store
        self._account = account

    async def retry(
        self, user: str, scope: Scope, plan_execution_id: str, thread: tuple[str, str] | None
    ) -> RetryOutcome:
        """Retry the run for `user`; `thread` (channel, ts) is where the new run is followed."""
        done = await self._already(plan_execution_id)
        if done.by is not None or not await self._store.claim(f"retry:{plan_execution_id}", CLAIM):
            # Retried before (a week's memory), or being retried right now.
            return done
        # Once asked, Harness may start a run: the call and its record go together, even
        # through a shutdown, so the work coming back later cannot start a second one.
        return await to_the_end(self._carry_out(user, scope, plan_execution_id, thread))

    async def _carry_out(
        self, user: str, scope: Scope, plan_execution_id: str, thread: tuple[str, str] | None
    ) -> RetryOutcome:
        try:
            outcome = await self._start(user, scope, plan_execution_id)
        except Exception:
            await self._store.release(f"retry:{plan_execution_id}")
            raise
        if isinstance(outcome, RetryRefused) and outcome.why != "unsure":
            # Nothing started: the next press may try again.
            await self._store.release(f"retry:{plan_execution_id}")
        if isinstance(outcome, Retried):
            kept = {"by": user, "run": outcome.started.run_sequence, "url": outcome.url}
            await self._store.put_value(f"retried:{plan_execution_id}", json.dumps(kept), REMEMBER)
            if thread is not None:
                await self._follow(thread, plan_execution_id, outcome)
        return outcome

    async def _start(self, user: str, scope: Scope, plan_execution_id: str) -> RetryOutcome:
        try:
            execution = await self._logs.execution(scope, plan_execution_id)
        except TargetError as exc:
            passing = isinstance(exc.miss, HarnessRefused) and exc.miss.passing
            return RetryRefused("unavailable" if passing else "not_found")
        what = f"{execution.org}/{execution.project}/{execution.pipeline_identifier}"
        run = f"{what} #{execution.run_sequence}"
        try:
            plan = await self._api.plan(execution)
        except HarnessError as exc:
            audit.info("retry refused: %s asked to retry %s: %s", user, run, _why(exc))
            return _refused(exc)
        stages = tuple(name for _identifier, name in plan.stages)
        rerun_because = None if plan.resumable else (plan.reason or "not retryable")
        try:
            if plan.resumable:
                try:
                    started = await self._api.retry(execution, plan.stages)
                except HarnessError as exc:
                    if isinstance(exc, HarnessAuthError | HarnessUnavailableError):
                        raise
                    # Harness would not retry it after all (e.g. the pipeline changed
                    # since): a fresh run with the same inputs is what is left.
                    rerun_because, stages = str(exc), ()
                    started = await self._api.rerun(execution)
            else:
                stages = ()
                started = await self._api.rerun(execution)
        except HarnessError as exc:
            audit.info("retry failed: %s asked to retry %s: %s", user, run, _why(exc))
            return _refused(exc, starting=True)
        url = self._logs.execution_url(
            replace(
                execution,
                plan_execution_id=started.plan_execution_id,
                run_sequence=started.run_sequence or execution.run_sequence,
            )
        )
        how = "retried stages " + ", ".join(stages) if stages else "started a fresh run"
        audit.info(
            "retry: %s %s of %s -> run #%s (%s)%s",
            user,
            how,
            run,
            started.run_sequence if started.run_sequence is not None else "?",
            started.plan_execution_id,
            f"; Harness would not retry it: {rerun_because}" if rerun_because else "",
        )
        pipeline = PipelineKey(
            self._account, execution.org, execution.project, execution.pipeline_identifier
        )
        return Retried(
            pipeline,
            execution.pipeline_name,
            execution.run_sequence,
            started,
            stages,
            rerun_because,
            url,
        )

    async def _follow(self, thread: tuple[str, str], failed: str, outcome: Retried) -> None:
        """The new run's notifications go to the failed run's thread in that channel."""
        channel, ts = thread
        record = await self._store.get_thread(channel, failed)
        await self._store.save_thread(
            ThreadRecord(
                channel,
                outcome.started.plan_execution_id,
                record.ts if record else ts,
                outcome.pipeline,
                outcome.started.run_sequence or 0,
                "Running",
            )
        )

    async def _already(self, plan_execution_id: str) -> AlreadyRetried:
        raw = await self._store.get_value(f"retried:{plan_execution_id}")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return AlreadyRetried(data.get("by"), data.get("run"), data.get("url"))


def _why(exc: HarnessError) -> str:
    return f"{type(exc).__name__}: {exc}"


def _refused(exc: HarnessError, *, starting: bool = False) -> RetryRefused:
    detail = str(exc) or None
    if isinstance(exc, HarnessAuthError):
        return RetryRefused("permission", detail)
    if isinstance(exc, HarnessNotFoundError):
        return RetryRefused("not_found", detail)
    if isinstance(exc, HarnessUnavailableError):
        # A start Harness did not answer may have started all the same.
        return RetryRefused("unsure" if starting else "unavailable", detail)
    return RetryRefused("refused", detail)


__all__ = ["AlreadyRetried", "Retried", "RetryOutcome", "RetryRefused", "RunRetries"]
