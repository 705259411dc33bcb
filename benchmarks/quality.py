"""Excerpt quality on real CI failure logs: does the post keep what a reader needs?

    python -m benchmarks.quality            # score, update README

Runs the corpus's scorer (benchmarks/ci-logs/score.py, standard library only) on
`harness-logs-bot excerpt`: each of the 16 real failure logs is fed as Harness CI
writes it (NDJSON, every line level `info`), and the critical signal recall (CSR)
of the in-message excerpt (3,000 characters) and of the full excerpt (12,000) is
measured, with the failure kind. Baselines: a plain tail of the same size, the last
10,000 characters (Harness AI's input), the last 120 lines (Harness MCP's snippet).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.readme import replace_section

ROOT = Path(__file__).resolve().parents[1]

SCORER = ROOT / "benchmarks" / "ci-logs" / "score.py"
BIN = Path(sys.executable).with_name("harness-logs-bot")
MESSAGE_TARGET = 0.85
FULL_TARGET = 0.93
KIND_TARGET = 13


def run() -> tuple[dict[str, float], dict[str, dict[str, object]], str]:
    with tempfile.TemporaryDirectory() as tmp:
        per_case = Path(tmp) / "per-case.json"
        out = subprocess.run(
            [sys.executable, str(SCORER), "--json", str(per_case), "--", str(BIN), "excerpt"],
            capture_output=True,
            text=True,
            check=True,
        )
        cases: dict[str, dict[str, object]] = json.loads(per_case.read_text())
    means = {}
    for row in out.stdout.splitlines():
        parts = row.split()
        if len(parts) >= 2 and parts[0] in (
            "message",
            "tail@message",
            "full",
            "tail@full",
            "last10k",
            "last120lines",
        ):
            means[parts[0]] = float(parts[1])
    return means, cases, out.stdout.strip().splitlines()[-1]


def write_readme(means: dict[str, float], cases: dict[str, dict[str, object]], ok: bool) -> None:
    kinds = sum(bool(c["category_ok"]) for c in cases.values())
    table = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}: {len(cases)} real CI failure logs.",
        "",
        "| what | critical signal recall | target |",
        "|---|---|---|",
        f"| in-message excerpt (3,000 characters) | {means['message']:.3f} | ≥ {MESSAGE_TARGET} |",
        f"| plain tail of the same size | {means['tail@message']:.3f} | |",
        f"| full excerpt (12,000 characters) | {means['full']:.3f} | ≥ {FULL_TARGET} |",
        f"| plain tail of the same size | {means['tail@full']:.3f} | |",
        f"| last 10,000 characters (Harness AI's input) | {means['last10k']:.3f} | |",
        f"| last 120 lines (Harness MCP's snippet) | {means['last120lines']:.3f} | |",
        f"| failure kind right | {kinds}/{len(cases)} | ≥ {KIND_TARGET}/16 |",
        "",
        "| case | message | full | kind |",
        "|---|---|---|---|",
        *(
            f"| {name} | {row['message']:.2f} | {row['full']:.2f} | {row['category']}"
            f"{'' if row['category_ok'] else ' (wrong)'} |"
            for name, row in sorted(cases.items())
        ),
        "",
        f"Targets {'met' if ok else 'MISSED'}.",
    ]
    replace_section("quality", table)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-readme", action="store_true", help="print figures only")
    args = parser.parse_args()
    means, cases, summary = run()
    kinds = sum(bool(c["category_ok"]) for c in cases.values())
    print(summary)
    ok = (
        means["message"] >= MESSAGE_TARGET and means["full"] >= FULL_TARGET and kinds >= KIND_TARGET
    )
    if not args.no_readme:
        write_readme(means, cases, ok)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
