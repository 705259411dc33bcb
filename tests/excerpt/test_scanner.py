"""The scanner and collector: failure lines with context, the tail, cleaning, caps, files."""

from __future__ import annotations

import json

import pytest

from bot.excerpt import (
    Excerpt,
    ExcerptCollector,
    ExcerptLine,
    ExcerptSettings,
    Gap,
    Kind,
    LogScanner,
    collect_stream,
    excerpt_of,
    line_shapes,
)
from bot.excerpt.redaction import Redactor
from tests.excerpt.logs import FIXTURES, chunked, ci_log, ndjson


def texts(excerpt: Excerpt) -> list[str]:
    return excerpt.render_lines()


def numbered(n: int, failures: dict[int, str] | None = None) -> bytes:
    failures = failures or {}
    return ndjson([("info", failures.get(i, f"step {i} done") + "\n") for i in range(1, n + 1)])


def test_the_sample_step_log() -> None:
    excerpt = excerpt_of([(FIXTURES / "step-log.ndjson").read_bytes()], Redactor())
    assert texts(excerpt) == [
        "+ npm ci",
        "npm WARN deprecated inflight@1.0.6",
        "npm ERR! code ELIFECYCLE",
        "Command finished with status FAILURE",
    ]
    assert excerpt.headline == "npm ERR! code ELIFECYCLE"
    assert all("\x1b" not in line for line in texts(excerpt))


def test_a_failure_in_an_info_line_is_found_with_its_context_and_the_tail() -> None:
    # Harness CI writes every line as level "info": the failure is found from the text.
    log = numbered(1000, {300: "ERROR: disk quota exceeded on /cache"})
    excerpt = excerpt_of([log], Redactor())
    lines = texts(excerpt)
    assert lines[0] == "… 295 lines omitted …"
    assert lines[1:8] == [
        "step 296 done",
        "step 297 done",
        "step 298 done",
        "step 299 done",
        "ERROR: disk quota exceeded on /cache",
        "step 301 done",
        "step 302 done",
    ]
    assert lines[8] == "… 683 lines omitted …"
    assert lines[9:] == [f"step {i} done" for i in range(986, 1001)]  # the last 15
    assert excerpt.total_lines == 1000
    assert excerpt.error_lines == 1
    assert excerpt.headline == "disk quota exceeded on /cache"


def test_no_failure_means_just_the_tail() -> None:
    excerpt = excerpt_of([numbered(100)], Redactor())
    assert texts(excerpt) == ["… 85 lines omitted …", *[f"step {i} done" for i in range(86, 101)]]
    assert excerpt.headline is None
    assert excerpt.kind == "unknown"


def test_overlapping_context_does_not_repeat_lines() -> None:
    log = numbered(20, {18: "fatal: bad object HEAD", 19: "Error: checkout failed"})
    lines = texts(excerpt_of([log], Redactor()))
    assert len(lines) == len(set(lines))
    assert lines[-3:] == ["fatal: bad object HEAD", "Error: checkout failed", "step 20 done"]


@pytest.mark.parametrize("size", [1, 7, 64, 4096, 1 << 20])
def test_chunk_boundaries_do_not_change_the_result(size: int) -> None:
    data = numbered(500, {100: "panic: nil map", 400: "FAIL github.com/acme/cart 0.2s"})
    whole = excerpt_of([data], Redactor())
    parts = excerpt_of(chunked(data, size), Redactor())
    assert texts(parts) == texts(whole)
    assert (parts.headline, parts.kind) == (whole.headline, whole.kind)


def test_adjacent_duplicates_are_folded_with_a_count() -> None:
    entries = (
        [("info", "start\n")]
        + [("info", "\x1b[33mretrying connection\x1b[0m\n")] * 37
        + [("error", "gave up\n")]
    )
    lines = texts(excerpt_of([ndjson(entries)], Redactor()))
    assert lines == ["… 1 line omitted …", "retrying connection  (repeated 37 times)", "gave up"]


def test_lines_of_one_shape_fold_into_the_first() -> None:
    log = ndjson(
        [
            ("info", f"error: request {i} to 10.0.0.{i % 9} timed out after {i}ms\n")
            for i in range(50)
        ]
        + [("info", f"filler {i}\n") for i in range(30)]
    )
    excerpt = excerpt_of([log], Redactor())
    kept = [p for p in excerpt.lines if "timed out" in p.text]
    assert kept[0].similar > 40
    assert "similar)" in excerpt.render(2600)
    assert excerpt.error_lines == 50


def test_lines_are_cleaned_and_cut() -> None:
    entries = [
        ("info", "\x1b[1;32mBUILD\x1b[0m ok\n"),
        ("info", "Downloading 10%\rDownloading 55%\rDownloading 100%\n"),
        ("info", "tab\tand bell\x07 and \x1b]0;title\x07osc and \x1b(Bcharset\n"),
        ("info", "2026-04-19T17:23:25.7017137Z stamped by the runner\n"),
        ("info", "é" * 1000 + "\n"),
    ]
    lines = texts(excerpt_of([ndjson(entries)], Redactor()))
    assert lines[0] == "BUILD ok"
    assert lines[1] == "Downloading 100%"
    assert lines[2] == "tab\tand bell and osc and charset"
    assert lines[3] == "stamped by the runner"
    assert lines[4] == "é" * 499 + "…"


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
    assert lines[1] == "E" * 499 + "…"
    assert lines[2] == '{"broken json'
    assert lines[3] == "after"
    assert excerpt.error_lines == 1


def test_a_line_cut_inside_an_escape_still_renders() -> None:
    out = "x" * 8180 + "\u00e9\n"  # the cut at keep_bytes lands inside the \\u00e9 escape
    raw = json.dumps({"level": "info", "out": out}).encode()
    lines = texts(excerpt_of([raw + b"\n"], Redactor()))
    assert lines == ["x" * 499 + "…"]


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


@pytest.mark.parametrize("size", [7, 1 << 16])
def test_a_prompt_just_before_the_kept_lines_still_hides_the_value(size: int) -> None:
    # The prompt is the fifth line before the failure: outside the four kept before it,
    # and (in 7-byte chunks) in an earlier chunk than the failure.
    entries = [
        *[("info", f"step {i} done\n") for i in range(20)],
        ("info", "Enter password:\n"),
        ("info", "Hunter2Value99\n"),
        *[("info", f"waiting {i}\n") for i in range(3)],
        ("error", "Error: login failed\n"),
        *[("info", f"cleanup {i}\n") for i in range(30)],
    ]
    lines = texts(excerpt_of(chunked(ndjson(entries), size), Redactor()))
    assert "Enter password:" not in lines
    assert "Hunter2Value99" not in "\n".join(lines)
    assert lines[lines.index("Error: login failed") - 4] == "[REDACTED:secret]"


def test_a_line_kept_by_two_blocks_is_redacted_once_in_log_order() -> None:
    # The value is the last context line of one failure and the first of the next: it
    # used to be shown as the second block saw it, without the prompt before it.
    entries = [
        *[("info", f"step {i} done\n") for i in range(20)],
        ("info", "could not log in: failed\n"),
        ("info", "Password:\n"),
        ("info", "Hunter2Value99\n"),
        *[("info", f"waiting {i}\n") for i in range(3)],
        ("error", "Error: deploy failed with exit code 1\n"),
        *[("info", f"cleanup {i}\n") for i in range(30)],
    ]
    lines = texts(excerpt_of([ndjson(entries)], Redactor()))
    assert "Password:" in lines
    assert "Hunter2Value99" not in "\n".join(lines)


@pytest.mark.parametrize("body_lines", [30, 250, 5000])
def test_a_key_body_of_any_length_is_hidden_even_where_the_context_starts_inside_it(
    body_lines: int,
) -> None:
    body = [("info", f"{'QUJD' * 16}\n")] * body_lines
    entries = [
        ("info", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        *body,
        ("info", "error: the key above is not accepted\n"),
        *body,
        ("info", "-----END OPENSSH PRIVATE KEY-----\n"),
        ("error", "boom\n"),
    ]
    excerpt = excerpt_of([ndjson(entries)], Redactor(), ExcerptSettings.full())
    assert all("QUJD" not in line for line in texts(excerpt))
    assert "error: the key above is not accepted" in texts(excerpt)


def test_a_lone_begin_marker_does_not_hide_the_error_after_it() -> None:
    entries = [
        ("info", "echo '-----BEGIN PRIVATE KEY-----' > key.pem\n"),
        ("info", "Error: key.pem: no PEM data found\n"),
        ("info", "exit status 1\n"),
    ]
    lines = texts(excerpt_of([ndjson(entries)], Redactor()))
    assert "Error: key.pem: no PEM data found" in lines
    assert "exit status 1" in lines


def test_command_units_are_merged_in_order_of_their_first_timestamp() -> None:
    collector = ExcerptCollector(Redactor())
    units = {
        "Cleanup": ndjson([("info", "cleanup done\n")], minute=9),
        "Initialize": ndjson([("info", "init\n")], minute=1),
        "Execute": ndjson([("info", "running\n"), ("info", "Error: exit status 1\n")], minute=5),
    }
    for name, data in units.items():  # zip order is not time order
        scanner = LogScanner(name=name)
        scanner.feed(data)
        collector.add(scanner.finish())
    excerpt = collector.excerpt()
    assert texts(excerpt) == ["init", "running", "Error: exit status 1", "cleanup done"]
    assert excerpt.files == 3


def test_many_files_keep_only_what_matters() -> None:
    collector = ExcerptCollector(Redactor())
    for i in range(1500):
        scanner = LogScanner(name=f"unit{i}")
        failing = {10: "fatal: could not read Username", 1400: "npm ERR! code E404"}
        scanner.feed(
            ndjson(
                [
                    ("info", (failing.get(i, f"f{i} l{j}") if j == 2 else f"f{i} l{j}") + "\n")
                    for j in range(1, 4)
                ],
                minute=i // 60,
                start_second=i % 60,
            )
        )
        collector.add(scanner.finish())
    assert len(collector._tails) <= 15
    excerpt = collector.excerpt()
    lines = texts(excerpt)
    assert "fatal: could not read Username" in lines
    assert "npm ERR! code E404" in lines
    assert lines[-1] == "f1499 l3"
    assert excerpt.files == 1500


def test_the_message_budget_keeps_the_failure_and_the_ending_and_marks_what_it_left() -> None:
    entries = [("info", f"compiling module {i:04d} {'x' * 80}\n") for i in range(400)]
    entries[120] = ("info", "src/cart.ts(12,5): error TS2345: Argument of type 'string'\n")
    entries += [("info", "Found 1 error in src/cart.ts:12\n"), ("info", "exit status 2\n")]
    excerpt = excerpt_of([ndjson(entries)], Redactor())
    text = excerpt.render(1200)
    assert len(text) <= 1200
    assert "error TS2345" in text
    assert "Found 1 error" in text
    assert "exit status 2" in text
    assert "lines omitted" in text
    assert excerpt.render(100_000) == "\n".join(texts(excerpt))


def test_empty_log() -> None:
    excerpt = excerpt_of([b""], Redactor())
    assert excerpt.empty
    assert excerpt.pieces == ()


def test_pieces_are_plain_data() -> None:
    excerpt = excerpt_of([numbered(30, {10: "Traceback (most recent call last):"})], Redactor())
    assert isinstance(excerpt.pieces[0], Gap)
    assert any(isinstance(p, ExcerptLine) and "Traceback" in p.text for p in excerpt.pieces)


@pytest.mark.parametrize(
    "line",
    [
        "0 errors, 3 warnings",
        "errorHandler registered",
        "tests/test_error_handling.py::test_retry PASSED",
        "npm WARN deprecated request@2.88.2",
        "Compiling with -Werror enabled",
        "errors: 0, failures: 0",
    ],
)
def test_lines_that_only_look_alarming_are_not_failures(line: str) -> None:
    excerpt = excerpt_of([ndjson([("info", line + "\n")] * 50)], Redactor())
    assert excerpt.error_lines == 0
    assert excerpt.headline is None


@pytest.mark.parametrize("size", [3, 1 << 20])
def test_carriage_return_lines_count_the_same_whatever_the_chunking(size: int) -> None:
    data = b"\r\n".join(ndjson([("info", f"l{i}\n")]).rstrip(b"\n") for i in range(40)) + b"\n"
    excerpt = excerpt_of(chunked(data, size), Redactor())
    assert excerpt.total_lines == 40
    assert texts(excerpt)[-1] == "l39"


def test_failure_lines_the_last_success_printed_too_rank_lower() -> None:
    shared = "fatal: unable to reach the license server (HTTP 403), using offline mode"
    red = ci_log(
        "\n".join(
            [
                shared,
                *[f"compiling {i}" for i in range(40)],
                "Error: module cart has no export total",
            ]
            + [f"linking {i}" for i in range(40)]
        )
    )
    green = ci_log("\n".join([shared, *[f"compiling {i}" for i in range(40)], "Build succeeded"]))
    alone = collect_stream(iter([red]), Redactor()).excerpt()
    assert alone.headline == shared
    assert alone.kind == Kind.PERMISSION_OR_SECRET
    shapes = line_shapes(iter([green]))
    compared = collect_stream(iter([red]), Redactor()).excerpt(shapes.shapes, 41)
    assert compared.headline == "module cart has no export total"
    assert compared.kind == Kind.UNKNOWN
    assert (compared.compared_with, compared.similar_to_green) == (41, 1)
    assert shared in compared.render_lines()  # still shown, just not first


def test_a_green_log_is_read_into_a_bounded_set_of_shapes() -> None:
    def word(i: int) -> str:  # letters only: shapes mask numbers, not words
        return "".join(chr(ord("g") + (i // 20**k) % 20) for k in range(3))

    lines = "\n".join(f"error: module {word(i)} failed to load" for i in range(5000))
    shapes = line_shapes(iter([ci_log(lines)]), max_shapes=100)
    assert shapes.lines == 5000
    assert len(shapes.shapes) == 100


def test_a_green_log_in_an_export_zip_is_read_file_by_file() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("p/1/-x/ci/tests/commandUnit:Execute", ci_log("Error: cache busy"))
        archive.writestr("p/1/-x/ci/tests/commandUnit:Cleanup", ci_log("done\nall good"))
    shapes = line_shapes(iter([buffer.getvalue()]))
    red = ci_log("Error: cache busy")
    compared = collect_stream(iter([red]), Redactor()).excerpt(shapes.shapes, 3)
    assert shapes.lines == 3
    assert compared.similar_to_green == 1


def test_a_green_log_matches_whatever_form_either_log_came_in() -> None:
    # The red run as Harness stores it (NDJSON, colours, a runner's timestamp); the green
    # one saved as plain text with other colours and another time.
    red = ndjson(
        [
            ("info", '2026-11-20T10:00:01.1Z \x1b[31mError:\x1b[0m cache "eu-1" busy\tretry\n'),
            ("info", "Error: module cart has no export total\n"),
        ]
    )
    green = b'2026-11-19T08:12:44.9Z \x1b[1;31mError:\x1b[m cache "eu-1" busy\tretry\nok\n'
    compared = collect_stream(iter([red]), Redactor()).excerpt(line_shapes(iter([green])).shapes)
    assert compared.similar_to_green == 1
    assert compared.headline == "module cart has no export total"


def test_a_log_downloaded_with_the_github_cli_is_read_past_its_job_and_step_columns() -> None:
    # `gh run view --log` prints "<job>\t<step>\t<time> <line>"; "panic:" counts only
    # where a line's text starts, so it is found only when those columns are skipped.
    prefix = "test\tRun go test\t2026-04-19T17:13:00.1234567Z "
    log = "\n".join(
        [
            *(f"{prefix}compiling package {i}" for i in range(200)),
            f"{prefix}panic: assignment to entry in nil map",
            *(f"{prefix}goroutine {i} [running]" for i in range(5)),
        ]
    )
    excerpt = excerpt_of([ci_log(log)], Redactor())
    assert excerpt.error_lines == 1
    # shown verbatim, tabs included, so that it can be searched for in the log
    assert f"{prefix}panic: assignment to entry in nil map" in excerpt.render(2600)
