"""The terminal's subcommands beside the bot itself (`bot/cli.py` dispatches to them):
`fetch` (the slash command in a terminal) and `excerpt` (the excerpt of a local log)
speak plain text of their own and import nothing from bot/slack; `doctor` checks the
settings against the real services (Slack's with the scopes the bot needs)."""
