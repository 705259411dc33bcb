"""Excerpt benchmark: time and memory of producing an excerpt from huge logs.

    python -m benchmarks.excerpt            # generate inputs (cached), measure, update README

Two inputs, served over loopback by the Harness emulator in its own process:
  (a) one step log: 200 MB of NDJSON, gzip-encoded, errors planted 60% in and at the end;
  (b) a pipeline export zip in streaming mode: 1,500 files, 300 MB uncompressed.
Each excerpt runs in a fresh process through the real StepLogReader (HTTP,
decompression, unzip, scanning, redaction). Its peak RSS growth is measured
from a reset of the kernel's high-water mark just before the excerpt starts.
The baseline is the plain shell pipeline on the same bytes from the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.readme import replace_section

ROOT = Path(__file__).resolve().parents[1]

CACHE = ROOT / "benchmarks" / ".cache"
ACCOUNT = "benchAccount0000000001"
API_KEY = "pat.benchAccount0000000001.000000.benchmarkkey00"
BLOB_KEY = f"{ACCOUNT}/pipeline/bench/1/-benchexec/build/huge"
ZIP_PREFIX = f"{ACCOUNT}/pipeline/bench/2/-benchexec2"
FIRST_ERROR = "PLANTED-FIRST-ERROR: migration 0042 failed: relation already exists"
LAST_ERROR = "PLANTED-LAST-ERROR: deploy aborted after 3 attempts"
RUNS = 3
RSS_TARGET_MB = 48
TIME_TARGET = 2.0


# -- inputs -------------------------------------------------------------------------


EPOCH = 1_795_000_000  # 2026-11-18


def _line(level: str, out: str, i: int, second: int) -> bytes:
    when = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    record = {"level": level, "pos": i, "out": out, "time": f"{when}.{i % 1000:03d}Z", "args": None}
    return json.dumps(record).encode() + b"\n"


def _filler(i: int) -> str:
    return (
        f"\x1b[32m[INFO]\x1b[0m {datetime.fromtimestamp(1763632800 + i // 100, UTC):%H:%M:%S} "
        f"test_checkout_{i % 997:03d} PASSED in 0.{i % 1000:03d}s "
        f"(worker gw{i % 8}, shard {i % 16}/16, seed {i * 2654435761 % 2**32})\n"
    )


def _ndjson(total_bytes: int, errors_at: tuple[float, ...], start: int = EPOCH) -> Iterator[bytes]:
    """NDJSON lines up to about total_bytes, with error lines at the given fractions
    (1.0: the last line), timestamped from `start` on, ten lines a second."""
    written = 0
    i = 0
    planted = sorted(errors_at)
    batch: list[bytes] = []
    while written < total_bytes:
        fraction = written / total_bytes
        if planted and fraction >= planted[0] and planted[0] < 1.0:
            planted.pop(0)
            row = _line("error", f"\x1b[31m{FIRST_ERROR}\x1b[0m\n", i, start + i // 10)
        else:
            row = _line("info", _filler(i), i, start + i // 10)
        batch.append(row)
        written += len(row)
        i += 1
        if len(batch) == 4096:
            yield b"".join(batch)
            batch = []
    if planted:  # 1.0 means "the last line"
        batch.append(_line("error", f"\x1b[31m{LAST_ERROR}\x1b[0m\n", i, start + i // 10))
    yield b"".join(batch)


def build_blob(path: Path) -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    with path.open("wb") as out:
        for chunk in _ndjson(200_000_000, (0.6, 1.0)):
            out.write(compressor.compress(chunk))
        out.write(compressor.flush())


def build_zip(path: Path) -> None:
    from stream_zip import ZIP_32, Method, stream_zip

    files = 1500
    per_file = 300_000_000 // files
    modified = datetime(2026, 11, 20, 10, 0, 0)

    def members() -> Iterator[tuple[str, datetime, int, Method, Iterator[bytes]]]:
        for n in range(files):
            stage, step = f"stage{n // 100:02d}", f"step{n % 100:02d}"
            name = f"{ZIP_PREFIX}/{stage}/{step}-commandUnit:Execute"
            errors: tuple[float, ...] = ()
            if n == int(files * 0.6):
                errors = (0.5,)
            elif n == files - 1:
                errors = (1.0,)
            # Each file starts after the previous one: time order is file order.
            yield name, modified, 0o600, ZIP_32, _ndjson(per_file, errors, EPOCH + n * 1000)

    with path.open("wb") as out:
        for chunk in stream_zip(members()):
            out.write(chunk)


def inputs() -> tuple[Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    blob, archive = CACHE / "step-200MB.ndjson.gz", CACHE / "pipeline-1500-files-300MB.zip"
    for path, build in ((blob, build_blob), (archive, build_zip)):
        if not path.exists():
            print(f"generating {path.name} …", flush=True)
            partial = path.with_suffix(".partial")
            build(partial)
            partial.rename(path)
    return blob, archive


# -- the emulator process -----------------------------------------------------------


async def serve(blob: Path, archive: Path) -> None:
    from emulators.harness import HarnessEmulator

    emulator = HarnessEmulator(account=ACCOUNT, api_key=API_KEY)
    emulator.files = {BLOB_KEY: blob, ZIP_PREFIX: archive}
    emulator.export_delay = 0
    await emulator.start()
    print(emulator.port, flush=True)
    await asyncio.Event().wait()


# -- one measurement (its own process) ------------------------------------------------


def _status_kb(field: str) -> int:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith(field + ":"):
            return int(row.split()[1])
    raise RuntimeError(field)


async def measure(kind: str, port: int) -> dict[str, object]:
    import httpx

    from bot.clock import Clock
    from bot.domain import Execution, Node
    from bot.excerpt import ExcerptSettings
    from bot.excerpt.redaction import Redactor
    from bot.harness.bodies import LogBodies
    from bot.harness.client import HarnessClient
    from bot.harness.log_export import LogExporter
    from bot.harness.retrying import RetryPolicy
    from bot.harness.streaming import StreamOpener
    from bot.service.exports import Exports
    from bot.service.steplogs import StepLogReader

    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=60) as http:
        client = HarnessClient(
            http,
            base_url=base,
            api_key=API_KEY,
            account_id=ACCOUNT,
            retry=RetryPolicy(),
            clock=Clock(),
        )
        exporter = Exports(LogExporter(client, timeout=60), None, None)
        bodies = LogBodies(client, StreamOpener(), harness_origins=(base,))
        reader = StepLogReader(bodies, exporter, Redactor([API_KEY]))
        key = BLOB_KEY if kind == "blob" else ZIP_PREFIX
        execution = Execution(
            ACCOUNT, "default", "bench", "bench", "Bench", 1, "benchexec", "Failed"
        )
        node = Node(
            "n1",
            "huge",
            "Huge",
            "pipeline.stages.build.spec.execution.steps.huge",
            "Failed",
            log_key=key,
        )
        # Reset the kernel's peak-RSS mark so VmHWM reflects only the excerpt.
        Path("/proc/self/clear_refs").write_text("5")
        rss_before = _status_kb("VmRSS")
        started = time.perf_counter()
        excerpt = await reader.excerpt(execution, node, ExcerptSettings())
        seconds = time.perf_counter() - started
        peak = _status_kb("VmHWM")
    assert excerpt is not None
    text = "\n".join(excerpt.render_lines())
    return {
        "seconds": seconds,
        "rss_before_mb": rss_before / 1024,
        "peak_growth_mb": (peak - rss_before) / 1024,
        "lines": excerpt.total_lines,
        "files": excerpt.files,
        "planted_found": FIRST_ERROR in text and LAST_ERROR in text,
        "truncated": excerpt.truncated,
    }


# -- orchestration --------------------------------------------------------------------


def baseline(kind: str, port: int) -> float:
    base = f"http://127.0.0.1:{port}"
    if kind == "blob":
        url = f"{base}/gateway/log-service/blob?accountID={ACCOUNT}&key={BLOB_KEY}"
        command = f"curl -s -H 'x-api-key: {API_KEY}' '{url}' | gunzip | tail -n 50 > /dev/null"
    else:
        export = subprocess.run(
            [
                "curl",
                "-s",
                "-X",
                "POST",
                "-H",
                f"x-api-key: {API_KEY}",
                "-H",
                "content-type: application/json",
                f"{base}/gateway/log-service/blob/download?accountID={ACCOUNT}&prefix={ZIP_PREFIX}",
            ],
            capture_output=True,
            check=True,
            text=True,
        )
        url = json.loads(export.stdout)["link"]
        target = CACHE / "baseline.zip"
        command = f"curl -s '{url}' -o {target} && unzip -p {target} | tail -n 50 > /dev/null"
        command += f"; rm -f {target}"
    started = time.perf_counter()
    subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True)
    return time.perf_counter() - started


def run_measure(kind: str, port: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.excerpt", "--measure", kind, "--port", str(port)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        check=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    baseline: float
    growth_mb: float
    lines: int
    files: int
    correct: bool

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline

    @property
    def ok(self) -> bool:
        return self.correct and self.growth_mb <= RSS_TARGET_MB and self.ratio <= TIME_TARGET


def bench(kind: str, label: str, port: int) -> Row:
    ours = [run_measure(kind, port) for _ in range(RUNS)]
    theirs = [baseline(kind, port) for _ in range(RUNS)]
    return Row(
        label=label,
        seconds=statistics.median(float(r["seconds"]) for r in ours),
        baseline=statistics.median(theirs),
        growth_mb=max(float(r["peak_growth_mb"]) for r in ours),
        lines=int(ours[0]["lines"]),
        files=int(ours[0]["files"]),
        correct=all(r["planted_found"] and not r["truncated"] for r in ours),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", help="run the emulator (internal)")
    parser.add_argument("--measure", choices=("blob", "zip"), help="one measurement (internal)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--no-readme", action="store_true", help="print figures only")
    args = parser.parse_args()
    blob, archive = inputs()
    if args.serve:
        asyncio.run(serve(blob, archive))
        return 0
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.port))))
        return 0

    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.excerpt", "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        rows = [
            bench("blob", "(a) step log, 200 MB NDJSON, gzip", port),
            bench("zip", "(b) export zip, 1,500 files, 300 MB", port),
        ]
    finally:
        server.terminate()
        server.wait()
    for row in rows:
        print(
            f"{row.label}: excerpt {row.seconds:.2f}s vs baseline {row.baseline:.2f}s "
            f"(x{row.ratio:.2f}), peak RSS +{row.growth_mb:.1f} MB, {row.lines:,} lines "
            f"in {row.files} file(s), planted errors found: {row.correct}"
        )
    ok = all(row.ok for row in rows)
    if not args.no_readme:
        write_readme(rows, ok)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


def write_readme(rows: list[Row], ok: bool) -> None:
    table = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, median of {RUNS} runs (peak RSS: worst of {RUNS}).",
        "",
        "| input | excerpt | baseline | ratio (≤ 2.0) | peak RSS growth (≤ 48 MB) | planted errors |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.label} | {r.seconds:.2f} s | {r.baseline:.2f} s | {r.ratio:.2f}× "
            f"| {r.growth_mb:.1f} MB | {'found' if r.correct else 'MISSING'} |"
            for r in rows
        ),
        "",
        f"Targets {'met' if ok else 'MISSED'}.",
    ]
    replace_section("excerpt", table)


if __name__ == "__main__":
    raise SystemExit(main())
