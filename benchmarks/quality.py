"""Excerpt quality on real CI failure logs: does the post keep what a reader needs?

    python -m benchmarks.quality            # score, update README

Runs the corpus's scorer (benchmarks/ci-logs/score.py, standard library only) on
`harness-logs-bot excerpt`: each of the 53 real failure logs (16 LogDx-CI, 37 CiDiff)
is fed as Harness CI writes it (NDJSON, every line level `info`), and the critical
signal recall (CSR) of the in-message excerpt (3,000 characters) and of the full
excerpt (12,000) is measured, with the failure kind: right, wrong or silent (unknown)
where the case is labelled. Twice: alone, and with `--green` (the 37 CiDiff cases
have the last green build's log), as posts compare with the last success. Baselines:
a plain tail of the same size, the last 10,000 characters (Harness AI's input), the
last 120 lines (Harness MCP's snippet).
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
CASES = SCORER.parent / "cases"
BIN = Path(sys.executable).with_name("harness-logs-bot")
MESSAGE_TARGET = 0.95
FULL_TARGET = 0.97
WRONG_KINDS_TARGET = 0  # a wrong kind sends people the wrong way: silent rather than wrong
COLUMNS = ("message", "tail@message", "full", "tail@full", "last10k", "last120lines")

Cases = dict[str, dict[str, object]]


def run(green: bool = False) -> tuple[dict[str, float], Cases, str]:
    with tempfile.TemporaryDirectory() as tmp:
        per_case = Path(tmp) / "per-case.json"
        out = subprocess.run(
            [
                sys.executable,
                str(SCORER),
                "--json",
                str(per_case),
                *(["--green"] if green else []),
                "--",
                str(BIN),
                "excerpt",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        cases: Cases = json.loads(per_case.read_text())
    means = {}
    for row in out.stdout.splitlines():
        parts = row.split()
        if len(parts) >= 2 and parts[0] in COLUMNS:
            means[parts[0]] = float(parts[1])
    return means, cases, out.stdout.strip().splitlines()[-1]


def labelled(name: str) -> bool:
    return bool(json.loads((CASES / name / "signals.json").read_text()).get("category"))


def verdict(name: str, row: dict[str, object]) -> str:
    """The kind as a reader meets it: right, wrong or silent (unknown); a case without a
    label (the CiDiff builds) shows the kind said."""
    if row["category"] == "unknown":
        return "silent"
    if not labelled(name):
        return f"{row['category']} (no label)"
    return "right" if row["category_ok"] else f"wrong ({row['category']})"


def tally(cases: Cases) -> dict[str, int]:
    found = {"right": 0, "wrong": 0, "silent": 0}
    for name, row in cases.items():
        if labelled(name):
            found[verdict(name, row).split()[0]] += 1
    return found


def green_not_worse(alone: Cases, green: Cases) -> list[str]:
    """The CiDiff cases where comparing with the last success lost a signal."""
    return [
        name
        for name in alone
        if (CASES / name / "pass.log.gz").exists()
        and any(
            float(str(green[name][c])) < float(str(alone[name][c])) for c in ("message", "full")
        )
    ]


def write_readme(
    means: dict[str, float], cases: Cases, green_means: dict[str, float], green: Cases, ok: bool
) -> None:
    kinds, green_kinds = tally(cases), tally(green)
    worse = green_not_worse(cases, green)
    paired = sum((CASES / name / "pass.log.gz").exists() for name in cases)
    table = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}: {len(cases)} real CI failure logs "
        f"({paired} with the last green build's log).",
        "",
        "| what | alone | with `--green` | target |",
        "|---|---|---|---|",
        f"| in-message excerpt (3,000 characters) | {means['message']:.3f} "
        f"| {green_means['message']:.3f} | ≥ {MESSAGE_TARGET} |",
        f"| plain tail of the same size | {means['tail@message']:.3f} "
        f"| {green_means['tail@message']:.3f} | |",
        f"| full excerpt (12,000 characters) | {means['full']:.3f} "
        f"| {green_means['full']:.3f} | ≥ {FULL_TARGET} |",
        f"| plain tail of the same size | {means['tail@full']:.3f} "
        f"| {green_means['tail@full']:.3f} | |",
        f"| last 10,000 characters (Harness AI's input) | {means['last10k']:.3f} | | |",
        f"| last 120 lines (Harness MCP's snippet) | {means['last120lines']:.3f} | | |",
        f"| failure kind right / wrong / silent ({sum(kinds.values())} labelled) "
        f"| {kinds['right']} / {kinds['wrong']} / {kinds['silent']} "
        f"| {green_kinds['right']} / {green_kinds['wrong']} / {green_kinds['silent']} "
        f"| wrong ≤ {WRONG_KINDS_TARGET} |",
        f"| CiDiff cases where `--green` lost a signal | | {len(worse)} | 0 |",
        "",
        "| case | message | full | kind | message, `--green` | full, `--green` | kind, `--green` |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {row['message']:.2f} | {row['full']:.2f} | {verdict(name, row)} | "
            + (
                f"{green[name]['message']:.2f} | {green[name]['full']:.2f} | "
                f"{verdict(name, green[name])} |"
                if (CASES / name / "pass.log.gz").exists()
                else "| | |"
            )
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
    print(summary)
    green_means, green, green_summary = run(green=True)
    print(f"with --green: {green_summary}")
    wrong = max(tally(cases)["wrong"], tally(green)["wrong"])
    worse = green_not_worse(cases, green)
    ok = (
        means["message"] >= MESSAGE_TARGET
        and means["full"] >= FULL_TARGET
        and wrong <= WRONG_KINDS_TARGET
        and not worse
    )
    if not args.no_readme:
        write_readme(means, cases, green_means, green, ok)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
