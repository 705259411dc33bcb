"""The shapes of Harness identifiers, written once for every layer that checks them.

An identifier names an org, project, pipeline, stage or step; execution, account and
node ids are opaque. Anything else in one of these places is refused before it is
put in a URL or a query.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,127}")
EXECUTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
NODE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def whole(pattern: re.Pattern[str]) -> str:
    """The pattern anchored at both ends (pydantic's `pattern` searches, it does not match)."""
    return f"^(?:{pattern.pattern})$"


__all__ = ["ACCOUNT_ID", "EXECUTION_ID", "IDENTIFIER", "NODE_ID", "whole"]
