"""Secrets written in base64: a key in a Kubernetes Secret, a token piped to `base64 -d`.

Every run of base64 characters long enough to hold a secret is decoded; when it
decodes to text, that text goes through the same redaction as a log line, and the
run is hidden when something in it would be (a private key, a token, a
`password=`), or when it is a `user:password` pair (what Basic auth and docker
`auth` entries encode). Runs that decode to bytes (digests, SHAs, compressed
data) or to ordinary text stay as they are.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from bot.excerpt.redaction.patterns import MARK, mark

# 16 characters encode 12 bytes: the shortest `user:password` worth hiding.
RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_=-])")
_CREDENTIALS = re.compile(r"[\w.@+-]{1,64}:[^\s:]{6,128}")
_PRINTABLE = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\uffff]*")


def decode(run: str) -> str | None:
    """The text a base64 (or base64url) run stands for, or None when it is not text."""
    data = run.rstrip("=")
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    data += "=" * (-len(data) % 4)
    try:
        raw = (
            base64.urlsafe_b64decode(data)
            if "-" in data or "_" in data
            else base64.b64decode(data, validate=True)
        )
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if len(text) < 8 or not _PRINTABLE.fullmatch(text):
        return None
    return text


def redact(line: str, inner: Callable[[str], str]) -> str:
    """`line` with each base64 run hidden whose decoded text `inner` would redact."""

    def one(match: re.Match[str]) -> str:
        run = match.group(0)
        text = decode(run)
        if text is None:
            return run
        if _CREDENTIALS.fullmatch(text.strip()) and not text.startswith("//"):
            return mark("base64_credentials")
        found = MARK.search(inner(text))
        return mark(f"base64_{found.group(1)}") if found else run

    return RUN.sub(one, line)


__all__ = ["RUN", "decode", "redact"]
