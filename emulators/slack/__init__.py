"""A Slack stand-in: the Web API, `response_url`s and Socket Mode."""

from emulators.slack.server import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_ID,
    SlackEmulator,
)

__all__ = ["APP_TOKEN", "BOT_TOKEN", "BOT_USER_ID", "SIGNING_SECRET", "TEAM_ID", "SlackEmulator"]
