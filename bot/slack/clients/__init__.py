"""Talking to Slack: posting (paced, 429-aware), answering response URLs, reading the
workspace directory, verifying request signatures, the Web API's retry handlers, the
scopes the bot asks for, and the service's incident posts as Slack messages."""
