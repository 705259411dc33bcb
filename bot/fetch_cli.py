"""`harness-logs-bot fetch <the words of the slash command> [--json]`: the same lookup,
export and excerpt as `/harness-logs`, in a terminal.

Needs only the Harness settings. Prints the run's status, what failed (headline
and excerpt of each failed step) and the download link; `--json` prints one object
for scripts. Exit codes: 0 with a link, 1 when Harness reported a problem (no link),
2 for bad input or settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

from bot.clock import Clock
from bot.config import SettingsError, load_settings
from bot.domain import Excerpt, ExportProblem, LogsLink
from bot.domain.misses import HarnessRefused
from bot.excerpt import warm_up
from bot.excerpt_view import excerpt_text
from bot.logging_setup import configure_logging
from bot.metrics import Metrics
from bot.sandbox.render import plain
from bot.service import LogsResult, TargetError
from bot.slack.grammar import CommandError, FetchLogs, Help, parse_command
from bot.slack.views.messages import problem_text
from bot.slack.views.misses import miss_text
from bot.wiring import harness_side

# Slack is not used here; a well-formed stand-in satisfies the settings' checks.
_NO_SLACK = "xoxb-0-0-fetch"


def main(argv: list[str]) -> int:
    return asyncio.run(run(argv))


async def run(argv: list[str]) -> int:
    """`main` without its event loop (what the tests drive)."""
    as_json = "--json" in argv
    words = " ".join(a for a in argv if a != "--json")
    try:
        parsed = parse_command(words)
    except CommandError as exc:
        return _fail(str(exc))
    if isinstance(parsed, Help) or not words:
        print(
            "usage: harness-logs-bot fetch <pipeline> [#run] [stage[/step]] [in org/project]"
            " | <execution URL> [--json]"
        )
        return 0 if isinstance(parsed, Help) else 2
    if not isinstance(parsed, FetchLogs):
        return _fail("subscriptions live in Slack: use /harness-logs there")
    try:
        settings = load_settings(slack_bot_token=_NO_SLACK)
    except SettingsError as exc:
        return _fail("; ".join(exc.problems))
    # The answer is the output; the bot's own log only for what went wrong.
    configure_logging("ERROR", settings.secrets())
    return await _fetch(settings, parsed, as_json)


async def _fetch(settings: Any, parsed: FetchLogs, as_json: bool) -> int:
    await asyncio.to_thread(warm_up)
    clock = Clock()
    side = harness_side(settings, Metrics(), None, clock)
    progress = asyncio.create_task(_progress(clock)) if sys.stderr.isatty() else None
    try:
        side.service.check(parsed.target)
        result = await side.service.fetch_logs(parsed.target)
    except TargetError as exc:
        code = 1 if isinstance(exc.miss, HarnessRefused) else 2
        if as_json:
            print(json.dumps({"error": plain(miss_text(exc.miss))}))
        else:
            print(f"harness-logs-bot fetch: {plain(miss_text(exc.miss))}", file=sys.stderr)
        return code
    finally:
        if progress is not None:
            progress.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await progress
            print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
        await side.close()
    print(json.dumps(_as_json(result), ensure_ascii=False) if as_json else _as_text(result))
    return 0 if isinstance(result.export, LogsLink) else 1


async def _progress(clock: Clock) -> None:
    started = clock.monotonic()
    while True:
        waited = clock.monotonic() - started
        print(f"\rHarness is preparing the export … {waited:.0f} s", end="", file=sys.stderr)
        await asyncio.sleep(0.5)  # a clock for a person to read


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
        lines.append(plain(problem_text(result.export, result)))
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
    print(f"harness-logs-bot fetch: {message}", file=sys.stderr)
    return 2


__all__ = ["main"]
