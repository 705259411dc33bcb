"""Helpers for the incident-channel tests: webhooks and signed Slack events."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier

from emulators import slack as slack_emu
from emulators.harness import HarnessEmulator
from tests.conftest import RunningBot

WEBHOOK_TOKEN = "whk-4f1c2a9e7d3b5c8a"
SAMPLE = json.loads(
    (Path(__file__).parent / "fixtures" / "webhook-pipeline-failed.json").read_text()
)
_event_ids = itertools.count(1)


def run_of(
    harness: HarnessEmulator, pipeline: str, run: int, org: str = "default", project: str = "shop"
) -> Any:
    return next(
        r for r in harness.pipelines[(org, project)][pipeline].runs if r.run_sequence == run
    )


def event_body(
    harness: HarnessEmulator,
    event_type: str = "PipelineFailed",
    pipeline: str = "deploy_checkout",
    run: int = 42,
    **extra: Any,
) -> dict[str, Any]:
    """A Harness notification shaped like the documented sample, for a run of the world."""
    spec = run_of(harness, pipeline, run)
    body = copy.deepcopy(SAMPLE)
    data = body["eventData"]
    data.update(
        {
            "accountIdentifier": harness.account,
            "orgIdentifier": spec.org,
            "projectIdentifier": spec.project,
            "pipelineIdentifier": pipeline,
            "pipelineName": spec.pipeline_name,
            "planExecutionId": spec.plan_execution_id,
            "eventType": event_type,
            "errorMessage": "1 error(s) occurred: exit status 1"
            if "Failed" in event_type
            else None,
        }
    )
    data.update(extra)
    return dict(body)


async def post_webhook(
    bot: RunningBot,
    body: Any,
    *,
    token: str | None = WEBHOOK_TOKEN,
    header: bool = False,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    url = bot.url + "/harness/webhook"
    headers = {"content-type": "application/json"}
    if token is not None and header:
        headers["X-Webhook-Token"] = token
    elif token is not None:
        url += f"?token={token}"
    data = raw if raw is not None else json.dumps(body).encode()
    async with bot.session.post(url, data=data, headers=headers) as resp:
        text = await resp.text()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = {"body": text}
    return resp.status, answer


async def slack_event(
    bot: RunningBot, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
) -> int:
    body = json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": slack_emu.TEAM_ID,
            "api_app_id": "A0123456789",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}",
            "event_time": int(bot.app.clock.time()),
            "authorizations": [
                {"team_id": slack_emu.TEAM_ID, "user_id": slack_emu.BOT_USER_ID, "is_bot": True}
            ],
        }
    )
    ts = str(int(bot.app.clock.time()))

    headers = {
        "content-type": "application/json",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": str(
            SignatureVerifier(slack_emu.SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        ),
    }
    if retry is not None:
        headers["x-slack-retry-num"] = str(retry)
        headers["x-slack-retry-reason"] = "http_timeout"
    async with bot.session.post(
        bot.url + "/slack/events", data=body.encode(), headers=headers
    ) as resp:
        return resp.status


def blocks_of(call: Any) -> list[dict[str, Any]]:
    raw = call.args.get("blocks")
    if raw is None:
        return []
    return raw if isinstance(raw, list) else json.loads(raw)


def text_of(call: Any) -> str:
    return json.dumps(
        {"text": call.args.get("text"), "blocks": blocks_of(call)}, ensure_ascii=False
    )
