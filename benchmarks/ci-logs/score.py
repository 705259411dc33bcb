#!/usr/bin/env python3
"""Score an excerpt command on real CI failure logs: does the excerpt keep what matters?

Usage (from the project root):
    python3 ../shared/ci-logs/score.py -- .venv/bin/harness-logs-bot excerpt
    python3 ../shared/ci-logs/score.py --cases DIR --json out.json -- CMD...

For every case, the raw log is written as a Harness step log, exactly as Harness CI's
engine writes it: one NDJSON object per output line, every line level "info"
({"level":"info","pos":N,"out":"<line>\\n","time":"...","args":null}). Then
`CMD FILE` is run (the in-message excerpt) and `CMD FILE --full` (the "Show full
excerpt" text); each prints its text on stdout. With `--json`, `CMD FILE --json` is
also run and must print an object with at least "category" (see CATEGORIES).

Budgets: the in-message text counts up to MESSAGE_BUDGET characters, the full text up
to FULL_BUDGET; anything beyond is cut off before scoring (keep the first N).

Score (critical signal recall, CSR): each case lists required signals; a signal is
kept when its value, one of its aliases, or (for a file location) its file path
appears verbatim in the text after ANSI codes are stripped and CR/CRLF become LF.
CSR of a case = kept critical signals / critical signals; the figure is the mean.
Baselines cut to the same number of characters as the command's output: the plain
tail of the raw log. Peers' fixed choices: last 10,000 characters (Harness AI's
input), last 120 lines (Harness MCP server's diagnose snippet).

Exit status 0 always (it is a measurement); the last line is the summary.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MESSAGE_BUDGET = 3000
FULL_BUDGET = 12000
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Our failure kinds, and the corpus labels that map onto each.
CATEGORIES = {
    "test_failure": {"test_assertion", "snapshot_diff"},
    "compile_error": {"compile_error", "type_error"},
    "lint_error": {"lint_error"},
    "dependency_install": {"dependency_install"},
    "permission_or_secret": {"permission_or_secret"},
    "timeout_or_oom": {"timeout_or_oom"},
    "network_or_flaky": {"network_or_flaky"},
    "container_build": {"docker_build"},
    "pipeline_config": {"github_actions_config"},
}


def normalize(text: str) -> str:
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def kept(signal: dict, text: str) -> bool:
    probes = [signal.get("value") or "", *(signal.get("aliases") or []), signal.get("file") or ""]
    return any(p.strip() and p.strip() in text for p in probes)


def csr(signals: list[dict], text: str) -> float:
    text = normalize(text)
    critical = [s for s in signals if s.get("importance") == "critical"]
    if not critical:
        return 1.0
    return sum(kept(s, text) for s in critical) / len(critical)


def to_ndjson(raw: str) -> bytes:
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for i, line in enumerate(lines):
        t = f"2026-11-20T10:{(i // 600) % 60:02d}:{(i // 10) % 60:02d}.{i % 10}00Z"
        out.append(
            json.dumps({"level": "info", "pos": i, "out": line + "\n", "time": t, "args": None})
        )
    return ("\n".join(out) + "\n").encode()


def run(cmd: list[str], path: Path, *extra: str) -> tuple[str, float]:
    t0 = time.monotonic()
    r = subprocess.run([*cmd, str(path), *extra], capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(
            f"score.py: `{' '.join(cmd)} {path} {' '.join(extra)}` exited {r.returncode}: {r.stderr[-400:]}"
        )
    return r.stdout, took


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", default=str(Path(__file__).parent / "cases"))
    ap.add_argument(
        "--json", help="also ask CMD FILE --json for the category; write per-case results here"
    )
    ap.add_argument(
        "--green",
        action="store_true",
        help="for cases with pass.log.gz (the last green run's log), run CMD FILE --green PASS_FILE",
    )
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the excerpt command")
    a = ap.parse_args()
    cmd = [c for c in a.cmd if c != "--"] if a.cmd else []
    if not cmd:
        ap.error("give the excerpt command after --")
    cases = sorted(p for p in Path(a.cases).iterdir() if (p / "signals.json").exists())
    cols = ["message", "tail@message", "full", "tail@full", "last10k", "last120lines"]
    total = {c: 0.0 for c in cols}
    size = {"message": 0, "full": 0}
    per: dict[str, dict] = {}
    category_hits = labelled = 0
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            raw = gzip.decompress((case / "raw.log.gz").read_bytes()).decode("utf-8", "replace")
            truth = json.loads((case / "signals.json").read_text())
            signals = truth["required_signals"]
            log = Path(tmp) / f"{case.name}.ndjson"
            log.write_bytes(to_ndjson(raw))
            extra: list[str] = []
            if a.green and (case / "pass.log.gz").exists():
                green = Path(tmp) / f"{case.name}.green.ndjson"
                green.write_bytes(
                    to_ndjson(
                        gzip.decompress((case / "pass.log.gz").read_bytes()).decode(
                            "utf-8", "replace"
                        )
                    )
                )
                extra = ["--green", str(green)]
            message, t1 = run(cmd, log, *extra)
            full, t2 = run(cmd, log, "--full", *extra)
            seconds += t1 + t2
            message, full = message[:MESSAGE_BUDGET], full[:FULL_BUDGET]
            texts = {
                "message": message,
                "tail@message": raw[-len(message) :] if message else "",
                "full": full,
                "tail@full": raw[-len(full) :] if full else "",
                "last10k": raw[-10000:],
                "last120lines": "\n".join(raw.rstrip("\n").split("\n")[-120:]),
            }
            row = {c: round(csr(signals, t), 3) for c, t in texts.items()}
            size["message"] += len(message)
            size["full"] += len(full)
            if a.json:
                out, _ = run(cmd, log, "--json", *extra)
                got = json.loads(out).get("category")
                row["category"] = got
                row["category_ok"] = truth.get("category") in CATEGORIES.get(got, set())
                if truth.get("category"):  # some corpora label no category
                    labelled += 1
                    category_hits += row["category_ok"]
            per[case.name] = row
            for c in cols:
                total[c] += row[c]
            print(
                f"{case.name:58s} message {row['message']:.2f} (tail {row['tail@message']:.2f})  "
                f"full {row['full']:.2f} (tail {row['tail@full']:.2f})  chars {len(message)}/{len(full)}"
                + (
                    f"  category {row['category']}{'' if row['category_ok'] or not truth.get('category') else ' (wrong)'}"
                    if a.json
                    else ""
                )
            )
    n = len(cases)
    print(f"\n{n} cases, mean critical signal recall (mean characters):")
    for c in cols:
        chars = f"  ({size[c] // n:,} chars)" if c in size else ""
        print(f"  {c:14s} {total[c] / n:.3f}{chars}")
    if a.json:
        Path(a.json).write_text(json.dumps(per, indent=1))
    cat = f" | category {category_hits}/{labelled}" if a.json and labelled else ""
    print(
        f"ci-logs: message CSR {total['message'] / n:.3f} (tail {total['tail@message'] / n:.3f}) | "
        f"full CSR {total['full'] / n:.3f} (tail {total['tail@full'] / n:.3f}){cat} | {n} cases | {seconds:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
