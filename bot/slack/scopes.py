"""The bot-token scopes the code uses, each with the reason; manifest.yml must match."""

BOT_SCOPES: dict[str, str] = {
    "commands": "the /harness-logs slash command (replies go through its response_url)",
}
