"""What the use cases know of a chat channel's side: the one error a posting edge may
raise, whoever posts (an alert, a button's answer, a mute's note)."""

from __future__ import annotations

__all__ = ["ChannelUnavailable"]


class ChannelUnavailable(Exception):
    """The bot may not post in the channel any more (removed, archived)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
