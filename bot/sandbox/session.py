"""The sandbox: the real app (Bolt, HTTP clients, store, queue) wired to the Harness
and Slack emulators, driven from a prompt or a script.

Each line is a slash command (`/harness-logs …`, signed as Slack signs it, sent to
the app's own `/slack/events`) or a sandbox command (`!fail`, `!press`, `!help`,
`!quit`). After each line the session waits until the app has nothing left to do
and prints what Slack would show, ephemeral replies told apart from channel posts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.app import BotApp
from bot.clock import Clock
from bot.config import Settings
from bot.sandbox.demo import CHANNEL, build_demo
from bot.sandbox.render import render
from bot.slack.clients.scopes import BOT_SCOPES
from bot.store import PipelineKey, Subscription
from emulators import slack as slack_emu
from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec
from emulators.slack import SlackEmulator

WEBHOOK_TOKEN = "sandbox-webhook-token-0001"  # noqa: S105 (the emulated world's own)

HELP = """\
Type what you would type in Slack, or a sandbox command:
  /harness-logs deploy_checkout            the latest run's logs (it failed)
  /harness-logs deploy_checkout #41        a run by number
  /harness-logs integration #5 ui/e2e      one step
  /harness-logs subscriptions              what #incident is subscribed to
  /harness-logs help                       the bot's own help
  !fail <pipeline>                         Harness reports a failure (watch #incident)
  !press <button>                          press a button of the last post ("Refresh link",
                                           "Retry", or a menu's choice: "mute for 1 hour")
  !help  !quit"""

USER = "U0SANDBOX1"


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
        self._seen_replies = 0
        self._seen_calls = 0
        self._seen_posts = 0
        self._last: dict[str, Any] | None = None

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
        if line in ("!quit", "!exit"):
            return False
        if line == "!help":
            self._out(HELP)
        elif line.startswith("/harness-logs"):
            await self._command(line.removeprefix("/harness-logs").strip())
        elif line.startswith("!fail"):
            await self._fail(line.removeprefix("!fail").strip() or "deploy_checkout")
        elif line.startswith("!press"):
            await self._press(line.removeprefix("!press").strip())
        else:
            self._out("Not a command here. Type !help.")
        return True

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
            self._show(answer, "only you (the acknowledgement)")
        await self._settle()

    async def _fail(self, pipeline: str) -> None:
        try:
            run = _latest_failed(self.harness, pipeline)
        except (KeyError, StopIteration):
            self._out(f"No failed run of {pipeline!r} in the demo world.")
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
        url = f"{self._url}/harness/webhook?token={WEBHOOK_TOKEN}"
        assert self._http is not None
        async with self._http.post(url, json=body) as resp:
            self._out(
                f"(Harness sent PipelineFailed for {pipeline} #{run.run_sequence}: "
                f"HTTP {resp.status})"
            )
        await self._settle()

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
        payload = {
            "type": "block_actions",
            "team": {"id": slack_emu.TEAM_ID},
            "user": {"id": USER},
            "channel": {"id": CHANNEL, "name": "incident"},
            "container": {"type": "message", "message_ts": "1763700000.000100"},
            "message": {"ts": "1763700000.000100"},
            "response_url": self.slack.response_url(rid),
            "trigger_id": f"trig.{rid}",
            "actions": [action],
        }
        await self._signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        await self._settle()

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
            if body.get("replace_original") is True:
                where = f"{where}, replacing the message"
            self._show(body, where)
        self._seen_replies = len(self.slack.replies)
        # Each message once, as it reads now: an alert is posted, then filled in place.
        changed: dict[tuple[str, str], str] = {}
        for call in self.slack.api_calls[self._seen_calls :]:
            if call.method == "chat.update":
                changed.setdefault(
                    (str(call.args.get("channel")), str(call.args.get("ts"))), "updated"
                )
        posted = self.slack.posts()[self._seen_posts :]
        for post in posted:
            changed[(str(post.args.get("channel")), str(post.args["ts"]))] = "posted"
        self._seen_calls = len(self.slack.api_calls)
        self._seen_posts += len(posted)
        now = {(str(m.args.get("channel")), str(m.args.get("ts"))): m for m in self.slack.shown()}
        for key, verb in changed.items():
            if key not in now:
                continue
            message = dict(now[key].args)
            if isinstance(message.get("blocks"), str):
                message["blocks"] = json.loads(message["blocks"])
            thread = " (in the thread)" if message.get("thread_ts") else ""
            self._show(message, f"{verb} in #incident{thread}")

    def _show(self, message: dict[str, Any], where: str) -> None:
        self._out(render(message, where))
        if message.get("blocks"):
            self._last = message


def _latest_failed(harness: HarnessEmulator, pipeline: str) -> RunSpec:
    for project in harness.pipelines.values():
        if pipeline in project:
            return next(r for r in project[pipeline].runs if r.status == "Failed")
    raise KeyError(pipeline)


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
