"""Where a benchmark's figures go: benchmarks/results/<name>.md (ignored by git), and,
when asked (`BENCH_README=1`, i.e. `make bench-readme`), its section of the tracked
benchmarks/README.md between its markers, so `make bench` leaves a clean tree clean."""

from __future__ import annotations

import os
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


RESULTS = README.parent / "results"


def replace_section(name: str, lines: list[str]) -> None:
    """Keep the figures in results/; with BENCH_README=1 also put `lines` between
    `<!-- name:start -->` and `<!-- name:end -->` in the README."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print(f"figures written to {RESULTS / f'{name}.md'}")
    if os.environ.get("BENCH_README") != "1":
        return
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = README.read_text()
    if start not in text or end not in text:
        raise RuntimeError(f"benchmarks/README.md has no {start} … {end} section")
    head, rest = text.split(start, 1)
    README.write_text(head + "\n".join([start, *lines, end]) + rest.split(end, 1)[1])
