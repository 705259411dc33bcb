"""The bot-token scopes the code uses, each with the reason; manifest.yml must match."""

BOT_SCOPES: dict[str, str] = {
    "commands": "the /harness-logs slash command (replies go through its response_url)",
    "chat:write": "threaded replies with the full log excerpt",
    "files:write": "the full log excerpt as a text file when it is too long for a message",
    "links:read": "link_shared events for Harness execution links",
    "links:write": "chat.unfurl: the execution summary under a pasted link",
    "channels:read": "conversations.info (a public channel: the bot's membership, the access "
    "policy's name rules) and users.conversations (App Home: the viewer's channels)",
    "groups:read": "the same for private channels",
    "usergroups:read": "the access policy's @user-group handles (usergroups.list, .users.list)",
    "users:read": "users.lookupByEmail (with users:read.email): who triggered a failed run",
    "users:read.email": "users.lookupByEmail: mention a run's trigger and commit author",
}

BOT_EVENTS: tuple[str, ...] = ("link_shared", "app_home_opened")
