"""Logging for the whole process, scrubbing every configured secret from each line.

Secrets should never be logged in the first place; the scrubber is the net under
that rule (a library's debug line, an exception that quotes a header). Besides the
configured secrets it removes, at every level, what works as a credential without
being configured: the query string of any URL (pre-signed export links carry their
signature there) and Slack's `response_url`s and incoming-webhook URLs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

# A URL's query string: everything from "?" up to whitespace or a closing quote.
_QUERY = re.compile(r"(\bhttps?://[^\s'\"<>?]+)\?[^\s'\"<>]*", re.IGNORECASE)
# response_url (`/commands/T…/…/…`, `/actions/T…/…/…`) and incoming webhooks
# (`/services/T…/B…/…`): the path is the credential, whatever the host.
_SLACK_HOOK = re.compile(r"/(commands|actions|services)/T[A-Z0-9]+/[^\s'\"<>]+")


def scrub_urls(text: str) -> str:
    text = _SLACK_HOOK.sub(r"/\1/[REDACTED]", text)
    return _QUERY.sub(r"\1?[REDACTED]", text)


class ScrubbingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str], fmt: str) -> None:
        super().__init__(fmt)
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return scrub_urls(text)


class JsonFormatter(ScrubbingFormatter):
    """One JSON object per line: time, level, logger, message, and the fields a call
    passed in `extra` (a request id, who, what, outcome, duration)."""

    _PLAIN = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(secrets, "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)  # scrubbed, with any traceback appended
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for key, value in vars(record).items():
            if key not in self._PLAIN and not key.startswith("_"):
                entry[key] = (
                    value if isinstance(value, int | float | bool) else self._clean(str(value))
                )
        return json.dumps(entry, ensure_ascii=False)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return scrub_urls(text)


def configure_logging(level: str, secrets: Iterable[str], fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    secrets = list(secrets)
    handler.setFormatter(
        JsonFormatter(secrets)
        if fmt == "json"
        else ScrubbingFormatter(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request lines of the HTTP clients carry pre-signed links, and aiosqlite's debug
    # lines every stored value (queued work holds response_urls); keep them out. The
    # Slack SDK's and Bolt's debug lines print whole request and response bodies:
    # messages, the e-mails of users.lookupByEmail; at DEBUG they stay at INFO.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in ("slack_sdk", "slack_bolt", "bot.slack.bolt"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLevelName(level)))
