"""Everything Slack-facing, in three rooms: `listeners/` (Bolt listeners, registered by
`register_listeners`, the only list of them), `views/` (Block Kit, pure functions) and
`clients/` (posting, answering, the directory, request verification). The command
grammar is the service's (bot/service/grammar.py): the terminal speaks it too."""
