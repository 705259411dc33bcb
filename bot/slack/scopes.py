"""The bot-token scopes the code uses, each with the reason; manifest.yml must match."""

BOT_SCOPES: dict[str, str] = {
    "commands": "the /harness-logs slash command (replies go through its response_url)",
    "chat:write": "threaded replies with the full log excerpt",
    "files:write": "the full log excerpt as a text file when it is too long for a message",
}
