"""`harness-logs-bot excerpt` on every input form, with no settings.

Standard input goes through a real process (the console script, a clean
environment); files go through the same `main()` in this process, which is what
the script calls, to keep the suite quick.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from tests.excerpt.logs import ci_log
from tests.processes import BIN, clean_env

LOG = "\n".join(
    [
        *(f"collecting module {i}" for i in range(200)),
        "=================================== FAILURES ===================================",
        "E       assert 9.99 == 10.0",
        "tests/test_cart.py:42: AssertionError",
        "FAILED tests/test_cart.py::test_discount_rounding - assert 9.99 == 10.0",
        "export API_TOKEN=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",
        "========================= 1 failed, 211 passed in 12.31s =========================",
    ]
)
HEADLINE = "1 test failed: tests/test_cart.py::test_discount_rounding — assert 9.99 == 10.0"


def excerpt(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    if stdin is None and "-" not in args:
        return in_process(args)
    return subprocess.run(
        [str(BIN), "excerpt", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=clean_env(),  # no Slack or Harness settings at all
        timeout=60,
        check=False,
    )


def in_process(args: list[str]) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["excerpt", *args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("acc/pipeline/p/1/-x/ci/tests/commandUnit:Execute", data)
        archive.writestr("acc/pipeline/p/1/-x/ci/setup/commandUnit:Execute", b"")
    return buffer.getvalue()


FORMS = {
    "log.ndjson": ci_log(LOG),
    "log.txt": LOG.encode() + b"\n",
    "log.ndjson.gz": gzip.compress(ci_log(LOG)),
    "logs.zip": zipped(ci_log(LOG)),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_each_input_form_prints_the_posts_excerpt(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(FORMS[name])
    done = excerpt([str(path)])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"[test failure] {HEADLINE}"
    assert "E       assert 9.99 == 10.0" in lines
    assert "1 failed, 211 passed" in done.stdout
    assert "lines omitted" in done.stdout
    assert "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" not in done.stdout
    assert len(done.stdout) <= 3000


def test_standard_input_full_and_json(tmp_path: Path) -> None:
    data = FORMS["log.ndjson"]
    from_stdin = excerpt(["-"], stdin=data)
    assert from_stdin.returncode == 0
    assert from_stdin.stdout.splitlines()[0] == f"[test failure] {HEADLINE}"
    path = tmp_path / "log.ndjson"
    path.write_bytes(data)
    full = excerpt([str(path), "--full"]).stdout
    assert len(full) > len(from_stdin.stdout)  # more context around the failure
    assert len(full) <= 12_000
    answer = json.loads(excerpt([str(path), "--json"]).stdout)
    assert set(answer) == {"headline", "category", "excerpt", "full", "total_lines", "error_lines"}
    assert answer["headline"] == HEADLINE
    assert answer["category"] == "test_failure"
    assert answer["total_lines"] == 206
    assert answer["error_lines"] >= 3
    assert answer["full"] == full.rstrip("\n")
    assert json.loads(excerpt(["-", "--json"], stdin=data).stdout) == answer


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = excerpt([str(tmp_path / "nope.log")])
    assert done.returncode == 2
    assert "cannot read" in done.stderr
    assert "Traceback" not in done.stderr


# The last green run printed the same alarming line; only this run's failure is new.
GREEN = "\n".join(
    [
        *(f"collecting module {i}" for i in range(200)),
        "ERROR: cache server unreachable, building without the remote cache",
        "========================= 212 passed in 12.02s =========================",
    ]
)
RED = "\n".join(
    [
        *(f"collecting module {i}" for i in range(200)),
        "ERROR: cache server unreachable, building without the remote cache",
        *(f"tests/test_{i}.py ........" for i in range(40)),
        "FAILED tests/test_cart.py::test_discount_rounding - assert 9.99 == 10.0",
        "========================= 1 failed, 211 passed in 12.31s =========================",
    ]
)


def test_green_compares_with_the_last_success_as_posts_do(tmp_path: Path) -> None:
    red, green = tmp_path / "red.ndjson", tmp_path / "green.log.gz"
    red.write_bytes(ci_log(RED))
    green.write_bytes(gzip.compress(GREEN.encode()))  # any form FILE takes
    alone = excerpt([str(red), "--json"])
    compared = excerpt([str(red), "--green", str(green), "--json"])
    assert alone.returncode == compared.returncode == 0, compared.stderr
    before, after = json.loads(alone.stdout), json.loads(compared.stdout)
    assert "compared with" not in before["excerpt"]
    assert (
        "(compared with green.log.gz, the last success: 1 failure line it printed too ranked lower)"
        in after["excerpt"].splitlines()
    )
    assert after["headline"].startswith("1 test failed: tests/test_cart.py::test_discount_rounding")
    assert after["category"] == "test_failure"
    text = excerpt([str(red), "--green", str(green)]).stdout
    assert text.rstrip("\n") == after["excerpt"]
    assert excerpt([str(red), "--green", "-"], stdin=GREEN.encode()).stdout.splitlines()[1] == (
        "(compared with the green log on standard input, the last success: 1 failure line it "
        "printed too ranked lower)"
    )


def test_green_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    red = tmp_path / "red.ndjson"
    red.write_bytes(ci_log(RED))
    missing = excerpt([str(red), "--green", str(tmp_path / "nope.log")])
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr and "nope.log" in missing.stderr
    both = excerpt(["-", "--green", "-"], stdin=b"")
    assert both.returncode == 2
    assert "only one of FILE and GREEN_FILE" in both.stderr


def run_excerpt(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script as a process, as a person runs it."""
    return subprocess.run(
        [str(BIN), "excerpt", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )


def test_an_empty_file_says_there_is_no_log(tmp_path: Path) -> None:
    empty, empty_gz = tmp_path / "step.log", tmp_path / "step.log.gz"
    empty.write_bytes(b"")
    empty_gz.write_bytes(gzip.compress(b""))
    for path in (empty, empty_gz):
        done = run_excerpt(str(path))
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.strip() == (
            f"harness-logs-bot excerpt: {path} is empty: there is no log to excerpt"
        )
    piped = excerpt(["-", "--json"], stdin=b"")
    assert piped.returncode == 2
    assert "standard input is empty" in piped.stderr


def test_a_binary_file_is_not_read_as_a_log(tmp_path: Path) -> None:
    # An executable: NUL bytes, and words such as "error" that must not make a headline.
    binary = b"\x7fELF\x02\x01\x01\x00" + b"\x00\x13error: lint\x00failed\x00" * 500
    for name, data in (("tool", binary), ("tool.gz", gzip.compress(binary))):
        path = tmp_path / name
        path.write_bytes(data)
        done = run_excerpt(str(path), "--json")
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.strip() == f"harness-logs-bot excerpt: {path} is binary data, not a log"
    red = tmp_path / "red.ndjson"
    red.write_bytes(ci_log(RED))
    green = run_excerpt(str(red), "--green", str(tmp_path / "tool"))
    assert green.returncode == 2
    assert "tool is binary data, not a log" in green.stderr
    assert "Traceback" not in green.stderr
