"""Small logs for excerpt tests: Harness NDJSON as the CI engine writes it."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures"


def ndjson(entries: list[tuple[str, str]], start_second: int = 0, minute: int = 0) -> bytes:
    lines = [
        json.dumps(
            {
                "level": level,
                "pos": i,
                "out": out,
                "time": f"2026-11-20T10:{minute:02d}:{(start_second + i) % 60:02d}.000Z",
                "args": None,
            }
        )
        for i, (level, out) in enumerate(entries)
    ]
    return ("\n".join(lines) + "\n").encode()


def ci_log(text: str) -> bytes:
    """A step's output as Harness CI stores it: one NDJSON line per printed line, all `info`."""
    return ndjson([("info", line + "\n") for line in text.strip("\n").split("\n")])


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
