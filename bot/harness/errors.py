"""Errors raised by the Harness layer, each carrying a message safe to show people."""

from __future__ import annotations


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
