"""The sandbox's transcript: what Slack would show of the app's work, printed once the
app has nothing left to do.

Ephemeral replies are told apart from channel posts; a message is shown once, as it
reads by then, and a message changed later (an alert filled in, a refreshed link) as
its changed lines, so a person sees what happened rather than the same post twice.
`render` turns each message's body into terminal text; this module decides which
messages to show, where they appeared, and whether they are new or changed.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.demo import CHANNELS, NAMES
from bot.sandbox.render import Style, body_lines, heading
from emulators.slack import SlackEmulator
from emulators.slack.server import ApiCall

# Which message a shown body is: (channel, ts) for a post, ("reply", response id) for
# what a response_url received, ("home", user) for an App Home tab.
Key = tuple[str, str]

# A bound, so an app that never goes idle ends the session with an error, not a hang.
IDLE_TIMEOUT = 120


def colours() -> bool:
    """ANSI styles where the output is a terminal that takes them (NO_COLOR: none)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or (
        sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
    )


class Transcript:
    """Prints what reached the Slack emulator since the last look, as Slack shows it."""

    def __init__(
        self,
        slack: SlackEmulator,
        idle: Callable[[], Awaitable[None]],
        out: Callable[[str], None],
    ) -> None:
        self._slack = slack
        self._idle = idle
        self._out = out
        self._style = Style(color=colours(), names=NAMES)
        # How much of the emulator's records has been shown already.
        self._seen_replies = 0
        self._seen_calls = 0
        self._seen_posts = 0
        self._seen_unfurls = 0
        # What each message read like when last shown, so a change shows as a change.
        self._shown: dict[Key, list[str]] = {}
        self._pressed: Key | None = None  # the message the last press was on
        self.last: dict[str, Any] | None = None  # the last message with blocks (buttons)
        self.last_key: Key | None = None

    def pressing(self) -> None:
        """A button of the last message is pressed: a response_url reply that replaces
        the original replaces that message, so it shows as that message changing."""
        self._pressed = self.last_key

    def new_unfurls(self) -> list[ApiCall]:
        """The link previews Slack accepted since the last call."""
        calls = self._slack.unfurled[self._seen_unfurls :]
        self._seen_unfurls = len(self._slack.unfurled)
        return calls

    async def settle(self) -> None:
        """Wait until the app is idle, then show what reached Slack meanwhile."""
        await asyncio.wait_for(self._idle(), IDLE_TIMEOUT)
        for reply in self._slack.replies[self._seen_replies :]:
            body = reply.body
            if body.get("delete_original"):
                continue
            where = "#incident" if body.get("response_type") == "in_channel" else "only you"
            key: Key = ("reply", reply.response_id)
            if body.get("replace_original") is True:
                # A button's response_url replaces the message the button was on.
                if reply.response_id.startswith("press") and self._pressed is not None:
                    key = self._pressed
                self.show(body, where, key, replaced=True)
            else:
                self.show(body, where, key)
        self._seen_replies = len(self._slack.replies)
        # Each message once, as it reads now: an alert is posted, then filled in place.
        touched: dict[Key, None] = {}
        for post in self._slack.posts()[self._seen_posts :]:  # as Slack took them: with ts
            touched[(str(post.args.get("channel")), str(post.args.get("ts")))] = None
        for call in self._slack.api_calls[self._seen_calls :]:
            if call.method == "chat.update":
                touched[(str(call.args.get("channel")), str(call.args.get("ts")))] = None
        self._seen_posts = len(self._slack.posts())
        self._seen_calls = len(self._slack.api_calls)
        now = {(str(m.args.get("channel")), str(m.args.get("ts"))): m for m in self._slack.shown()}
        for key in touched:
            if key not in now:
                continue
            message = dict(now[key].args)
            if isinstance(message.get("blocks"), str):
                message["blocks"] = json.loads(message["blocks"])
            where = CHANNELS.get(key[0], key[0])
            thread = " (in the thread)" if message.get("thread_ts") else ""
            self.show(message, f"{where}{thread}", key)

    def show(
        self,
        message: dict[str, Any],
        where: str,
        key: Key,
        *,
        replaced: bool = False,
    ) -> None:
        """A message new to the transcript in full under where it appeared; one seen
        before as the lines that changed (nothing when none did)."""
        lines = [line for line in body_lines(message, self._style) if line.strip()]
        before = self._shown.get(key)
        self._shown[key] = lines
        if before is None:
            verb = "replacing the message, " if replaced else ""
            self._out("\n".join([heading(f"{verb}{where}"), *lines]))
        elif before != lines:
            self._out("\n".join([heading(f"updated in {where}"), *changes(before, lines)]))
        if message.get("blocks"):
            self.last, self.last_key = message, key


def changes(before: list[str], after: list[str]) -> list[str]:
    """The lines that changed: `- ` what went, `+ ` what came."""
    diff = difflib.ndiff(before, after)
    return [line for line in diff if line[:2] in ("- ", "+ ")]


__all__ = ["Key", "Transcript", "changes", "colours"]
