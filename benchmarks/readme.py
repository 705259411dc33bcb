"""Rewriting one benchmark's section of benchmarks/README.md between its markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def replace_section(name: str, lines: list[str]) -> None:
    """Put `lines` between `<!-- name:start -->` and `<!-- name:end -->`."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = README.read_text()
    if start not in text or end not in text:
        raise RuntimeError(f"benchmarks/README.md has no {start} … {end} section")
    head, rest = text.split(start, 1)
    README.write_text(head + "\n".join([start, *lines, end]) + rest.split(end, 1)[1])
