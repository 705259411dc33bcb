"""Errors raised by the Harness layer, each carrying a message safe to show people,
and what a failed answer from Harness means: its text (from any of Harness's error
shapes, trimmed and scrubbed) and the error it maps to."""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class HarnessError(Exception):
    """A Harness call failed. `detail` is Harness's own text, trimmed and scrubbed."""

    def __init__(self, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        self.status = status


class HarnessAuthError(HarnessError):
    """401/403: the API key is wrong, expired, or lacks a permission."""


class HarnessNotFoundError(HarnessError):
    """404 or Harness's own "not found" answer for an entity."""


class HarnessBudgetError(HarnessError):
    """Not asked at all: an extra (history, a comparison) while the key's budget is
    kept for people and alerts."""


class HarnessRequestError(HarnessError):
    """Harness rejected the request (4xx other than auth and not-found)."""


class HarnessUnavailableError(HarnessError):
    """Harness kept failing (429, 5xx, network) until the retry deadline ran out."""


class HarnessBadResponseError(HarnessError):
    """Harness answered with something that is not the documented shape."""


class NoLogsError(HarnessError):
    """`cannot list files for prefix`: nothing has been logged under the prefix."""


class TooManyLogFilesError(HarnessError):
    """`Prefix Key Exceeds Maximum Download Limit`: the export must be narrowed."""


class ExportFailedError(HarnessError):
    """The export finished in a state other than success."""


class ExportTimeoutError(HarnessError):
    """The export was still pending when our deadline ran out."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"export still pending after {waited:.0f}s")
        self.waited = waited


_MAX_DETAIL = 300
# Log-service answers whose meaning is permanent whatever their HTTP status
# (the download limit comes back as a 500, which would otherwise be retried).
_PERMANENT_TEXTS: tuple[tuple[str, type[HarnessError]], ...] = (
    ("cannot list files for prefix", NoLogsError),
    ("prefix key exceeds maximum download limit", TooManyLogFilesError),
)


def error_detail(response: httpx.Response, secrets: tuple[str, ...] = ()) -> str:
    """Harness's error text from any of its error shapes, trimmed and scrubbed."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("error_msg", "message", "error", "errorMessage"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    if not text and body is None:
        text = response.text.strip() if len(response.content) < 4096 else ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    text = " ".join(text.split())
    return text[:_MAX_DETAIL] + ("…" if len(text) > _MAX_DETAIL else "")


def map_error(response: httpx.Response, detail: str) -> HarnessError:
    lowered = detail.lower()
    for needle, error_type in _PERMANENT_TEXTS:
        if needle in lowered:
            return error_type(detail, status=response.status_code)
    status = response.status_code
    if status in (401, 403):
        return HarnessAuthError(detail, status=status)
    if status == 404 or "does not exist" in lowered or "not found" in lowered:
        return HarnessNotFoundError(detail, status=status)
    return HarnessRequestError(detail, status=status)


def permanent(detail: str) -> bool:
    """Whether Harness's text means the same whatever the status says (never retried)."""
    lowered = detail.lower()
    return any(needle in lowered for needle, _ in _PERMANENT_TEXTS)
