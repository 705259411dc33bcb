"""A channel's pause of one pipeline's posts, for a while or until it recovers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mute:
    """A channel's pause of one pipeline's posts."""

    by: str  # the user who muted it
    at: float
    until: float | None  # epoch seconds; None: until the pipeline recovers

    @property
    def until_recovery(self) -> bool:
        return self.until is None

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


__all__ = ["Mute"]
