"""What reaches Bolt from `POST /slack/events`: signed, fresh, decodable, and new.

Checked on the raw bytes before anything decodes them, so junk costs a 4xx and a
line at INFO, never a 500 or a traceback:

- `X-Slack-Request-Timestamp` must be a number within five minutes of now, and
  `X-Slack-Signature` the HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing
  secret (compared in constant time): else 401.
- The body must be UTF-8, and what its content type says (JSON, or a form whose
  `payload`, if any, is a JSON object, and a `block_actions` one with its actions):
  else 400. Slack signs what it sends, but a signed request can still be junk (a
  replayed body edited before signing by whoever holds the secret, a Slack bug):
  junk is refused here, so it never reaches Bolt as a 500.
- A signed request seen before (the same signature within Slack's five-minute
  window) is a replay: it is answered once, across replicas (a claim in the store).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_sdk import signature

from bot.clock import Clock

log = logging.getLogger(__name__)

WINDOW = 300  # seconds: Slack's own limit on a request's age
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True)
class Refused:
    status: int
    reason: str


@dataclass(frozen=True)
class Accepted:
    body: str
    replay: bool = False


class SlackRequests:
    def __init__(
        self, signing_secret: str, first_time: Callable[[str], Awaitable[bool]], clock: Clock
    ) -> None:
        self._secret = signing_secret.encode()
        self._clock = clock
        self._first_time = first_time

    async def check(self, headers: dict[str, str], raw: bytes) -> Accepted | Refused:
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or len(timestamp) > 12:
            return Refused(401, "missing or malformed timestamp")
        if abs(self._clock.time() - int(timestamp)) > WINDOW:
            return Refused(401, "stale timestamp")
        if not _SIGNATURE.fullmatch(signature):
            return Refused(401, "missing or malformed signature")
        # Not slack_sdk's SignatureVerifier: it decodes the body as UTF-8 first, so junk
        # would raise before it could be refused.
        expected = hmac.new(
            self._secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest("v0=" + expected, signature):
            return Refused(401, "invalid signature")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Refused(400, "body is not UTF-8")
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                return Refused(400, "body is not JSON")
            if not isinstance(parsed, dict):
                return Refused(400, "body is not a JSON object")
            event = parsed.get("event")
            if parsed.get("type") == "event_callback" and not (
                isinstance(event, dict) and isinstance(event.get("type"), str)
            ):
                return Refused(400, "event_callback without an event")
        elif content_type != "application/x-www-form-urlencoded":
            return Refused(400, "unsupported content type")
        elif (problem := _form_problem(body)) is not None:
            return Refused(400, problem)
        try:
            first = await self._first_time(signature)
        except Exception as exc:
            # Without the store a replay cannot be told apart: let it through once more.
            log.warning("could not check a request for replay: %r", exc)
            first = True
        return Accepted(body, replay=not first)


def _form_problem(body: str) -> str | None:
    """What is wrong with an interactivity form (its JSON `payload`), if anything."""
    payload = parse_qs(body, keep_blank_values=True).get("payload")
    if payload is None:
        return None  # a slash command: its fields are plain form fields
    try:
        data = json.loads(payload[0])
    except (ValueError, RecursionError):
        return "payload is not JSON"
    if not isinstance(data, dict):
        return "payload is not a JSON object"
    if data.get("type") == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "block_actions with a malformed action"
    return None


class ClockedVerification(AsyncRequestVerification):
    """Bolt's own signature check, as Bolt makes it, reading the time from the bot's
    clock: its five-minute window is then the same one `SlackRequests` applies."""

    def __init__(
        self, signing_secret: str, clock: Clock, base_logger: logging.Logger | None = None
    ) -> None:
        super().__init__(signing_secret, base_logger=base_logger)
        self._verifier = signature.SignatureVerifier(signing_secret, clock=_SlackClock(clock))


class _SlackClock(signature.Clock):
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.time()


__all__ = ["Accepted", "ClockedVerification", "Refused", "SlackRequests"]
