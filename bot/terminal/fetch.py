"""`harness-logs-bot fetch <the words of the slash command> [--json]`: the same lookup,
export and excerpt as `/harness-logs`, in a terminal.

Needs only the Harness settings. Prints the run's status, what failed (headline
and excerpt of each failed step) and the download link; `--json` prints one object
for scripts. Everything is written for a terminal (plain text, no Slack markup), and
a suggestion is a command line that can be typed as shown. Exit codes: 0 with a
link, 1 when Harness reported a problem (no link, or Harness could not be reached),
2 for bad input or settings.

A host that does not answer at all is given up on after `NETWORK_DEADLINE` seconds
(the bot itself keeps retrying for as long as HARNESS_RETRY_DEADLINE says).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import shlex
import sys
from typing import Any, ClassVar, TextIO

from bot.cli import PROG, subcommand_parser
from bot.clock import Clock
from bot.config import Settings, SettingsError, load_settings
from bot.domain import Excerpt, ExportProblem, LogsLink, Reason
from bot.domain.misses import (
    HarnessRefused,
    Miss,
    NoSuchPipeline,
    NoSuchRun,
    NoSuchStage,
    NoSuchStep,
)
from bot.excerpt import warm_up
from bot.excerpt_view import excerpt_text
from bot.logging_setup import configure_logging
from bot.metrics import Metrics
from bot.service.grammar import (
    CommandError,
    FetchLogs,
    Help,
    command_words,
    parse_command,
    typed,
)
from bot.service.targets import LogsResult, NamedTarget, Target, TargetError
from bot.service.wording import PLAIN, miss_text, scope_words, suggestions_of
from bot.wiring import harness_side

# Slack is not used here; a well-formed stand-in satisfies the settings' checks.
_NO_SLACK = "xoxb-0-0-fetch"
NETWORK_DEADLINE = 8.0
_NAME = f"{PROG} fetch"
# A word of several command words rather than one name with spaces: it holds a run
# number or the scope's `in`.
_SEVERAL_WORDS = re.compile(r"(?:^|\s)(?:#?\d+|in)(?:\s|$)", re.IGNORECASE)


def main(argv: list[str]) -> int:
    return asyncio.run(run(argv))


async def run(argv: list[str]) -> int:
    """`main` without its event loop (what the tests drive)."""
    parser = subcommand_parser("fetch")
    args = parser.parse_intermixed_args(argv)
    if not args.words:
        parser.print_usage(sys.stderr)
        return _fail("name a pipeline (or paste an execution URL); --help shows how")
    words = " ".join(_command_word(word) for word in args.words)
    try:
        parsed = parse_command(words)
    except CommandError as exc:
        return _fail(_plain_markup(str(exc)))
    if isinstance(parsed, Help):
        parser.print_help()
        return 0
    if not isinstance(parsed, FetchLogs):
        return _fail("subscriptions live in Slack: use /harness-logs there")
    try:
        settings = load_settings(slack_bot_token=_NO_SLACK)
    except SettingsError as exc:
        return _fail("the settings cannot be read\n  " + "\n  ".join(exc.problems))
    # The answer is the output; the bot's own log only for what went wrong.
    configure_logging("ERROR", settings.secrets())
    return await _fetch(settings, parsed.target, args.json)


def _command_word(word: str) -> str:
    """One argument as the grammar's words. The shell has already taken the quotes
    off `"Deploy Prod"`, so a word with spaces is one name and is quoted again
    (`"Deploy Prod/Rollout"` is stage and step); unless it reads as several command
    words (`'deploy_checkout #42'`) or carries quotes of its own."""
    if not any(ch.isspace() for ch in word) or any(ch in word for ch in "\"'"):
        return word
    if _SEVERAL_WORDS.search(word) or "://" in word:
        return word
    return "/".join(
        typed(" ".join(part.split())) if part.strip() else part for part in word.split("/")
    )


def _shell_word(word: str) -> str:
    """A grammar word as typed in a shell, so that `_command_word` gives it back."""
    bare = word.replace('"', "")
    if _command_word(bare) == word:
        return shlex.quote(bare)
    return shlex.quote(word)


class Progress:
    """What is happening, on one line of a terminal: which call Harness is answering,
    how long the export takes, and retries when Harness does not answer."""

    _DOING: ClassVar[dict[str, str]] = {
        "pipelines.list": "Looking up the pipeline",
        "executions.summary": "Finding the run",
        "executions.v2": "Reading the run",
        "logs.export": "Harness is preparing the export",
        "logs.blob": "Reading the failed steps' logs",
    }

    def __init__(self, clock: Clock, host: str, out: TextIO) -> None:
        self._clock = clock
        self._out = out
        self._doing = f"Asking Harness at {host}"
        self._since = clock.monotonic()
        self._retries = 0

    def observe(self, endpoint: str, outcome: str) -> None:
        if outcome == "network_error" or outcome in ("429", "500", "502", "503", "504"):
            self._retries += 1
            what = "no answer" if outcome == "network_error" else f"HTTP {outcome}"
            self._doing = f"Harness did not answer ({what}, {self._retries} so far); trying again"
            return
        doing = self._DOING.get(endpoint, self._doing)
        if doing != self._doing or self._retries:
            self._doing, self._since, self._retries = doing, self._clock.monotonic(), 0

    async def show(self) -> None:
        while True:
            waited = self._clock.monotonic() - self._since
            self._write(f"{self._doing} … {waited:.0f} s")
            await asyncio.sleep(0.5)  # a clock for a person to read

    def clear(self) -> None:
        self._write("")

    def _write(self, text: str) -> None:
        # \x1b[K clears the rest of the line, so a shorter line leaves nothing behind.
        print(f"\r{text}\x1b[K", end="", file=self._out, flush=True)


async def _fetch(settings: Settings, target: Target, as_json: bool) -> int:
    await asyncio.to_thread(warm_up)
    clock = Clock()
    progress = Progress(clock, settings.harness_base_url, sys.stderr)
    side = harness_side(
        settings,
        Metrics(),
        None,
        clock,
        network_deadline=NETWORK_DEADLINE,
        observe=progress.observe,
    )
    showing = asyncio.create_task(progress.show()) if sys.stderr.isatty() else None
    try:
        side.service.check(target)
        result = await side.service.fetch_logs(target)
    except TargetError as exc:
        code = 1 if isinstance(exc.miss, HarnessRefused) else 2
        said = _miss_text(exc.miss, settings)
        if as_json:
            print(json.dumps({"error": said, "suggestions": _suggested(target, exc.miss)}))
            return code
        _stop(showing, progress)
        print(f"{_NAME}: {said}", file=sys.stderr)
        if suggested := _suggested(target, exc.miss):
            print("Did you mean:", file=sys.stderr)
            for line in suggested:
                print(f"  {line}", file=sys.stderr)
        return code
    finally:
        _stop(showing, progress)
        await side.close()
    print(json.dumps(_as_json(result), ensure_ascii=False) if as_json else _as_text(result))
    return 0 if isinstance(result.export, LogsLink) else 1


def _stop(showing: asyncio.Task[None] | None, progress: Progress) -> None:
    if showing is not None and not showing.done():
        showing.cancel()
        progress.clear()


def _miss_text(miss: Miss, settings: Settings) -> str:
    if isinstance(miss, HarnessRefused) and miss.passing:
        detail = f": {miss.detail}" if miss.detail else ""
        return (
            f"Harness at {settings.harness_base_url} did not answer{detail}. Check "
            f"HARNESS_BASE_URL and the network (`{PROG} doctor` checks the settings)."
        )
    return miss_text(miss, PLAIN)


def _suggested(target: Target, miss: Miss) -> list[str]:
    """Each suggestion as the whole command line to type."""
    if not isinstance(target, NamedTarget):
        return []
    targets: list[NamedTarget] = []
    for suggestion in suggestions_of(miss):
        if isinstance(miss, NoSuchPipeline):
            targets.append(dataclasses.replace(target, pipeline=suggestion))
        elif isinstance(miss, NoSuchRun):
            targets.append(dataclasses.replace(target, run=int(suggestion.lstrip("#"))))
        elif isinstance(miss, NoSuchStage):
            targets.append(dataclasses.replace(target, stage=suggestion))
        elif isinstance(miss, NoSuchStep):
            targets.append(dataclasses.replace(target, step=suggestion))
    return [_command_line(t) for t in targets]


def _command_line(target: NamedTarget) -> str:
    return " ".join([_NAME, *(_shell_word(w) for w in command_words(target))])


def _plain_markup(text: str) -> str:
    """The grammar's sentences mark words to type with backticks; a terminal shows
    them as they are."""
    return text.replace("`", "")


_PROBLEMS = {
    Reason.NO_LOGS: "No logs yet for the {scope}: Harness has nothing logged there. If the "
    "run has just started, try again in a minute.",
    Reason.TOO_MANY_FILES: "Too many log files to export at once. Name a stage or a step, "
    "e.g. {example}",
    Reason.ACCESS: "Harness refused the log download: the API key lacks access to this "
    "project's logs (Logs: View).",
    Reason.TIMEOUT: "Harness was still preparing the logs after {waited}. Try again in a few "
    "minutes, or name a stage or step for a smaller download.",
    Reason.UNAVAILABLE: "Harness's log service did not answer ({detail}). Try again in a minute.",
    Reason.UNSAFE_LINK: "The export link was refused: Harness handed out a link to a host "
    "this tool does not fetch from. Check HARNESS_BASE_URL.",
}


def _problem_text(problem: ExportProblem, result: LogsResult) -> str:
    execution = result.execution
    stage = next((f.stage_name for f in result.failures if f.stage_name), None)
    stage = stage or next((s.name for s in execution.stages()), "<stage>")
    example = _command_line(
        NamedTarget(execution.pipeline_identifier, execution.run_sequence, stage)
    )
    words = _PROBLEMS.get(problem.reason, "Harness could not export the logs: {detail}")
    return words.format(
        scope=scope_words(result.log_scope),
        example=example,
        waited=f"{problem.waited:.0f} s" if problem.waited is not None else "a while",
        detail=problem.detail or "no reason given",
    )


def _as_text(result: LogsResult) -> str:
    execution = result.execution
    lines = [
        f"{execution.pipeline_name} #{execution.run_sequence}: {execution.status}",
        f"  {execution.scope}  {result.execution_url}",
    ]
    for failure in result.failures:
        where = " › ".join(part for part in (failure.stage_name, failure.step_name) if part)
        lines.append("")
        lines.append(
            f"Failed in {where or 'the pipeline'}"
            + (f": {failure.message}" if failure.message else "")
        )
        if isinstance(failure.excerpt, Excerpt):
            lines.append(excerpt_text(failure.excerpt, 4000))
    lines.append("")
    if isinstance(result.export, LogsLink):
        expires = (
            f" (expires {result.export.expires_at:%Y-%m-%d %H:%M %Z})"
            if result.export.expires_at
            else ""
        )
        lines.append(f"Download{expires}: {result.export.url}")
    elif isinstance(result.export, ExportProblem):
        lines.append(_problem_text(result.export, result))
    return "\n".join(lines)


def _as_json(result: LogsResult) -> dict[str, Any]:
    execution = result.execution
    export = result.export
    return {
        "pipeline": execution.pipeline_identifier,
        "name": execution.pipeline_name,
        "run": execution.run_sequence,
        "status": execution.status,
        "scope": str(execution.scope),
        "execution_url": result.execution_url,
        "link": export.url if isinstance(export, LogsLink) else None,
        "expires": export.expires_at.isoformat()
        if isinstance(export, LogsLink) and export.expires_at
        else None,
        "problem": str(export.reason) if isinstance(export, ExportProblem) else None,
        "failures": [
            {
                "stage": f.stage_name,
                "step": f.step_name,
                "message": f.message,
                "headline": f.excerpt.headline if isinstance(f.excerpt, Excerpt) else None,
                "category": f.excerpt.kind.value if isinstance(f.excerpt, Excerpt) else None,
                "excerpt": "\n".join(f.excerpt.render_lines(4000))
                if isinstance(f.excerpt, Excerpt)
                else None,
            }
            for f in result.failures
        ],
    }


def _fail(message: str) -> int:
    print(f"{_NAME}: {message}", file=sys.stderr)
    return 2


__all__ = ["main", "run"]
