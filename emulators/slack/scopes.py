"""The scopes each Web API method needs, as Slack's method reference lists them
(https://api.slack.com/methods/<method>, "Required scopes"; the same in
slackapi/slack-api-specs `web-api/slack_web_openapi_v2.json`, each operation's
`security`). A token without them gets `missing_scope`.

`conversations.info` needs the read scope of the conversation's kind: a public
channel `channels:read`, a private one `groups:read`, a DM `im:read`, a group DM
`mpim:read`; `users.conversations` the scopes of every kind its `types` asks for.
"""

from __future__ import annotations

__all__ = ["CONVERSATION_SCOPES", "METHOD_SCOPES"]

METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.unfurl": ("links:write",),
    "views.publish": (),
    "usergroups.list": ("usergroups:read",),
    "usergroups.users.list": ("usergroups:read",),
    "users.lookupByEmail": ("users:read.email",),
    "users.info": ("users:read",),
    # users.conversations: as conversations.info, by the kinds its `types` names.
    "users.conversations": (),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    # An app-level token's scope, not a bot token's.
    "apps.connections.open": ("connections:write",),
}

# conversations.info, by the kind of conversation asked about.
CONVERSATION_SCOPES: dict[str, str] = {
    "public": "channels:read",
    "private": "groups:read",
    "im": "im:read",
    "mpim": "mpim:read",
}
