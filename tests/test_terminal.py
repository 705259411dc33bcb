"""The terminal's conventions, through the real console script: Ctrl-C in a real
pseudo-terminal (exit 130, no traceback), a closed output (exit 141, no traceback),
`make run` left with Ctrl-C (nothing from make), and shell completion."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulators.harness import HarnessEmulator
from emulators.slack import SlackEmulator
from tests.processes import BIN, bot_env, clean_env

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "tests" / "fixtures" / "step-log.ndjson"


class Terminal:
    """A process on a pseudo-terminal: what it wrote, read with deadlines."""

    def __init__(self, proc: subprocess.Popen[bytes], controller: int) -> None:
        self.proc = proc
        self.controller = controller
        self.seen = b""

    def _read(self, deadline: float) -> bool:
        """Whatever is written before `deadline`; False once the terminal is closed."""
        ready, _, _ = select.select(
            [self.controller], [], [], max(0.0, deadline - time.monotonic())
        )
        if not ready:
            return True
        try:
            chunk = os.read(self.controller, 65536)
        except OSError:  # EIO: every process holding the terminal has exited
            return False
        self.seen += chunk
        return bool(chunk)

    def read_until(self, text: bytes, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.seen and time.monotonic() < deadline and self._read(deadline):
            pass
        assert text in self.seen, self.seen.decode(errors="replace")[-2000:]

    def interrupt(self, send: Callable[[], None], seconds: float = 30) -> None:
        """Ctrl-C, pressed again every half second until the process ends: CPython's
        prompt notices a signal only while it waits for a key, so one that lands while
        it echoes the last key (a window of microseconds a person never hits, a test
        can) waits for the next press. Pressed again only while it has said nothing."""
        deadline = time.monotonic() + seconds
        before = len(self.seen)
        while len(self.seen) == before and self.proc.poll() is None:
            assert time.monotonic() < deadline, self.text
            send()
            self._read(min(deadline, time.monotonic() + 0.5))

    def finish(self, seconds: float = 30) -> int:
        """The exit code, once everything it wrote has been read (reading all along, so
        a full terminal buffer never holds it up)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._read(deadline):
            pass
        try:
            return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {seconds} s:\n{self.text}") from None

    @property
    def text(self) -> str:
        return self.seen.decode(errors="replace")


@contextmanager
def on_a_terminal(
    args: list[str], env: dict[str, str], cwd: Path, *, new_group: bool = True
) -> Iterator[Terminal]:
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        args,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**env, "TERM": "dumb"},
        cwd=cwd,
        start_new_session=new_group,
    )
    os.close(terminal)
    try:
        yield Terminal(proc, controller)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)


async def test_ctrl_c_while_fetch_waits_for_harness_ends_it_with_130(
    harness: HarnessEmulator, slack: SlackEmulator, tmp_path: Path
) -> None:
    harness.export_gate = asyncio.Event()  # the export never finishes
    env = bot_env(harness, slack, HARNESS_EXPORT_POLL_INTERVAL="0.05")
    env.pop("SLACK_BOT_TOKEN")
    with on_a_terminal([str(BIN), "fetch", "deploy_checkout", "42"], env, tmp_path) as term:
        # The progress line says what is really happening: the export, not a lookup.
        await asyncio.to_thread(term.read_until, b"Harness is preparing the export")
        term.proc.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(term.finish)
    assert code == 130, term.text
    assert "Traceback" not in term.text and "KeyboardInterrupt" not in term.text


def test_ctrl_c_at_the_sandbox_prompt_ends_it_at_once_with_130(tmp_path: Path) -> None:
    with on_a_terminal([str(BIN), "sandbox"], clean_env(), tmp_path) as term:
        term.read_until(b"\n> ")
        os.write(term.controller, b"/harness-logs deplo")  # half a line, no Enter
        # Echoed back once the prompt reads it: the prompt is waiting for the rest.
        term.read_until(b"> /harness-logs deplo")
        term.interrupt(lambda: term.proc.send_signal(signal.SIGINT))
        code = term.finish()
    assert code == 130, term.text
    assert "Traceback" not in term.text and "KeyboardInterrupt" not in term.text


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_left_with_ctrl_c_says_nothing_more(tmp_path: Path) -> None:
    # make, the shell and the sandbox share the terminal's process group, as they do
    # when a person presses Ctrl-C: the signal goes to the whole group.
    env = clean_env(HARNESS_LOGS_DOTENV="")
    with on_a_terminal(
        ["make", "--no-print-directory", "-C", str(ROOT), "-o", ".venv/.installed", "run"],
        env,
        tmp_path,
    ) as term:
        term.read_until(b"\n> ")
        os.write(term.controller, b"!hel")
        term.read_until(b"> !hel")
        term.interrupt(lambda: os.killpg(term.proc.pid, signal.SIGINT))
        term.finish()
    assert "this is the sandbox" in term.text
    assert "make:" not in term.text and "Traceback" not in term.text, term.text


def test_a_closed_output_ends_quietly_with_141(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # `| head` that has already gone away
    proc = subprocess.run(
        [str(BIN), "excerpt", str(LOG)],
        stdout=write,
        stderr=subprocess.PIPE,
        env=clean_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    os.close(write)
    assert proc.returncode == 141
    assert proc.stderr == b""


@pytest.mark.parametrize(
    ("line", "offers"),
    [
        ("harness-logs-bot fe", {"fetch"}),
        ("harness-logs-bot ", {"excerpt", "fetch", "doctor", "sandbox"}),
        ("harness-logs-bot fetch --j", {"--json"}),
        ("harness-logs-bot --mo", {"--mode"}),
    ],
)
def test_shell_completion(tmp_path: Path, line: str, offers: set[str]) -> None:
    out = tmp_path / "completions"
    env = clean_env(
        _ARGCOMPLETE="1",
        _ARGCOMPLETE_IFS="\n",
        _ARGCOMPLETE_STDOUT_FILENAME=str(out),
        COMP_LINE=line,
        COMP_POINT=str(len(line)),
    )
    subprocess.run([str(BIN)], env=env, cwd=tmp_path, timeout=60, check=False)
    offered = {word.strip() for word in out.read_text().splitlines()}
    assert offers <= offered, offered
