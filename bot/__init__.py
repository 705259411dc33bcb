"""harness-logs: a Slack app that brings Harness execution logs into the channel."""

__version__ = "0.1.0"
