"""Stand-ins for Harness and Slack on 127.0.0.1, for the tests, the sandbox and the
benchmarks.

Each follows what its service publishes (API references, public source code),
quirks included, and cites where; none imports anything from `bot`: they are
independent references, so a test that passes says the bot works against the
service as documented, not against the bot's own idea of it. Every time they hand
out is relative to their clock (`emulators.clock`), so they work on any date.
"""
