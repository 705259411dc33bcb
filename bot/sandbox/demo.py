"""The sandbox's demo world: the test world's pipelines and runs (two projects,
green and failed runs, a chained pipeline), with a realistic deploy log for the
failed `deploy_checkout #42` that prints a secret, so its redaction shows; and the
people and channel in it, by id and by the name the transcript shows."""

from __future__ import annotations

from emulators import slack as slack_emu
from emulators.harness import HarnessEmulator
from emulators.harness.runs import ndjson, step_key
from emulators.harness.world import build_world
from emulators.slack import SlackEmulator

CHANNEL = "C0INCIDENT"
USER = "U0SANDBOX1"  # you, the person at the prompt

NAMES = {USER: "you", slack_emu.BOT_USER_ID: "harness-logs", CHANNEL: "incident"}  # ids -> names
CHANNELS = {CHANNEL: "#incident"}

ROLLOUT_LOG = [
    ("info", "+ helm upgrade --install checkout ./charts/checkout --namespace prod\n"),
    ("info", 'Release "checkout" has been upgraded. Happy Helming!\n'),
    ("info", "+ export DB_PASSWORD=hunter2-Sup3rS3cret-Pa55w0rd\n"),
    ("info", "+ kubectl rollout status deployment/checkout -n prod --timeout=300s\n"),
    (
        "info",
        'Waiting for deployment "checkout" rollout to finish: '
        "0 of 3 updated replicas are available...\n",
    ),
    ("info", "Warning: pod checkout-7d9f8-x2k4q: Back-off restarting failed container\n"),
    ("info", "Error from server: CrashLoopBackOff: checkout failed to connect to postgres:5432\n"),
    ("info", 'error: deployment "checkout" exceeded its progress deadline\n'),
    ("info", "kubectl rollout status deployment/checkout timed out: 0 of 3 pods ready\n"),
    ("info", "Command finished with status FAILURE\n"),
]


def build_demo(harness: HarnessEmulator, slack: SlackEmulator, you: str) -> None:
    """The world, with you as the person who started the failed run (so its alert
    mentions you) and a history: #42 is the first failure after green runs."""
    build_world(harness)
    run = next(
        r
        for r in harness.pipelines[("default", "shop")]["deploy_checkout"].runs
        if r.run_sequence == 42
    )
    run.triggered_by, run.triggered_by_email = "you", "you@acme.test"
    slack.people["you@acme.test"] = you
    slack.user_channels[you] = {CHANNEL}  # so App Home shows #incident's subscriptions
    slack.channel_names[CHANNEL] = "incident"
    key = step_key(harness.account, run, "deploy_prod", "rollout")
    harness.logs[f"{key}-commandUnit:Execute"] = ndjson(
        ROLLOUT_LOG, run.started_at or 0.0, minute=1
    )


__all__ = ["CHANNEL", "CHANNELS", "NAMES", "USER", "build_demo"]
