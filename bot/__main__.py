"""`python -m bot`: the same entry point as the `harness-logs-bot` console script."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
