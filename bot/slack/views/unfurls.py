"""What a pasted Harness execution link unfolds into (pure): the run's status and
duration, its first failures, and a Get logs button."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import Execution, Failure
from bot.slack.views.action_ids import GET_LOGS, OPEN_EXECUTION
from bot.slack.views.blocks import (
    action_button,
    context,
    duration,
    link_button,
    run_title,
    section,
    status_label,
    target_value,
)
from bot.slack.views.failures import failure_header


def unfurl_blocks(
    execution: Execution, failures: Sequence[Failure], execution_url: str
) -> list[dict[str, Any]]:
    """What a pasted execution link unfolds into: status, failures, and a Get logs button."""
    title = run_title(execution)
    took = duration(execution)
    head = f"*<{execution_url}|{title}>*  {status_label(execution.status)}"
    if took:
        head += f" · {took}"
    blocks = [section(head)]
    for failure in failures[:3]:
        blocks.append(section(failure_header(failure, 400)))
    if len(failures) > 3:
        blocks.append(context(f"…and {len(failures) - 3} more failed steps"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                action_button(
                    ":page_facing_up: Get logs",
                    GET_LOGS,
                    target_value(execution.org, execution.project, execution.plan_execution_id),
                ),
                link_button("Open in Harness", execution_url, OPEN_EXECUTION),
            ],
        }
    )
    return blocks


__all__ = ["unfurl_blocks"]
