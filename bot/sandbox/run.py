"""`make run`: the real bot when Slack and Harness are configured, else the sandbox.

The first line says which, and how to configure the real thing.
"""

from __future__ import annotations

import sys

from bot.cli import main as bot_main
from bot.config import SettingsError, load_settings

REQUIRED = ("SLACK_BOT_TOKEN", "HARNESS_API_KEY", "HARNESS_ACCOUNT_ID", "HARNESS_DEFAULT_PROJECT")


def missing_settings() -> list[str]:
    """Required settings set neither in the environment nor in `.env` (settings that
    are set but invalid are the real bot's to report, one line each)."""
    try:
        load_settings()
    except SettingsError as exc:
        return [
            name
            for name in REQUIRED
            if any(p.startswith(f"{name}:") and p.endswith("is required") for p in exc.problems)
        ]
    return []


def main() -> int:
    missing = missing_settings()
    if not missing:
        return bot_main([])
    print(
        "No Slack/Harness settings found, so this is the sandbox: the real bot against "
        "emulated Slack and Harness. For the real thing, copy .env.example to .env and "
        "fill it in (README → Install).",
        flush=True,
    )
    from bot.sandbox import main as sandbox_main

    return sandbox_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
