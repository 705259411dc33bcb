"""A Slack stand-in on 127.0.0.1: Web API methods, `response_url`s and Socket Mode.

- `POST /api/<method>` checks the bearer token like Slack (`invalid_auth`),
  records the call and answers the documented shape.
- Rate limits as Slack applies them to `chat.postMessage` (`post_rate` messages
  per second per channel, `post_burst` at once): beyond them, HTTP 429 with
  `Retry-After` in whole seconds and `{"ok": false, "error": "ratelimited"}`.
- Scripted faults: `fail_next(method, error, status, times, retry_after)`.
- Scopes: the bot token holds the scopes the app was installed with (`scopes`); a
  method whose scope it lacks answers `missing_scope` with `needed` and `provided`
  (`emulators.slack.scopes`), and every answer names the token's scopes in
  `x-oauth-scopes`, as Slack's do.
- `users.lookupByEmail` finds `people` (email -> user id); an unknown email is
  `users_not_found`.
- `POST /response/<id>` receives `response_url` replies and records them.
- `apps.connections.open` (app token) hands out `ws://.../socket`, where the
  emulator says `hello`, delivers envelopes with `send_envelope()` and
  collects the app's acknowledgements.
Every recorded thing wakes `wait_for()`, so tests wait on events, not on time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs

from aiohttp import WSMsgType, web

from emulators.clock import SYSTEM, WallClock
from emulators.slack.blockkit import block_problems
from emulators.slack.scopes import CONVERSATION_SCOPES, METHOD_SCOPES
from emulators.waiting import Changes

BOT_TOKEN = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
APP_TOKEN = "xapp-1-A0123456789-1111111111-0123456789abcdef0123456789abcdef"
SIGNING_SECRET = "8f742231b10e8888abcd99aaabbb85a5"
TEAM_ID = "T0TEAM0001"
BOT_USER_ID = "U0BOTUSER1"

T = TypeVar("T")


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str


@dataclass
class Reply:
    response_id: str
    body: dict[str, Any]


class SlackEmulator:
    def __init__(self, *, scopes: Iterable[str], clock: WallClock = SYSTEM) -> None:
        self.clock = clock
        self.api_calls: list[ApiCall] = []
        self.replies: list[Reply] = []
        # Messages refused as Slack would refuse them (invalid_blocks): a test that
        # posts one fails through the bot's own error handling, and can look here.
        self.invalid: list[tuple[str, list[str]]] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self.response_failures: dict[str, list[int]] = {}
        # Channels the bot is a member of; posting elsewhere fails as it does on Slack.
        self.members: set[str] = {"C0INCIDENT", "C0OPS00001"}
        self.archived: set[str] = set()
        self.channel_names: dict[str, str] = {}  # id -> name; else the id in lower case
        # Who is in which channel (users.conversations), beyond the bot's own `members`.
        self.user_channels: dict[str, set[str]] = {}
        # Who created a channel, and the names it had before (newest first), as
        # conversations.info gives them.
        self.creators: dict[str, str] = {}
        self.previous_names: dict[str, list[str]] = {}
        # User groups: handle -> (id, member user ids).
        self.usergroups: dict[str, tuple[str, list[str]]] = {}
        # People of the workspace by email (users.lookupByEmail), as Slack stores them.
        self.people: dict[str, str] = {}
        self.uploads: dict[str, bytes] = {}
        self.posted: list[ApiCall] = []  # chat.postMessage calls Slack accepted
        self.unfurled: list[ApiCall] = []  # chat.unfurl calls Slack accepted
        # Every message as it stands now (chat.update replaces it), by (channel, ts).
        self._messages: dict[tuple[str, str], ApiCall] = {}
        # The bot token's scopes: what the app was installed with (its manifest's).
        self.scopes: list[str] = sorted(scopes)
        self.private_channels: set[str] = set()  # else by id: C public, G private, D a DM
        self.post_rate: float | None = None  # per channel per second; None: no limit
        self.post_burst = 1
        self.rate_limited = 0  # 429s answered
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, when)
        self._faults: dict[str, list[tuple[int, str, str | None]]] = {}
        self._ts = itertools.count(1)
        self.changes = Changes()
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, response_id: str | None = None) -> str:
        """Shaped like Slack's (`/commands/<team>/<number>/<secret>`); the last part is
        the id the test names replies by."""
        rid = response_id or next(self._ids)
        return f"http://127.0.0.1:{self.port}/commands/{TEAM_ID}/1234567890/{rid}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # Slack takes read methods as GET too
        app.router.add_post("/commands/{team}/{number}/{id}", self._response)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/_emulator/replies", self._reply_count)  # for out-of-process users
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float = 10.0) -> T:
        return await self.changes.wait_for(probe, timeout)

    def replies_to(self, response_id: str) -> list[dict[str, Any]]:
        return [r.body for r in self.replies if r.response_id == response_id]

    def calls(self, method: str) -> list[ApiCall]:
        return [c for c in self.api_calls if c.method == method]

    # -- Web API ------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "GET":
            pass
        elif request.content_type == "application/json":
            args.update(await request.json())
        else:
            form = parse_qs((await request.read()).decode())
            args.update({k: v[0] for k, v in form.items()})
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or str(
            args.pop("token", "")
        )
        self.api_calls.append(ApiCall(method, args, token))
        await self.changes.notify()
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if method != "apps.connections.open" and (needed := self._missing_scope(method, args)):
            return web.json_response(
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": needed,
                    "provided": ",".join(self.scopes),
                },
                headers={"x-oauth-scopes": ",".join(self.scopes)},
            )
        if self._faults.get(method):
            status, error, retry_after = self._faults[method].pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        if method == "chat.postMessage" and (wait := self._rate_wait(str(args.get("channel")))):
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        if method in _MESSAGE_METHODS and (problems := _message_problems(method, args)):
            self.invalid.append((method, problems))
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": problems})
        result: dict[str, Any] = await handler(args)
        # Slack names the token's scopes on every Web API answer.
        return web.json_response(result, headers={"x-oauth-scopes": ",".join(self.scopes)})

    def fail_next(
        self,
        method: str,
        error: str = "internal_error",
        status: int = 200,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail (a 200 with ok=false, or an HTTP error)."""
        self._faults.setdefault(method, []).extend([(status, error, retry_after)] * times)

    def _missing_scope(self, method: str, args: dict[str, Any]) -> str | None:
        """The scope the token lacks for this call, if any."""
        needed = list(METHOD_SCOPES.get(method, ()))
        if method == "conversations.info":
            needed.append(CONVERSATION_SCOPES[self._kind(str(args.get("channel") or ""))])
        if method == "users.conversations":
            kinds = str(args.get("types") or "public_channel").split(",")
            needed += [
                CONVERSATION_SCOPES[_TYPE_KINDS[kind]] for kind in kinds if kind in _TYPE_KINDS
            ]
        return next((scope for scope in needed if scope not in self.scopes), None)

    def _kind(self, channel: str) -> str:
        if channel in self.private_channels or channel.startswith("G"):
            return "private"
        return {"D": "im"}.get(channel[:1], "public")

    def _rate_wait(self, channel: str) -> float:
        """Seconds until the channel may post again (0: now, and a token is spent)."""
        if self.post_rate is None:
            return 0.0
        now = self.clock.time()
        tokens, when = self._buckets.get(channel, (float(self.post_burst), now))
        tokens = min(float(self.post_burst), tokens + (now - when) * self.post_rate)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return 0.0
        self._buckets[channel] = (tokens, now)
        return (1.0 - tokens) / self.post_rate

    async def _api_auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "harness-logs",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0BOT00001",
        }

    def _posting_error(self, channel: str) -> str | None:
        if not _CONVERSATION_ID.fullmatch(channel):
            return "channel_not_found"  # "COMPOSER" too: it names no conversation
        if channel in self.archived:
            return "is_archived"
        if channel not in self.members:
            return "not_in_channel"
        return None

    async def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if error := self._posting_error(channel):
            return {"ok": False, "error": error}
        # A message's ts is the second it was posted and a counter (docs: chat.postMessage).
        ts = f"{int(self.clock.time())}.{next(self._ts):06d}"
        call = ApiCall("chat.postMessage", {**args, "ts": ts}, BOT_TOKEN)
        self.posted.append(call)
        self._messages[(channel, ts)] = call
        return {"ok": True, "channel": channel, "ts": ts}

    async def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        if error := self._posting_error(channel):
            return {"ok": False, "error": error}
        before = self._messages.get((channel, ts))
        if before is None:
            return {"ok": False, "error": "message_not_found"}
        # The message keeps its place (its thread); its content is what was sent now.
        kept: dict[str, Any] = {
            k: before.args[k] for k in ("channel", "ts", "thread_ts") if k in before.args
        }
        self._messages[(channel, ts)] = ApiCall("chat.update", {**args, **kept}, BOT_TOKEN)
        return {"ok": True, "channel": channel, "ts": ts}

    async def _api_chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        """An unfurl names its message by `unfurl_id` + `source`, or by `channel` + `ts`
        (both of a pair, https://api.slack.com/methods/chat.unfurl). A link still being
        typed in the message composer comes with `channel: "COMPOSER"` and a
        `message_ts` that is no timestamp; those "always work to supply chat.unfurl"
        and fail anywhere else (https://api.slack.com/events/link_shared)."""
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        unfurl_id, source = args.get("unfurl_id"), args.get("source")
        if unfurl_id or source:
            if not unfurl_id or source not in _UNFURL_SOURCES:
                return {"ok": False, "error": "invalid_arguments"}
        elif not (channel and ts):
            return {"ok": False, "error": "invalid_arguments"}
        elif channel != COMPOSER:
            if not _CONVERSATION_ID.fullmatch(channel):
                return {"ok": False, "error": "cannot_find_channel"}
            if not _MESSAGE_TS.fullmatch(ts):
                return {"ok": False, "error": "cannot_find_message"}
        self.unfurled.append(ApiCall("chat.unfurl", args, BOT_TOKEN))
        return {"ok": True}

    async def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if not _CONVERSATION_ID.fullmatch(channel):
            return {"ok": False, "error": "channel_not_found"}
        kind = self._kind(channel)
        if kind == "im":  # a DM has no name, only the person on the other side
            return {"ok": True, "channel": {"id": channel, "is_im": True, "user": "U0ALICE001"}}
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": self.channel_names.get(channel, channel.lower()),
                "is_channel": kind == "public",
                "is_group": kind == "private",
                "is_private": kind == "private",
                "is_member": channel in self.members,
                "is_archived": channel in self.archived,
                "creator": self.creators.get(channel, "U0CREATOR1"),
                "previous_names": self.previous_names.get(channel, []),
                "created": int(self.clock.time()) - 86400,
            },
        }

    async def _api_users_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channels a person is in, one page (cursor paging, as Slack pages)."""
        user = str(args.get("user") or "")
        kinds = {_TYPE_KINDS.get(k) for k in str(args.get("types") or "public_channel").split(",")}
        found = sorted(c for c in self.user_channels.get(user, set()) if self._kind(c) in kinds)
        start = int(str(args.get("cursor") or "0") or 0)
        limit = int(args.get("limit") or 100)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "channels": [{"id": c, "name": self.channel_names.get(c, c.lower())} for c in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    async def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not args.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        if problems := block_problems({"blocks": view.get("blocks") or []}):
            self.invalid.append(("views.publish", problems))
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return {"ok": True, "view": {"id": "V0HOME0001", **view}}

    async def _api_usergroups_list(self, _args: dict[str, Any]) -> dict[str, Any]:
        groups = [
            {"id": group_id, "handle": handle, "name": handle.title(), "team_id": TEAM_ID}
            for handle, (group_id, _members) in self.usergroups.items()
        ]
        return {"ok": True, "usergroups": groups}

    async def _api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        for group_id, members in self.usergroups.values():
            if group_id == args.get("usergroup"):
                return {"ok": True, "users": members}
        return {"ok": False, "error": "no_such_subteam"}

    async def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "")
        user = next((u for e, u in self.people.items() if e.lower() == email.lower()), None)
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": TEAM_ID,
                "name": email.split("@")[0],
                "deleted": False,
                "is_bot": False,
                "profile": {"email": email, "real_name": email.split("@")[0].title()},
            },
        }

    def posts(self, channel: str | None = None) -> list[ApiCall]:
        """chat.postMessage calls that Slack accepted, oldest first."""
        return [c for c in self.posted if channel is None or c.args.get("channel") == channel]

    def shown(self, channel: str | None = None) -> list[ApiCall]:
        """The posted messages as they read now (after any chat.update), oldest first."""
        return [
            self._messages[(str(c.args.get("channel")), str(c.args["ts"]))]
            for c in self.posts(channel)
        ]

    async def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):08d}"
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            "file_id": file_id,
        }

    async def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel_id", ""))
        if error := self._posting_error(channel):
            return {"ok": False, "error": error}
        files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    async def _upload(self, request: web.Request) -> web.Response:
        reader = await request.post()
        field = next(iter(reader.values()), b"") if reader else await request.read()
        data = (
            field.file.read()
            if hasattr(field, "file")
            else (field if isinstance(field, bytes) else str(field).encode())
        )
        self.uploads[request.match_info["file_id"]] = data
        await self.changes.notify()
        return web.Response(text="OK - " + str(len(data)))

    async def _api_apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    # -- response_url -------------------------------------------------------

    async def _response(self, request: web.Request) -> web.Response:
        response_id = request.match_info["id"]
        failures = self.response_failures.get(response_id)
        if failures:
            status = failures.pop(0)
            return web.Response(
                status=status,
                text="internal_error" if status >= 500 else "rate_limited",
                headers={"Retry-After": "0"} if status == 429 else {},
            )
        body = await request.json()
        if problems := block_problems(body):
            self.invalid.append(("response_url", problems))
            return web.Response(status=400, text="invalid_blocks")
        self.replies.append(Reply(response_id, body))
        await self.changes.notify()
        return web.Response(text="ok")

    async def _reply_count(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "replies": len(self.replies),
                "response_ids": len({r.response_id for r in self.replies}),
            }
        )

    # -- Socket Mode --------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0123456789"}}
        )
        self._socket_ready.set()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    data = json.loads(message.data)
                    if "envelope_id" in data:
                        self.socket_acks[data["envelope_id"]] = data.get("payload") or {}
                        await self.changes.notify()
        finally:
            self._sockets.remove(ws)
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver one Socket Mode envelope to the connected app; returns its id."""
        await asyncio.wait_for(self._socket_ready.wait(), 10)
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": True,
            }
        )
        return envelope_id


_UNFURL_SOURCES = frozenset({"composer", "conversations_history"})
_TYPE_KINDS = {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}
COMPOSER = "COMPOSER"  # the channel of a link_shared event from the message composer
_CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9]{8,}")
_MESSAGE_TS = re.compile(r"\d{10}\.\d{6}")

_MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.unfurl"}
)


def _message_problems(method: str, args: dict[str, Any]) -> list[str]:
    """Slack validates every message's blocks; an unfurl's are inside each URL's entry."""
    if method != "chat.unfurl":
        return block_problems(args)
    unfurls = args.get("unfurls") or {}
    if isinstance(unfurls, str):
        unfurls = json.loads(unfurls)
    return [problem for entry in unfurls.values() for problem in block_problems(entry)]
