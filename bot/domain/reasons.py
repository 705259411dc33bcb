"""Why something the person asked for is missing, as data: the edges turn it into words.

One `Reason` for every way an export or a log read can fall short; the table from
Harness's errors to reasons lives with the service, the sentences with the edges.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Reason(enum.StrEnum):
    NO_LOGS = "no_logs"  # Harness has nothing logged there (yet)
    TOO_MANY_FILES = "too_many_files"  # the export would hold too many files
    ACCESS = "access"  # the bot's key may not read it
    NOT_FOUND = "not_found"  # Harness does not know it (or will not say)
    TIMEOUT = "timeout"  # not ready or not read within the time allowed
    UNAVAILABLE = "unavailable"  # Harness kept failing or rate-limiting
    FAILED = "failed"  # Harness said no, for a reason of its own (`detail`)
    UNSAFE_LINK = "unsafe_link"  # the export link points where the bot does not fetch from
    UNEXPECTED = "unexpected"  # our side broke; logged, nothing more to say

    @property
    def passing(self) -> bool:
        """Harness failing for now (down, rate limiting, slow): worth another try later."""
        return self in (Reason.UNAVAILABLE, Reason.TIMEOUT)


class StopKind(enum.StrEnum):
    TOO_LARGE = "too_large"  # more than `limit` bytes once decompressed
    DOWNLOAD_CAP = "download_cap"  # more than `limit` bytes to download
    TOO_MANY_FILES = "too_many_files"  # an archive of more than `limit` files
    DAMAGED = "damaged"  # an archive that is damaged or cut short
    BROKE_OFF = "broke_off"  # the download broke off; `detail` says how


@dataclass(frozen=True)
class ReadStop:
    """Why a log was read only in part (what was read is still shown)."""

    kind: StopKind
    limit: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class ExportProblem:
    """The logs link could not be had."""

    reason: Reason
    detail: str = ""  # Harness's own words, redacted
    waited: float | None = None  # seconds, for TIMEOUT


@dataclass(frozen=True)
class ExcerptUnavailable:
    """A failed step comes without an excerpt of its log."""

    reason: Reason
    detail: str = ""
    waited: float | None = None


__all__ = ["ExcerptUnavailable", "ExportProblem", "ReadStop", "Reason", "StopKind"]
