"""The sandbox: the real app (Bolt, HTTP clients, store, queue) wired to the Harness
and Slack emulators, driven from a prompt or a script.

Each line is a slash command (`/harness-logs …`, signed as Slack signs it, sent to
the app's own `/slack/events`) or a sandbox command (`!help` lists them). After each
line the session waits until the app has nothing left to do and prints what Slack
would show, ephemeral replies told apart from channel posts: a message once, and a
message changed later (an alert filled in, a refreshed link) as its changed lines.
A sandbox command that Slack would show nothing for says what happened instead
(posted to #incident; not subscribed; muted until …; already reported).
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.app import BotApp
from bot.clock import Clock
from bot.config import Settings
from bot.sandbox.demo import CHANNEL, build_demo
from bot.sandbox.render import Style, body_lines, heading
from bot.service.mutes import Mutes
from bot.slack.clients.scopes import BOT_SCOPES
from bot.store import PipelineKey, Subscription
from emulators import slack as slack_emu
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.slack import SlackEmulator
from emulators.slack.server import ApiCall

WEBHOOK_TOKEN = "sandbox-webhook-token-0001"  # noqa: S105 (the emulated world's own)

HELP = """\
Type what you would type in Slack (sent to the bot as Slack sends it), e.g.
  /harness-logs deploy_checkout            the latest run's logs (it failed)
  /harness-logs deploy_checkout 41         a run by number (#41 works too)
  /harness-logs integration 5 ui/e2e       one step of a run
  /harness-logs subscribe integration      #incident gets integration's failures
  /harness-logs subscriptions              what #incident is subscribed to
  /harness-logs help                       the bot's own help
or a sandbox command:
  !world                                   the demo's pipelines and runs (✗ failed)
  !fail deploy_checkout                    Harness reports its latest failed run
                                           (or one by number: !fail integration 5)
  !press Refresh link                      press a button of the last post (or a menu's
                                           choice: !press mute for 1 hour)
  !paste deploy_checkout 42                paste that run's Harness link in #incident: it unfurls
  !home                                    open the bot's App Home tab
  !help                                    this list
  !quit                                    leave (Ctrl-D and Ctrl-C too)"""

USER = "U0SANDBOX1"


NAMES = {USER: "you", slack_emu.BOT_USER_ID: "harness-logs", CHANNEL: "incident"}  # ids -> names
CHANNELS = {CHANNEL: "#incident"}


def _colours() -> bool:
    """ANSI styles where the output is a terminal that takes them (NO_COLOR: none)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or (
        sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
    )


class Session:
    def __init__(self, out: Callable[[str], None] = print) -> None:
        self._out = out
        self._clock = Clock()
        self.harness = HarnessEmulator()
        self.slack = SlackEmulator(scopes=BOT_SCOPES)
        self._workdir = Path(tempfile.mkdtemp(prefix="harness-logs-sandbox-"))
        self._app: BotApp | None = None
        self._url = ""
        self._http: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self._style = Style(color=_colours(), names=NAMES)
        self._seen_replies = 0
        self._seen_calls = 0
        self._seen_posts = 0
        self._seen_unfurls = 0
        self._last: dict[str, Any] | None = None
        self._last_key: tuple[str, str] | None = None
        # What each message read like when last shown, so a change shows as a change:
        # by (channel, ts) for posts, by response id for what a response_url replaced.
        self._shown: dict[tuple[str, str], list[str]] = {}
        self._pressed: tuple[str, str] | None = None  # the message the last press was on
        self._reported: set[str] = set()  # executions !fail has sent

    async def start(self) -> None:
        build_demo(self.harness, self.slack, USER)
        policy = self._workdir / "policy.yaml"
        # Every channel reads everything, and you may retry runs from the posts.
        policy.write_text(f'default: allow\nretry: {{"*/*": ["{USER}"]}}\n')
        await self.harness.start()
        await self.slack.start()
        settings = Settings(
            _env_file=None,
            slack_bot_token=slack_emu.BOT_TOKEN,
            slack_signing_secret=slack_emu.SIGNING_SECRET,
            slack_api_url=self.slack.api_url,
            harness_api_key=self.harness.api_key,
            harness_account_id=self.harness.account,
            harness_base_url=self.harness.base_url,
            harness_default_project="shop",
            harness_webhook_token=WEBHOOK_TOKEN,
            bot_store_url=f"sqlite:///{self._workdir}/sandbox.db",
            harness_export_poll_interval=0.05,
            work_poll_interval=0.05,
            slack_post_interval=0.0,
            excerpt_compare_last_success=False,
            access_policy_file=str(policy),
        )
        self._app = await BotApp.create(settings, "http", self._clock)
        port = await self._app.start("127.0.0.1", 0)
        self._url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        key = PipelineKey(self.harness.account, "default", "shop", "deploy_checkout")
        await self._app.store.add_subscription(
            Subscription(CHANNEL, key, "Deploy Checkout", "failures", USER, self._clock.time())
        )

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._app is not None:
            await self._app.stop()
        await self.slack.stop()
        await self.harness.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)  # its store and policy file

    async def handle(self, line: str) -> bool:
        """Run one line; False when the session should end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if verb in ("!quit", "!exit"):
            return False
        if verb == "!help":
            self._out(HELP)
        elif verb == "/harness-logs":
            await self._command(rest)
        elif verb == "!world":
            await self._world()
        elif verb == "!fail":
            await self._fail(rest or "deploy_checkout")
        elif verb == "!press":
            await self._press(rest)
        elif verb == "!paste":
            await self._paste(rest or "deploy_checkout")
        elif verb == "!home":
            await self._home()
        else:
            self._out(f"{verb} is not a command here. Type !help for the list.")
        return True

    # -- what you can do ------------------------------------------------------

    async def _command(self, text: str) -> None:
        rid = f"cmd{next(self._ids)}"
        body = urlencode(
            {
                "team_id": slack_emu.TEAM_ID,
                "channel_id": CHANNEL,
                "channel_name": "incident",
                "user_id": USER,
                "command": "/harness-logs",
                "text": text,
                "response_url": self.slack.response_url(rid),
                "trigger_id": f"trig.{rid}.{self._clock.time()}",
            }
        )
        status, answer = await self._signed(body, "application/x-www-form-urlencoded")
        if status != 200:
            self._out(f"(Slack would show an error: HTTP {status})")
        elif isinstance(answer, dict) and answer:
            self._show(answer, "only you (the acknowledgement)", ("reply", rid))
        await self._settle()

    async def _world(self) -> None:
        lines = ["The demo world (✓ succeeded, ✗ failed, · other):"]
        for (org, project), pipelines in sorted(self.harness.pipelines.items()):
            lines.append(f"  {org}/{project}")
            for identifier, pipeline in sorted(pipelines.items()):
                runs = " ".join(
                    f"#{r.run_sequence} {_MARKS.get(r.status, '·')}"
                    for r in sorted(pipeline.runs, key=lambda r: r.run_sequence)
                )
                lines.append(f"    {identifier:<22} {pipeline.name:<24} {runs or 'never ran'}")
        assert self._app is not None
        subscribed = await self._app.store.channel_subscriptions(CHANNEL)
        names = ", ".join(sorted(s.pipeline.pipeline for s in subscribed)) or "nothing"
        lines.append(f"#incident is subscribed to: {names}.")
        lines.append("Try: !fail <pipeline> [run], /harness-logs <pipeline> [run].")
        self._out("\n".join(lines))

    async def _fail(self, words: str) -> None:
        pipeline, _, number = words.partition(" ")
        try:
            run = _failed_run(self.harness, pipeline, number.strip().lstrip("#"))
        except LookupError as exc:
            self._out(f"{exc.args[0]} Type !world for the pipelines and their runs.")
            return
        body = {
            "eventData": {
                "accountIdentifier": self.harness.account,
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
        assert self._app is not None
        assert self._http is not None
        already = run.plan_execution_id in self._reported
        self._reported.add(run.plan_execution_id)
        before = len(self.slack.api_calls)
        url = f"{self._url}/harness/webhook?token={WEBHOOK_TOKEN}"
        async with self._http.post(url, json=body) as resp:
            status = resp.status
        what = f"{run.pipeline} #{run.run_sequence}"
        if status != 202:
            self._out(f"(Harness reported {what} failed; the bot answered HTTP {status})")
            return
        await self._settle()
        posted = [
            CHANNELS.get(str(c.args.get("channel")), str(c.args.get("channel")))
            for c in self.slack.api_calls[before:]
            if c.method == "chat.postMessage"
        ]
        if posted:
            where = ", ".join(dict.fromkeys(posted))
            self._out(f"(Harness reported {what} failed: the bot posted to {where})")
            return
        self._out(f"(Harness reported {what} failed: {await self._why_silent(run, already)})")

    async def _why_silent(self, run: RunSpec, already: bool) -> str:
        """Why a reported failure posted nothing, in the words of the README."""
        assert self._app is not None
        key = PipelineKey(self.harness.account, run.org, run.project, run.pipeline)
        channels = await self._app.store.pipeline_subscriptions(key)
        if not channels:
            return (
                f"no channel is subscribed to {run.pipeline}, so nothing was posted. "
                f"/harness-logs subscribe {run.pipeline} subscribes #incident"
            )
        for subscription in channels:
            mute = await Mutes(self._app.store, self._clock).of(subscription.channel, key)
            if mute is not None:
                until = (
                    "it recovers"
                    if mute.until is None
                    else datetime.fromtimestamp(mute.until).strftime("%H:%M")
                )
                return (
                    f"{run.pipeline} is muted in #incident until {until} (by "
                    f"@{NAMES.get(mute.by, mute.by)}), so nothing was posted. "
                    f"/harness-logs unmute {run.pipeline} ends it"
                )
        if already:
            return "already reported in #incident: the same notification again posts nothing new"
        return "nothing new to post (a filter of the subscription leaves this run out)"

    async def _press(self, label: str) -> None:
        button = _find_button(self._last, label)
        if button is None:
            self._out(f"No button {label!r} on the last post.")
            return
        if button.get("url"):
            self._out(f"(a link button: your browser would open {button['url']})")
            return
        if button.get("confirm"):
            title = str(button["confirm"]["title"]["text"])
            self._out(f"(Slack asks first: {title} You confirm.)")
        action = {"action_id": button["action_id"], "value": button.get("value", "")}
        if button.get("type") == "option":
            action = {"action_id": button["action_id"], "selected_option": button["option"]}
        rid = f"press{next(self._ids)}"
        ts = str((self._last or {}).get("ts") or "1763700000.000100")
        self._pressed = self._last_key
        payload = {
            "type": "block_actions",
            "team": {"id": slack_emu.TEAM_ID},
            "user": {"id": USER},
            "channel": {"id": CHANNEL, "name": "incident"},
            "container": {"type": "message", "message_ts": ts},
            "message": {"ts": ts},
            "response_url": self.slack.response_url(rid),
            "trigger_id": f"trig.{rid}",
            "actions": [action],
        }
        before = len(self.slack.api_calls), len(self.slack.replies)
        await self._signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        await self._settle()
        if (len(self.slack.api_calls), len(self.slack.replies)) == before:
            self._out("(pressed; Slack would show nothing new)")

    async def _paste(self, words: str) -> None:
        pipeline, _, number = words.partition(" ")
        try:
            run = _run_of(self.harness, pipeline, number.strip().lstrip("#"))
        except LookupError as exc:
            self._out(f"{exc.args[0]} Type !world for the pipelines and their runs.")
            return
        url = (
            f"{self.harness.base_url}/ng/account/{self.harness.account}/module/cd/orgs/"
            f"{run.org}/projects/{run.project}/pipelines/{run.pipeline}/executions/"
            f"{run.plan_execution_id}/pipeline"
        )
        ts = f"{int(self._clock.time())}.{next(self._ids):06d}"
        self._out(f"(you paste the link of {run.pipeline} #{run.run_sequence} in #incident)")
        status = await self._event(
            {
                "type": "link_shared",
                "channel": CHANNEL,
                "is_bot_user_member": True,
                "user": USER,
                "message_ts": ts,
                "unfurl_id": f"Uf{ts}",
                "source": "conversations_history",
                "links": [{"domain": url.split("/")[2], "url": url}],
            }
        )
        await self._settle()
        if status != 200 or len(self.slack.unfurled) == self._seen_unfurls:
            self._out("(the link did not unfold)")
        for call in self.slack.unfurled[self._seen_unfurls :]:
            unfurls = call.args.get("unfurls")
            if isinstance(unfurls, str):
                unfurls = json.loads(unfurls)
            for attachment in (unfurls or {}).values():
                message = {**attachment, "channel": CHANNEL, "ts": ts}
                self._show(message, "the link unfolds in #incident", (CHANNEL, ts))
        self._seen_unfurls = len(self.slack.unfurled)

    async def _home(self) -> None:
        before = len(self.slack.api_calls)
        await self._event(
            {"type": "app_home_opened", "user": USER, "channel": "D0SANDBOX1", "tab": "home"}
        )

        def published() -> list[ApiCall] | None:
            calls = [c for c in self.slack.api_calls[before:] if c.method == "views.publish"]
            return calls or None

        # Bolt answers this event after acknowledging it, outside the bot's work queue.
        try:
            (call, *_) = await self.slack.wait_for(published, 30)
        except TimeoutError:
            self._out("(the App Home tab did not open)")
            return
        view = call.args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        self._show(dict(view or {}), "your App Home tab", ("home", USER))

    # -- Slack's side ---------------------------------------------------------

    async def _event(self, event: dict[str, Any]) -> int:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": slack_emu.TEAM_ID,
                "api_app_id": "A0SANDBOX01",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(self._ids):08d}",
                "event_time": int(self._clock.time()),
                "authorizations": [
                    {"team_id": slack_emu.TEAM_ID, "user_id": slack_emu.BOT_USER_ID, "is_bot": True}
                ],
            }
        )
        status, _answer = await self._signed(body, "application/json")
        return status

    async def _signed(self, body: str, content_type: str) -> tuple[int, Any]:
        ts = str(int(self._clock.time()))
        signature = SignatureVerifier(slack_emu.SIGNING_SECRET).generate_signature(
            timestamp=ts, body=body
        )
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": str(signature),
        }
        assert self._http is not None
        async with self._http.post(
            self._url + "/slack/events", data=body.encode(), headers=headers
        ) as resp:
            text = await resp.text()
        try:
            return resp.status, json.loads(text) if text else {}
        except ValueError:
            return resp.status, text

    async def _settle(self) -> None:
        """Wait until the app is idle, then show what reached Slack meanwhile."""
        assert self._app is not None
        await asyncio.wait_for(self._app.idle(), 120)
        for reply in self.slack.replies[self._seen_replies :]:
            body = reply.body
            if body.get("delete_original"):
                continue
            where = "#incident" if body.get("response_type") == "in_channel" else "only you"
            key: tuple[str, str] = ("reply", reply.response_id)
            if body.get("replace_original") is True:
                # A button's response_url replaces the message the button was on.
                if reply.response_id.startswith("press") and self._pressed is not None:
                    key = self._pressed
                self._show(body, where, key, replaced=True)
            else:
                self._show(body, where, key)
        self._seen_replies = len(self.slack.replies)
        # Each message once, as it reads now: an alert is posted, then filled in place.
        touched: dict[tuple[str, str], None] = {}
        for post in self.slack.posts()[self._seen_posts :]:  # as Slack took them: with ts
            touched[(str(post.args.get("channel")), str(post.args.get("ts")))] = None
        for call in self.slack.api_calls[self._seen_calls :]:
            if call.method == "chat.update":
                touched[(str(call.args.get("channel")), str(call.args.get("ts")))] = None
        self._seen_posts = len(self.slack.posts())
        self._seen_calls = len(self.slack.api_calls)
        now = {(str(m.args.get("channel")), str(m.args.get("ts"))): m for m in self.slack.shown()}
        for key in touched:
            if key not in now:
                continue
            message = dict(now[key].args)
            if isinstance(message.get("blocks"), str):
                message["blocks"] = json.loads(message["blocks"])
            where = CHANNELS.get(key[0], key[0])
            thread = " (in the thread)" if message.get("thread_ts") else ""
            self._show(message, f"{where}{thread}", key)

    def _show(
        self,
        message: dict[str, Any],
        where: str,
        key: tuple[str, str],
        *,
        replaced: bool = False,
    ) -> None:
        lines = [line for line in body_lines(message, self._style) if line.strip()]
        before = self._shown.get(key)
        self._shown[key] = lines
        if before is None:
            verb = "replacing the message, " if replaced else ""
            self._out("\n".join([heading(f"{verb}{where}"), *lines]))
        elif before != lines:
            self._out("\n".join([heading(f"updated in {where}"), *_changes(before, lines)]))
        if message.get("blocks"):
            self._last, self._last_key = message, key


_MARKS = {"Success": "✓", "Failed": "✗"}


def _changes(before: list[str], after: list[str]) -> list[str]:
    """The lines that changed: `- ` what went, `+ ` what came."""
    diff = difflib.ndiff(before, after)
    return [line for line in diff if line[:2] in ("- ", "+ ")]


def _run_of(harness: HarnessEmulator, pipeline: str, number: str) -> RunSpec:
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


def _failed_run(harness: HarnessEmulator, pipeline: str, number: str) -> RunSpec:
    """A failed run by number, or the pipeline's latest failed one."""
    if number:
        run = _run_of(harness, pipeline, number)
        if run.status != "Failed":
            raise LookupError(f"{pipeline} #{number} did not fail ({run.status}).")
        return run
    _run_of(harness, pipeline, "")  # says when there is no such pipeline
    for project in harness.pipelines.values():
        if pipeline in project:
            for run in project[pipeline].runs:
                if run.status == "Failed":
                    return run
    raise LookupError(f"{pipeline} has no failed run in the demo world.")


def _find_button(message: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    """A button by (part of) its label or action id, or a menu's option by its label
    (`mute for 1 hour`), which comes back as {"type": "option", ...}."""
    wanted = label.lower().strip('"')
    for block in (message or {}).get("blocks") or []:
        for element in block.get("elements") or []:
            for option in element.get("options") or []:
                text = str((option.get("text") or {}).get("text") or "").lower()
                if text and text in wanted:
                    return {"type": "option", "action_id": element["action_id"], "option": option}
            if element.get("type") != "button":
                continue
            text = str((element.get("text") or {}).get("text") or "").lower()
            if wanted in text or wanted == element.get("action_id"):
                found: dict[str, Any] = element
                return found
    return None


__all__ = ["HELP", "Session"]
