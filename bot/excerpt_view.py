"""An excerpt as people read it outside Slack: the kind, the headline, the lines.

Shared by the terminal commands; the Slack layer has its own Block Kit form of
the same pieces (bot/slack/views/failures.py), built from the same labels.
"""

from __future__ import annotations

from bot.domain import Excerpt, Kind

KIND_LABELS: dict[Kind, str] = {
    Kind.TEST_FAILURE: "test failure",
    Kind.COMPILE_ERROR: "compile error",
    Kind.LINT_ERROR: "lint error",
    Kind.DEPENDENCY_INSTALL: "dependency install",
    Kind.PERMISSION_OR_SECRET: "permission or secret",
    Kind.TIMEOUT_OR_OOM: "timeout or out of memory",
    Kind.NETWORK_OR_FLAKY: "network or flaky",
    Kind.CONTAINER_BUILD: "container build",
    Kind.PIPELINE_CONFIG: "pipeline config",
    Kind.UNKNOWN: "unknown cause",
}


def headline_text(excerpt: Excerpt) -> str | None:
    """`[test failure] 1 test failed: …`, or None when nothing read as a failure."""
    if not excerpt.headline:
        return None
    return f"[{KIND_LABELS[excerpt.kind]}] {excerpt.headline}"


def excerpt_text(
    excerpt: Excerpt,
    max_chars: int,
    line_chars: int | None = None,
    *,
    compared_with: str | None = None,
) -> str:
    """The headline, then the most telling lines that fit in `max_chars` in all.

    `compared_with` names the last success's log when it is not a run (a local file).
    """
    head = headline_text(excerpt)
    notes = []
    green = f"run #{excerpt.compared_with}" if excerpt.compared_with is not None else compared_with
    if green is not None:
        demoted = excerpt.similar_to_green
        lower = (
            f": {demoted:,} failure line{'s' if demoted != 1 else ''} it printed too ranked lower"
            if demoted
            else ""
        )
        notes.append(f"(compared with {green}, the last success{lower})")
    top = [line for line in (head, *notes) if line]
    room = max_chars - sum(len(line) + 1 for line in top)
    return "\n".join([*top, *excerpt.render_lines(room, line_chars)])
