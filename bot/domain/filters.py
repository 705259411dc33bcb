"""What a subscription lets through besides its events: branch and stage globs,
and whom its posts mention."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Mention = Literal["author", "none"]


@dataclass(frozen=True)
class Filters:
    """What a subscription lets through besides its events: globs, empty for any."""

    branches: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    mention: Mention = "author"

    def as_dict(self) -> dict[str, object]:
        return {
            "branches": list(self.branches),
            "stages": list(self.stages),
            "mention": self.mention,
        }

    @classmethod
    def from_dict(cls, data: object) -> Filters:
        """Read back what `as_dict` wrote (anything else: no filters)."""
        if not isinstance(data, dict):
            return cls()
        branches, stages = data.get("branches") or [], data.get("stages") or []
        mention: Mention = "none" if data.get("mention") == "none" else "author"
        return cls(tuple(map(str, branches)), tuple(map(str, stages)), mention)

    def wants_branch(self, branch: str | None) -> bool:
        """A run without a branch (a CD run) does not match a branch filter."""
        if not self.branches:
            return True
        return branch is not None and any(fnmatch.fnmatchcase(branch, g) for g in self.branches)

    def wants_stages(self, stages: Iterable[str]) -> bool:
        """Whether any of the stages (identifiers or names) matches; none given: yes."""
        if not self.stages:
            return True
        names = [s for s in stages if s]
        if not names:
            return True
        return any(
            fnmatch.fnmatchcase(name.casefold(), glob.casefold())
            for name in names
            for glob in self.stages
        )


__all__ = ["Filters", "Mention"]
