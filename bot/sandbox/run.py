"""`make run`: the real bot when Slack and Harness are configured, else the sandbox.

The sandbox starts only when no setting of either service is given (neither in the
environment nor in `.env`): a half-filled `.env` is a real bot that is not set up
yet, so it gets what the real bot says about it (one line per missing or invalid
setting, exit 2), not a sandbox that hides the mistake. The first line says which
one is running, and how to configure the real thing.
"""

from __future__ import annotations

import os
import sys

from dotenv import dotenv_values

from bot.cli import main as bot_main
from bot.cli import quietly
from bot.config import Settings, dotenv_files

# The settings of the two services (the bot's own, like BOT_STORE_URL or PORT, do not
# say that anyone meant to configure Slack or Harness).
SERVICE_SETTINGS = tuple(
    sorted(
        name.upper() for name in Settings.model_fields if name.startswith(("slack_", "harness_"))
    )
)


def given_settings() -> list[str]:
    """The Slack and Harness settings given a value, in the environment or a `.env`."""
    given = {name.upper() for name, value in os.environ.items() if value.strip()}
    for path in dotenv_files():
        if os.path.isfile(path):
            given |= {
                name.upper() for name, value in dotenv_values(path).items() if (value or "").strip()
            }
    return [name for name in SERVICE_SETTINGS if name in given]


def main() -> int:
    if given_settings():
        return bot_main([])
    print(
        "No Slack or Harness settings found, so this is the sandbox: the real bot against "
        "emulated Slack and Harness. For the real thing, copy .env.example to .env and "
        "fill it in (README → Install).",
        flush=True,
    )
    from bot.sandbox import main as sandbox_main

    return quietly(lambda: sandbox_main(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
