"""Excerpts: the lines around the first and last errors plus the tail, cleaned and bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.excerpt import (
    Excerpt,
    ExcerptCollector,
    ExcerptLine,
    ExcerptSettings,
    Gap,
    LogScanner,
    excerpt_of,
)
from bot.redaction import Redactor

FIXTURES = Path(__file__).parent / "fixtures"


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


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def texts(excerpt: Excerpt) -> list[str]:
    return excerpt.render_lines()


def numbered(n: int, errors: set[int] = frozenset()) -> bytes:  # type: ignore[assignment]
    return ndjson([("error" if i in errors else "info", f"line {i}\n") for i in range(1, n + 1)])


def test_the_sample_step_log() -> None:
    excerpt = excerpt_of([(FIXTURES / "step-log.ndjson").read_bytes()], Redactor())
    assert texts(excerpt) == [
        "+ npm ci",
        "npm WARN deprecated inflight@1.0.6",
        "npm ERR! code ELIFECYCLE",
        "Command finished with status FAILURE",
    ]
    assert excerpt.error_lines == 1
    assert all("\x1b" not in line for line in texts(excerpt))


def test_windows_around_first_and_last_error_and_the_tail_with_gap_counts() -> None:
    excerpt = excerpt_of([numbered(1000, {300, 600})], Redactor())
    lines = texts(excerpt)
    assert lines[0] == "… 294 lines omitted …"
    assert lines[1:9] == [f"line {i}" for i in range(295, 303)]  # 5 before, the error, 2 after
    assert lines[9] == "… 292 lines omitted …"
    assert lines[10:18] == [f"line {i}" for i in range(595, 603)]
    assert lines[18] == "… 383 lines omitted …"
    assert lines[19:] == [f"line {i}" for i in range(986, 1001)]  # the last 15
    assert excerpt.total_lines == 1000
    assert excerpt.error_lines == 2


def test_no_errors_means_just_the_tail() -> None:
    lines = texts(excerpt_of([numbered(100)], Redactor()))
    assert lines == ["… 85 lines omitted …", *[f"line {i}" for i in range(86, 101)]]


def test_overlapping_windows_do_not_repeat_lines() -> None:
    lines = texts(excerpt_of([numbered(20, {18, 19})], Redactor()))
    assert lines == ["… 5 lines omitted …", *[f"line {i}" for i in range(6, 21)]]


@pytest.mark.parametrize("size", [1, 7, 64, 4096, 1 << 20])
def test_chunk_boundaries_do_not_change_the_result(size: int) -> None:
    data = numbered(500, {100, 400})
    assert texts(excerpt_of(chunked(data, size), Redactor())) == texts(
        excerpt_of([data], Redactor())
    )


def test_adjacent_duplicates_are_folded_with_a_count() -> None:
    entries = (
        [("info", "start\n")]
        + [("info", "\x1b[33mretrying connection\x1b[0m\n")] * 37
        + [("error", "gave up\n")]
    )
    lines = texts(excerpt_of([ndjson(entries)], Redactor()))
    assert lines == ["start", "retrying connection  (repeated 37 times)", "gave up"]


def test_lines_are_cleaned_and_cut_at_300_characters() -> None:
    entries = [
        ("info", "\x1b[1;32mBUILD\x1b[0m ok\n"),
        ("info", "Downloading 10%\rDownloading 55%\rDownloading 100%\n"),
        ("info", "tab\tand bell\x07 and \x1b]0;title\x07osc\n"),
        ("info", "é" * 1000 + "\n"),
    ]
    lines = texts(excerpt_of([ndjson(entries)], Redactor()))
    assert lines[0] == "BUILD ok"
    assert lines[1] == "Downloading 100%"
    assert lines[2] == "tab    and bell and osc"
    assert lines[3] == "é" * 299 + "…"


def test_non_json_lines_and_one_megabyte_lines_are_kept_as_text() -> None:
    huge = json.dumps(
        {"level": "error", "out": "E" * 1_048_576 + "\n", "time": "2026-11-20T10:00:01Z"}
    )
    data = (
        b"plain text line\n"
        + huge.encode()
        + b"\n"
        + b'{"broken json\n'
        + ndjson([("info", "after\n")])
    )
    excerpt = excerpt_of(chunked(data, 65536), Redactor())
    lines = texts(excerpt)
    assert lines[0] == "plain text line"
    assert lines[1] == "E" * 299 + "…"
    assert lines[2] == '{"broken json'
    assert lines[3] == "after"
    assert excerpt.error_lines == 1


def test_a_line_cut_inside_an_escape_still_renders() -> None:
    out = "x" * 8180 + "\u00e9\n"  # the cut at keep_bytes lands inside the \\u00e9 escape
    raw = json.dumps({"level": "info", "out": out}).encode()
    lines = texts(excerpt_of([raw + b"\n"], Redactor()))
    assert lines == ["x" * 299 + "…"]


def test_secrets_are_redacted_before_anything_is_kept() -> None:
    entries = [
        ("info", "export GITHUB_TOKEN=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\n"),
        ("info", "-----BEGIN RSA PRIVATE KEY-----\n"),
        ("info", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"),
        ("info", "-----END RSA PRIVATE KEY-----\n"),
        ("error", "auth failed for https://bot:hunter2pass@git.acme.test\n"),
    ]
    for size in (5, 1 << 16):
        joined = "\n".join(texts(excerpt_of(chunked(ndjson(entries), size), Redactor())))
        assert "ghp_wWPw" not in joined
        assert "MIIE" not in joined
        assert "hunter2pass" not in joined
        assert "[REDACTED:github_token]" in joined
        assert "[REDACTED:pem]" in joined


def test_a_key_body_outside_the_window_start_is_still_hidden() -> None:
    body = [("info", f"{'QUJD' * 16}\n")] * 30
    entries = [
        ("info", "-----BEGIN PRIVATE KEY-----\n"),
        *body,
        ("info", "-----END PRIVATE KEY-----\n"),
        ("error", "boom\n"),
    ]
    excerpt = excerpt_of([ndjson(entries)], Redactor(), ExcerptSettings(before=5, tail=3))
    assert all("QUJD" not in line for line in texts(excerpt))


def test_command_units_are_merged_in_order_of_their_first_timestamp() -> None:
    collector = ExcerptCollector()
    units = {
        "Cleanup": ndjson([("info", "cleanup done\n")], minute=9),
        "Initialize": ndjson([("info", "init\n")], minute=1),
        "Execute": ndjson([("info", "running\n"), ("error", "exit status 1\n")], minute=5),
    }
    for name, data in units.items():  # zip order is not time order
        scanner = LogScanner(Redactor(), name=name)
        scanner.feed(data)
        collector.add(scanner.finish())
    excerpt = collector.excerpt()
    assert texts(excerpt) == ["init", "running", "exit status 1", "cleanup done"]
    assert excerpt.files == 3


def test_many_files_keep_only_what_matters() -> None:
    collector = ExcerptCollector()
    for i in range(1500):
        scanner = LogScanner(Redactor(), name=f"unit{i}")
        errors = {2} if i in (10, 1400) else set()
        scanner.feed(
            ndjson(
                [("error" if j in errors else "info", f"f{i} l{j}\n") for j in range(1, 4)],
                minute=i // 60,
                start_second=i % 60,
            )
        )
        collector.add(scanner.finish())
    assert len(collector._tails) <= 15
    lines = texts(collector.excerpt())
    assert "f10 l2" in lines
    assert "f1400 l2" in lines
    assert lines[-1] == "f1499 l3"


def test_render_shrinks_from_the_top_and_says_so() -> None:
    excerpt = excerpt_of([numbered(1000, {300, 600})], Redactor())
    text = excerpt.render(200)
    assert len(text) <= 200
    assert text.startswith("… ") and "more excerpt lines above" in text.splitlines()[0]
    assert text.endswith("line 1000")
    assert excerpt.render(100_000) == "\n".join(texts(excerpt))


def test_empty_log() -> None:
    excerpt = excerpt_of([b""], Redactor())
    assert excerpt.empty
    assert excerpt.pieces == ()


def test_pieces_are_plain_data() -> None:
    excerpt = excerpt_of([numbered(30, {10})], Redactor())
    assert isinstance(excerpt.pieces[0], Gap)
    assert any(isinstance(p, ExcerptLine) and p.level == "error" for p in excerpt.pieces)


def test_the_word_error_in_text_is_not_an_error_level() -> None:
    entries = [("info", "0 errors, 3 warnings\n"), ("info", "errorHandler registered\n")] * 50
    excerpt = excerpt_of([ndjson(entries)], Redactor())
    assert excerpt.error_lines == 0


@pytest.mark.parametrize("size", [3, 1 << 20])
def test_carriage_return_lines_count_the_same_whatever_the_chunking(size: int) -> None:
    data = b"\r\n".join(ndjson([("info", f"l{i}\n")]).rstrip(b"\n") for i in range(40)) + b"\n"
    excerpt = excerpt_of(chunked(data, size), Redactor())
    assert excerpt.total_lines == 40
    assert texts(excerpt)[-1] == "l39"
