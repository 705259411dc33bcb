"""The one table from Harness's errors to reasons (`bot.domain.Reason`)."""

from __future__ import annotations

from bot.domain import ExportProblem, Reason
from bot.harness.downloads import DownloadRefusedError
from bot.harness.errors import (
    ExportTimeoutError,
    HarnessAuthError,
    HarnessError,
    HarnessNotFoundError,
    HarnessUnavailableError,
    NoLogsError,
    TooManyLogFilesError,
)


def problem_of(exc: HarnessError) -> ExportProblem:
    """What a Harness failure means for the person, with Harness's own words as detail."""
    if isinstance(exc, DownloadRefusedError):
        return ExportProblem(Reason.UNSAFE_LINK, exc.detail)
    if isinstance(exc, NoLogsError):
        return ExportProblem(Reason.NO_LOGS, exc.detail)
    if isinstance(exc, TooManyLogFilesError):
        return ExportProblem(Reason.TOO_MANY_FILES, exc.detail)
    if isinstance(exc, HarnessAuthError):
        return ExportProblem(Reason.ACCESS, exc.detail)
    if isinstance(exc, HarnessNotFoundError):
        return ExportProblem(Reason.NOT_FOUND, exc.detail)
    if isinstance(exc, ExportTimeoutError):
        return ExportProblem(Reason.TIMEOUT, exc.detail, waited=exc.waited)
    if isinstance(exc, HarnessUnavailableError):
        return ExportProblem(Reason.UNAVAILABLE, exc.detail)
    return ExportProblem(Reason.FAILED, exc.detail)


__all__ = ["problem_of"]
