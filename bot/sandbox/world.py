"""The sandbox's own commands about the emulated world: what is in it (`!world`), a
run's Harness link (for `!paste`), and Harness reporting a failed run (`!fail`), sent
to the app's webhook as Harness sends it.

A reported failure that Slack would show nothing for says why instead (not subscribed,
muted until …, already reported, filtered out), in the README's words, so that a
person trying the bot is never left with silence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from bot.clock import Clock
from bot.sandbox.demo import CHANNEL, CHANNELS, NAMES
from bot.sandbox.transcript import Transcript
from bot.service.mutes import Mutes
from bot.store import PipelineKey, Store
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.slack import SlackEmulator

WEBHOOK_TOKEN = "sandbox-webhook-token-0001"  # noqa: S105 (the emulated world's own)

_MARKS = {"Success": "✓", "Failed": "✗"}
_SEE_WORLD = "Type !world for the pipelines and their runs."


class World:
    """The demo world's pipelines and runs, shown, linked to and reported."""

    def __init__(
        self,
        harness: HarnessEmulator,
        slack: SlackEmulator,
        store: Store,
        clock: Clock,
        http: aiohttp.ClientSession,
        url: str,
        transcript: Transcript,
        out: Callable[[str], None],
    ) -> None:
        self._harness = harness
        self._slack = slack
        self._store = store
        self._clock = clock
        self._http = http
        self._url = url  # the app's own address
        self._transcript = transcript
        self._out = out
        self._reported: set[str] = set()  # executions !fail has sent

    async def show(self) -> None:
        """`!world`: the pipelines, their runs, and what #incident is subscribed to."""
        lines = ["The demo world (✓ succeeded, ✗ failed, · other):"]
        for (org, project), pipelines in sorted(self._harness.pipelines.items()):
            lines.append(f"  {org}/{project}")
            for identifier, pipeline in sorted(pipelines.items()):
                runs = " ".join(
                    f"#{r.run_sequence} {_MARKS.get(r.status, '·')}"
                    for r in sorted(pipeline.runs, key=lambda r: r.run_sequence)
                )
                lines.append(f"    {identifier:<22} {pipeline.name:<24} {runs or 'never ran'}")
        subscribed = await self._store.channel_subscriptions(CHANNEL)
        names = ", ".join(sorted(s.pipeline.pipeline for s in subscribed)) or "nothing"
        lines.append(f"#incident is subscribed to: {names}.")
        lines.append("Try: !fail <pipeline> [run], /harness-logs <pipeline> [run].")
        self._out("\n".join(lines))

    def run(self, words: str) -> RunSpec | None:
        """The run `<pipeline> [number]` names (the latest without a number); None,
        having said why, when there is none."""
        return self._find(words, run_of)

    def _find(
        self, words: str, lookup: Callable[[HarnessEmulator, str, str], RunSpec]
    ) -> RunSpec | None:
        pipeline, _, number = words.partition(" ")
        try:
            # `#42` as Slack users write it, `42` as the prompt's own examples do.
            return lookup(self._harness, pipeline, number.strip().lstrip("#"))
        except LookupError as exc:
            self._out(f"{exc.args[0]} {_SEE_WORLD}")
            return None

    def link(self, run: RunSpec) -> str:
        """The run's page in Harness, as a person would copy it from the browser."""
        return (
            f"{self._harness.base_url}/ng/account/{self._harness.account}/module/cd/orgs/"
            f"{run.org}/projects/{run.project}/pipelines/{run.pipeline}/executions/"
            f"{run.plan_execution_id}/pipeline"
        )

    async def fail(self, words: str) -> None:
        """`!fail <pipeline> [number]`: Harness reports that failed run to the app's
        webhook; then what Slack shows, and where the bot posted or why it did not."""
        run = self._find(words, failed_run)
        if run is None:
            return
        body = {
            "eventData": {
                "accountIdentifier": self._harness.account,
                "orgIdentifier": run.org,
                "projectIdentifier": run.project,
                "pipelineIdentifier": run.pipeline,
                "pipelineName": run.pipeline_name,
                "planExecutionId": run.plan_execution_id,
                "eventType": "PipelineFailed",
                "nodeStatus": "failed",
                "triggeredBy": {
                    "triggerType": run.trigger_type,
                    "name": run.triggered_by,
                    "email": run.triggered_by_email,
                },
                "errorMessage": run.failure or "1 error(s) occurred: exit status 1",
            }
        }
        already = run.plan_execution_id in self._reported
        self._reported.add(run.plan_execution_id)
        before = len(self._slack.api_calls)
        url = f"{self._url}/harness/webhook?token={WEBHOOK_TOKEN}"
        async with self._http.post(url, json=body) as resp:
            status = resp.status
        what = f"{run.pipeline} #{run.run_sequence}"
        if status != 202:
            self._out(f"(Harness reported {what} failed; the bot answered HTTP {status})")
            return
        await self._transcript.settle()
        posted = [
            CHANNELS.get(str(c.args.get("channel")), str(c.args.get("channel")))
            for c in self._slack.api_calls[before:]
            if c.method == "chat.postMessage"
        ]
        if posted:
            where = ", ".join(dict.fromkeys(posted))
            self._out(f"(Harness reported {what} failed: the bot posted to {where})")
            return
        self._out(f"(Harness reported {what} failed: {await self._why_silent(run, already)})")

    async def _why_silent(self, run: RunSpec, already: bool) -> str:
        """Why a reported failure posted nothing, in the words of the README."""
        key = PipelineKey(self._harness.account, run.org, run.project, run.pipeline)
        channels = await self._store.pipeline_subscriptions(key)
        if not channels:
            return (
                f"no channel is subscribed to {run.pipeline}, so nothing was posted. "
                f"/harness-logs subscribe {run.pipeline} subscribes #incident"
            )
        for subscription in channels:
            mute = await Mutes(self._store, self._clock).of(subscription.channel, key)
            if mute is not None:
                until = (
                    "it recovers"
                    if mute.until is None
                    else f"{datetime.fromtimestamp(mute.until, tz=UTC):%Y-%m-%d %H:%M} UTC"
                )
                return (
                    f"{run.pipeline} is muted in #incident until {until} (by "
                    f"@{NAMES.get(mute.by, mute.by)}), so nothing was posted. "
                    f"/harness-logs unmute {run.pipeline} ends it"
                )
        if already:
            # Not "in #incident": the first time may have found no subscription at all.
            return (
                "already reported: the bot acts on each notification once, so the same "
                "one again posts nothing"
            )
        return "nothing new to post (a filter of the subscription leaves this run out)"


def run_of(harness: HarnessEmulator, pipeline: str, number: str) -> RunSpec:
    """A run by pipeline and number (the latest without one)."""
    for project in harness.pipelines.values():
        if pipeline in project:
            runs = project[pipeline].runs
            if not number:
                if runs:
                    return runs[0]
                raise LookupError(f"{pipeline} has never run in the demo world.")
            found = next((r for r in runs if str(r.run_sequence) == number), None)
            if found is None:
                raise LookupError(f"{pipeline} has no run #{number} in the demo world.")
            return found
    raise LookupError(f"No pipeline {pipeline!r} in the demo world.")


def failed_run(harness: HarnessEmulator, pipeline: str, number: str) -> RunSpec:
    """A failed run by number, or the pipeline's latest failed one."""
    if number:
        run = run_of(harness, pipeline, number)
        if run.status != "Failed":
            raise LookupError(f"{pipeline} #{number} did not fail ({run.status}).")
        return run
    run_of(harness, pipeline, "")  # says when there is no such pipeline
    for project in harness.pipelines.values():
        if pipeline in project:
            for run in project[pipeline].runs:
                if run.status == "Failed":
                    return run
    raise LookupError(f"{pipeline} has no failed run in the demo world.")


__all__ = ["WEBHOOK_TOKEN", "World", "failed_run", "run_of"]
