"""The sandbox session: the real app (Bolt, HTTP clients, store, queue) wired to the
Harness and Slack emulators, driven one line at a time from a prompt or a script.

Each line is a slash command (`/harness-logs …`) or a sandbox command (`!help` lists
them); this module starts and stops the pieces and sends each line to the one that
does it: `as_slack` speaks to the app as Slack does (commands, presses, pasted links,
App Home), `world` answers the commands about the emulated world (`!world`, `!fail`),
and `transcript` waits until the app is idle and prints what Slack would show.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.app import BotApp
from bot.clock import Clock
from bot.config import Settings
from bot.sandbox.as_slack import AsSlack
from bot.sandbox.demo import CHANNEL, USER, build_demo
from bot.sandbox.transcript import Transcript
from bot.sandbox.world import WEBHOOK_TOKEN, World
from bot.slack.clients.scopes import BOT_SCOPES
from bot.store import PipelineKey, Subscription
from emulators import slack as slack_emu
from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator

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


@dataclass(frozen=True)
class _Started:
    """What exists once the app is up: the pieces the lines are sent to."""

    you: AsSlack
    world: World


class Session:
    """The emulators, the app between them, and the lines sent to it (`handle`)."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self._out = out
        self._clock = Clock()
        self.harness = HarnessEmulator()
        self.slack = SlackEmulator(scopes=BOT_SCOPES)
        self._workdir = Path(tempfile.mkdtemp(prefix="harness-logs-sandbox-"))
        self._app: BotApp | None = None
        self._http: aiohttp.ClientSession | None = None
        self._started: _Started | None = None

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
        app = self._app = await BotApp.create(settings, "http", self._clock)
        port = await app.start("127.0.0.1", 0)
        url = f"http://127.0.0.1:{port}"
        # One HTTP client for both Slack's and Harness's requests to the app.
        http = self._http = aiohttp.ClientSession()
        key = PipelineKey(self.harness.account, "default", "shop", "deploy_checkout")
        await app.store.add_subscription(
            Subscription(CHANNEL, key, "Deploy Checkout", "failures", USER, self._clock.time())
        )
        transcript = Transcript(self.slack, app.idle, self._out)
        self._started = _Started(
            you=AsSlack(http, url, self._clock, self.slack, transcript, self._out),
            world=World(
                self.harness, self.slack, app.store, self._clock, http, url, transcript, self._out
            ),
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
            await self._parts().you.command(rest)
        elif verb == "!world":
            await self._parts().world.show()
        elif verb == "!fail":
            await self._parts().world.fail(rest or "deploy_checkout")
        elif verb == "!press":
            await self._parts().you.press(rest)
        elif verb == "!paste":
            await self._paste(rest or "deploy_checkout")
        elif verb == "!home":
            await self._parts().you.home()
        else:
            self._out(f"{verb} is not a command here. Type !help for the list.")
        return True

    async def _paste(self, words: str) -> None:
        """The world knows the run and its link; you paste it, as Slack would send it."""
        parts = self._parts()
        run = parts.world.run(words)  # None when there is no such run, having said so
        if run is not None:
            await parts.you.paste(parts.world.link(run), f"{run.pipeline} #{run.run_sequence}")

    def _parts(self) -> _Started:
        assert self._started is not None, "start() first"
        return self._started


__all__ = ["HELP", "Session"]
