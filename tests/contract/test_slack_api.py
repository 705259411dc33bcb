"""The Slack Web API methods the bot calls and the scopes each needs, stated literally
from Slack's method reference (https://api.slack.com/methods/<method>, "Required
scopes"; the same in slackapi/slack-api-specs web-api/slack_web_openapi_v2.json).

Three checks hang on the table: every method the bot's code calls is in it (and
nothing else), the manifest an admin installs grants every scope it lists, and the
Slack emulator refuses each method without its scope (`missing_scope`), as Slack does,
so the end-to-end tests, which run with exactly the manifest's scopes, would fail on
a method whose scope the app does not ask for.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from emulators.slack import APP_TOKEN, BOT_TOKEN, SlackEmulator
from emulators.slack.scopes import CONVERSATION_SCOPES, METHOD_SCOPES
from tests.conftest import installed_scopes

BOT = Path(__file__).resolve().parents[2] / "bot"

SLACK_METHODS: dict[str, tuple[str, ...]] = {
    "auth.test": (),  # /methods/auth.test: "No scope required"
    "chat.postMessage": ("chat:write",),  # /methods/chat.postMessage
    "chat.update": ("chat:write",),  # /methods/chat.update
    "chat.unfurl": ("links:write",),  # /methods/chat.unfurl
    # /methods/conversations.info: channels:read for a public channel, groups:read for
    # a private one (the bot asks about both; DMs it never names).
    "conversations.info": ("channels:read", "groups:read"),
    "views.publish": (),  # /methods/views.publish: no scope
    "usergroups.list": ("usergroups:read",),  # /methods/usergroups.list
    "usergroups.users.list": ("usergroups:read",),  # /methods/usergroups.users.list
    "users.lookupByEmail": ("users:read.email",),  # /methods/users.lookupByEmail
    # /methods/users.conversations: the read scope of each kind in `types` (App Home asks
    # for public and private channels).
    "users.conversations": ("channels:read", "groups:read"),
    # files_upload_v2 (python-slack-sdk) calls these two and uploads in between.
    "files.getUploadURLExternal": ("files:write",),  # /methods/files.getUploadURLExternal
    "files.completeUploadExternal": ("files:write",),  # /methods/files.completeUploadExternal
    # An app-level token's scope (Socket Mode), not the bot token's: /methods/apps.connections.open
    "apps.connections.open": ("connections:write",),
}
APP_LEVEL = {"apps.connections.open"}
# slack_sdk helpers that call several methods.
_HELPERS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}


def methods_the_bot_calls() -> set[str]:
    """Slack methods named by calls in bot/: `client.chat_postMessage(...)` and the like
    (slack_sdk's method names, dots written as underscores)."""
    client_methods = {name for name in dir(AsyncWebClient) if not name.startswith("_")}
    found: set[str] = set()
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            if name in _HELPERS:
                found.update(_HELPERS[name])
            elif name in client_methods and re.fullmatch(r"[a-z]+(_[a-zA-Z]+)+", name):
                found.add(_dotted(name))
    return found


def _dotted(name: str) -> str:
    """`usergroups_users_list` -> `usergroups.users.list`; `chat_postMessage` ->
    `chat.postMessage` (camel case stays)."""
    return name.replace("_", ".")


def test_every_method_the_bot_calls_is_in_the_contract() -> None:
    called = methods_the_bot_calls()
    # Generic slack_sdk calls the scan would also match are not Slack methods.
    called -= {"api.call", "api.test"}
    assert called == set(SLACK_METHODS), (
        f"not in the contract: {sorted(called - set(SLACK_METHODS))}; "
        f"no longer called: {sorted(set(SLACK_METHODS) - called)}"
    )


def test_the_manifest_grants_every_scope_the_bot_token_needs() -> None:
    needed = {
        scope
        for method, scopes in SLACK_METHODS.items()
        if method not in APP_LEVEL
        for scope in scopes
    }
    assert needed <= set(installed_scopes()), sorted(needed - set(installed_scopes()))


ARGS: dict[str, dict[str, Any]] = {
    "chat.postMessage": {"channel": "C0INCIDENT", "text": "hi"},
    "chat.update": {"channel": "C0INCIDENT", "ts": "1700000000.000100", "text": "hi"},
    "chat.unfurl": {"channel": "C0INCIDENT", "ts": "1700000000.000100", "unfurls": {}},
    "conversations.info": {"channel": "C0INCIDENT"},
    "usergroups.users.list": {"usergroup": "S0LEADS001"},
    "users.lookupByEmail": {"email": "dana@acme.test"},
    "files.getUploadURLExternal": {"filename": "x.log", "length": 3},
    "files.completeUploadExternal": {"files": [{"id": "F1"}], "channel_id": "C0INCIDENT"},
    "users.conversations": {"user": "U0DANA0001", "types": "public_channel,private_channel"},
}


@pytest.mark.parametrize(
    "method", [m for m, scopes in SLACK_METHODS.items() if scopes and m not in APP_LEVEL]
)
async def test_slack_refuses_each_method_without_its_scope(
    slack: SlackEmulator, method: str
) -> None:
    needed = SLACK_METHODS[method]
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    slack.people["dana@acme.test"] = "U0DANA0001"
    slack.usergroups["leads"] = ("S0LEADS001", ["U0DANA0001"])
    args = dict(ARGS.get(method, {}))
    if method == "chat.update":  # a message of the bot's to update
        posted = await client.chat_postMessage(channel="C0INCIDENT", text="first")
        args["ts"] = posted["ts"]
    slack.scopes = [scope for scope in installed_scopes() if scope not in needed]
    with pytest.raises(SlackApiError) as refused:
        await client.api_call(method, json=args)
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] in needed
    slack.scopes = installed_scopes()
    answer = await client.api_call(method, json=args)
    assert answer["ok"], answer


async def test_a_private_channel_needs_groups_read(slack: SlackEmulator) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    slack.private_channels.add("C0PRIVATE1")
    slack.scopes = [scope for scope in installed_scopes() if scope != "groups:read"]
    assert (await client.conversations_info(channel="C0INCIDENT"))["ok"]
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_info(channel="C0PRIVATE1")
    assert refused.value.response["needed"] == "groups:read"


async def test_socket_mode_opens_with_the_app_level_token(slack: SlackEmulator) -> None:
    client = AsyncWebClient(base_url=slack.api_url)
    assert (await client.apps_connections_open(app_token=APP_TOKEN))["ok"]
    with pytest.raises(SlackApiError):
        await client.apps_connections_open(app_token=BOT_TOKEN)


def test_the_slack_stand_in_asks_the_scopes_the_contract_states() -> None:
    """Two readings of Slack's reference, kept apart on purpose (the stand-in may not
    learn from the bot's tests): they must agree."""
    by_kind = {"conversations.info", "users.conversations"}  # their scope depends on the channel
    for method, scopes in SLACK_METHODS.items():
        if method not in by_kind:
            assert set(METHOD_SCOPES[method]) == set(scopes), method
    assert set(CONVERSATION_SCOPES.values()) >= set(SLACK_METHODS["conversations.info"])
