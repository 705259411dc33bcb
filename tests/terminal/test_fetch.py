"""`harness-logs-bot fetch`: the slash command's words in a terminal, against the
Harness emulator; text, JSON and exit codes."""

from __future__ import annotations

import json
import shlex
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.terminal.fetch import run as fetch_run
from emulators.harness import HarnessEmulator
from emulators.harness.world import ROLLOUT_FAILURE
from emulators.slack import SlackEmulator
from tests.processes import BIN, bot_env, clean_env, use_environment
from tests.processes import run as run_process


@pytest.fixture
def environment(
    harness: HarnessEmulator, slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The process's environment as a terminal user's: Harness settings, no Slack."""
    env = bot_env(harness, slack, HARNESS_EXPORT_POLL_INTERVAL="0.01")
    env.pop("SLACK_BOT_TOKEN")  # the terminal needs no Slack at all
    use_environment(monkeypatch, env, tmp_path)


async def fetch(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await fetch_run(argv)
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("environment")
async def test_fetch_prints_what_failed_and_the_link_and_json_for_scripts(
    harness: HarnessEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    expires = harness.clock_now().replace(second=0, microsecond=0) + timedelta(hours=20)
    harness.link_expiry = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out = await fetch(["deploy_checkout", "#42"], capsys)
    assert code == 0, out
    assert out.startswith("Deploy Checkout #42: Failed")
    assert f"Failed in Deploy Prod › Rollout: {ROLLOUT_FAILURE}" in out
    assert "[timeout or out of memory]" in out
    assert f"Download (expires {expires:%Y-%m-%d %H:%M} UTC): http://127.0.0.1:" in out
    code, out = await fetch(["deploy_checkout #42", "--json"], capsys)
    answer = json.loads(out)
    assert code == 0
    assert (answer["pipeline"], answer["run"], answer["status"]) == (
        "deploy_checkout",
        42,
        "Failed",
    )
    assert answer["link"].startswith("http://127.0.0.1:") and answer["problem"] is None
    assert answer["failures"][0]["category"] == "timeout_or_oom"


@pytest.mark.usefixtures("environment")
async def test_a_problem_harness_reports_is_exit_1(
    harness: HarnessEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.fail_next("logs.export", 403, times=2, body={"error_msg": "forbidden"})
    code, out = await fetch(["deploy_checkout", "--json"], capsys)
    assert code == 1
    assert json.loads(out)["problem"] == "access"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["fetch", "deploy_checkout", "#abc"], "not a run number"),
        (["fetch", "subscribe", "deploy_checkout"], "subscriptions live in Slack"),
        (["fetch", "deploy_checkout"], "HARNESS_API_KEY: is required"),
    ],
)
def test_bad_input_or_settings_is_exit_2(
    argv: list[str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    use_environment(monkeypatch, clean_env(), tmp_path)
    assert main(argv) == 2
    assert says in capsys.readouterr().err


# -- the CLI as a process, as a person at a terminal types it ----------------------


def terminal_env(harness: HarnessEmulator, slack: SlackEmulator, **extra: str) -> dict[str, str]:
    env = bot_env(harness, slack, HARNESS_EXPORT_POLL_INTERVAL="0.01")
    env.pop("SLACK_BOT_TOKEN")
    return {**env, **extra}


@pytest.mark.parametrize(
    ("words", "first_line"),
    [
        (["deploy_checkout", "42"], "Deploy Checkout #42: Failed"),
        (["deploy_checkout", "#42"], "Deploy Checkout #42: Failed"),  # '#42', quoted
        (["Deploy Checkout", "41"], "Deploy Checkout #41: Success"),
        (["deploy_checkout #42"], "Deploy Checkout #42: Failed"),  # one quoted string
    ],
)
async def test_run_numbers_need_no_hash_and_names_with_spaces_need_one_quoting(
    harness: HarnessEmulator,
    slack: SlackEmulator,
    tmp_path: Path,
    words: list[str],
    first_line: str,
) -> None:
    code, out = await run_process(
        [str(BIN), "fetch", *words], terminal_env(harness, slack), tmp_path
    )
    assert code == 0, out
    assert out.splitlines()[0] == first_line


async def test_a_stage_and_step_by_display_name_in_one_argument(
    harness: HarnessEmulator, slack: SlackEmulator, tmp_path: Path
) -> None:
    code, out = await run_process(
        [str(BIN), "fetch", "deploy_checkout", "42", "Deploy Prod/Rollout"],
        terminal_env(harness, slack),
        tmp_path,
    )
    assert code == 0, out
    assert f"Failed in Deploy Prod › Rollout: {ROLLOUT_FAILURE}" in out


@pytest.mark.parametrize(
    "words",
    [
        ["deploy_chekout", "42"],  # a pipeline
        ["Deploy Chekout", "42"],  # a display name: the suggestion must keep it one word
        ["deploy_checkout", "99"],  # a run
        ["deploy_checkout", "42", "Deploy Prd"],  # a stage
        ["deploy_checkout", "42", "deploy_prod/rolout"],  # a step
    ],
)
async def test_each_suggestion_is_a_command_line_that_works_as_shown(
    harness: HarnessEmulator, slack: SlackEmulator, tmp_path: Path, words: list[str]
) -> None:
    env = terminal_env(harness, slack)
    code, out = await run_process([str(BIN), "fetch", *words], env, tmp_path)
    assert code == 2, out
    assert "`" not in out and "*" not in out  # plain text, no Slack markup
    suggested = out.split("Did you mean:\n", 1)[1].splitlines()
    assert suggested and all(line.startswith("  harness-logs-bot fetch ") for line in suggested)
    for line in suggested:
        # Typed into a shell as shown (the binary by its full path here).
        shell_line = line.strip().replace("harness-logs-bot", shlex.quote(str(BIN)), 1)
        code, out = await run_process(["sh", "-c", shell_line], env, tmp_path)
        assert code == 0, (line, out)
        assert out.startswith("Deploy Checkout #"), (line, out)


async def test_harness_out_of_reach_is_said_in_seconds_with_host_and_error(
    harness: HarnessEmulator, slack: SlackEmulator, tmp_path: Path
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nobody listens on (bound, never listening)
    base = f"http://127.0.0.1:{closed.getsockname()[1]}"
    try:
        # HARNESS_RETRY_DEADLINE keeps its ten minutes: only an unreachable host is
        # given up on sooner (were it not, this would outlive the 30 s run() allows).
        code, out = await run_process(
            [str(BIN), "fetch", "deploy_checkout", "42"],
            terminal_env(harness, slack, HARNESS_BASE_URL=base, HARNESS_RETRY_INITIAL_DELAY="0.2"),
            tmp_path,
        )
    finally:
        closed.close()
    assert code == 1, out
    assert f"Harness at {base} did not answer" in out
    assert f"cannot reach 127.0.0.1:{base.rsplit(':', 1)[1]}" in out and "ConnectError" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["fetch"], 2, "name a pipeline"),
        (["fetch", "--help"], 0, "harness-logs-bot fetch deploy_checkout 42"),
        (["fetch", "help"], 0, "examples:"),
        (["fetch", "deploy_checkout", "--jsn"], 2, "unrecognized arguments: --jsn"),
        (["fetc", "deploy_checkout"], 2, "did you mean `harness-logs-bot fetch`?"),
        (["--version"], 0, "harness-logs-bot 0."),
        (["--help"], 0, "{excerpt,fetch,doctor,sandbox}"),
        (["doctor", "--help"], 0, "exit codes:"),
        (["sandbox", "--help"], 0, "--script FILE"),
    ],
)
async def test_usage_help_and_mistakes(
    tmp_path: Path, argv: list[str], code: int, says: str
) -> None:
    got, out = await run_process([str(BIN), *argv], clean_env(), tmp_path)
    assert (got, says in out) == (code, True), out
    assert "Traceback" not in out


async def test_doctor_help_runs_no_check(tmp_path: Path) -> None:
    # Settings that would make every check fail (and take a while): none is made.
    env = clean_env(SLACK_API_URL="http://127.0.0.1:9/api/", HARNESS_BASE_URL="http://127.0.0.1:9")
    code, out = await run_process([str(BIN), "doctor", "--help"], env, tmp_path)
    assert code == 0 and "usage: harness-logs-bot doctor" in out
    assert not any(line.startswith(("  ✓", "  ✗")) for line in out.splitlines())
    assert "thing(s) to fix" not in out and "Everything works" not in out
