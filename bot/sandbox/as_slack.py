"""The sandbox speaking to the app as Slack does: what you do in Slack (a slash
command, a button press or a menu choice, a pasted link, opening App Home) sent to the
app's own `/slack/events`, signed with the signing secret as Slack signs it, so the
app's request checks, listeners and queue run exactly as they do for real.

What Slack then shows is the transcript's job; this module only says what Slack
itself would say about an action (a link button opening the browser, a confirmation
asked first, a press that changed nothing, a link that did not unfold).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.clock import Clock
from bot.sandbox.demo import CHANNEL, USER
from bot.sandbox.transcript import Transcript
from emulators import slack as slack_emu
from emulators.slack import SlackEmulator
from emulators.slack.server import ApiCall

# Bolt publishes App Home outside the bot's work queue, so there is no idle to wait
# for: the publish itself is waited for, this long at most.
HOME_TIMEOUT = 30


class AsSlack:
    """You, in Slack, as the app hears you: each action a signed request."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        clock: Clock,
        slack: SlackEmulator,
        transcript: Transcript,
        out: Callable[[str], None],
    ) -> None:
        self._http = http
        self._url = url  # the app's own address
        self._clock = clock
        self._slack = slack
        self._transcript = transcript
        self._out = out
        # One sequence for response ids, message stamps and event ids, so none repeats.
        self._ids = itertools.count(1)

    async def command(self, text: str) -> None:
        """`/harness-logs <text>` typed in #incident."""
        rid = f"cmd{next(self._ids)}"
        body = urlencode(
            {
                "team_id": slack_emu.TEAM_ID,
                "channel_id": CHANNEL,
                "channel_name": "incident",
                "user_id": USER,
                "command": "/harness-logs",
                "text": text,
                "response_url": self._slack.response_url(rid),
                "trigger_id": f"trig.{rid}.{self._clock.time()}",
            }
        )
        status, answer = await self._signed(body, "application/x-www-form-urlencoded")
        if status != 200:
            self._out(f"(Slack would show an error: HTTP {status})")
        elif isinstance(answer, dict) and answer:
            self._transcript.show(answer, "only you (the acknowledgement)", ("reply", rid))
        await self._transcript.settle()

    async def press(self, label: str) -> None:
        """Press a button of the last message shown, or choose a menu's option."""
        button = find_button(self._transcript.last, label)
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
        ts = str((self._transcript.last or {}).get("ts") or "1763700000.000100")
        self._transcript.pressing()
        payload = {
            "type": "block_actions",
            "team": {"id": slack_emu.TEAM_ID},
            "user": {"id": USER},
            "channel": {"id": CHANNEL, "name": "incident"},
            "container": {"type": "message", "message_ts": ts},
            "message": {"ts": ts},
            "response_url": self._slack.response_url(rid),
            "trigger_id": f"trig.{rid}",
            "actions": [action],
        }
        before = len(self._slack.api_calls), len(self._slack.replies)
        await self._signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        await self._transcript.settle()
        if (len(self._slack.api_calls), len(self._slack.replies)) == before:
            self._out("(pressed; Slack would show nothing new)")

    async def paste(self, link: str, what: str) -> None:
        """Paste `link` (the Harness page of `what`) in #incident: Slack tells the app,
        which may unfurl it."""
        ts = f"{int(self._clock.time())}.{next(self._ids):06d}"
        self._out(f"(you paste the link of {what} in #incident)")
        status = await self._event(
            {
                "type": "link_shared",
                "channel": CHANNEL,
                "is_bot_user_member": True,
                "user": USER,
                "message_ts": ts,
                "unfurl_id": f"Uf{ts}",
                "source": "conversations_history",
                "links": [{"domain": link.split("/")[2], "url": link}],
            }
        )
        await self._transcript.settle()
        unfurled = self._transcript.new_unfurls()
        if status != 200 or not unfurled:
            self._out("(the link did not unfold)")
        for call in unfurled:
            unfurls = call.args.get("unfurls")
            if isinstance(unfurls, str):
                unfurls = json.loads(unfurls)
            for attachment in (unfurls or {}).values():
                message = {**attachment, "channel": CHANNEL, "ts": ts}
                self._transcript.show(message, "the link unfolds in #incident", (CHANNEL, ts))

    async def home(self) -> None:
        """Open the app's App Home tab."""
        before = len(self._slack.api_calls)
        await self._event(
            {"type": "app_home_opened", "user": USER, "channel": "D0SANDBOX1", "tab": "home"}
        )

        def published() -> list[ApiCall] | None:
            calls = [c for c in self._slack.api_calls[before:] if c.method == "views.publish"]
            return calls or None

        # Bolt answers this event after acknowledging it, outside the bot's work queue.
        try:
            (call, *_) = await self._slack.wait_for(published, HOME_TIMEOUT)
        except TimeoutError:
            self._out("(the App Home tab did not open)")
            return
        view = call.args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        self._transcript.show(dict(view or {}), "your App Home tab", ("home", USER))

    async def _event(self, event: dict[str, Any]) -> int:
        """An Events API callback carrying `event`; the app's HTTP status."""
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
        """POST `body` to the app signed as Slack signs it; the status and the answer
        (JSON when it is JSON, else its text)."""
        ts = str(int(self._clock.time()))
        signature = SignatureVerifier(slack_emu.SIGNING_SECRET).generate_signature(
            timestamp=ts, body=body
        )
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": str(signature),
        }
        async with self._http.post(
            self._url + "/slack/events", data=body.encode(), headers=headers
        ) as resp:
            text = await resp.text()
        try:
            return resp.status, json.loads(text) if text else {}
        except ValueError:
            return resp.status, text


def find_button(message: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
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


__all__ = ["AsSlack", "find_button"]
