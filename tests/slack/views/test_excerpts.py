"""Error excerpts in the post, end to end: every shape of failure and of log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from emulators.harness import HarnessEmulator
from emulators.harness.runs import RunSpec, StageSpec, StepSpec
from emulators.harness.world import HELM_FAILURE, ROLLOUT_FAILURE
from emulators.slack import BOT_TOKEN
from tests.blockkit import all_text, assert_valid_message
from tests.conftest import RunningBot
from tests.slack.support import ask, buttons, code_blocks, key_of, line


async def test_failed_run_shows_the_failing_steps_log_in_time_order(bot: RunningBot) -> None:
    _, reply = await ask(bot, "deploy_checkout")
    (code,) = code_blocks(reply)
    # Command units come as separate files in the zip; they read in time order.
    order = [
        "Initialize done",
        "+ Rollout",
        ROLLOUT_FAILURE,
        "Command finished with status FAILURE",
        "Cleanup done",
    ]
    positions = [code.index(text) for text in order]
    assert positions == sorted(positions)
    assert "\x1b" not in code
    assert "1 read as errors" in all_text(reply)
    assert buttons(reply, "show_full_excerpt")


async def test_failed_stage_and_failed_step_carry_the_excerpt(bot: RunningBot) -> None:
    for text in ("deploy_checkout #42 deploy_prod", "deploy_checkout #42 deploy_prod/rollout"):
        _, reply = await ask(bot, text)
        (code,) = code_blocks(reply)
        assert ROLLOUT_FAILURE in code


async def test_a_successful_run_has_no_excerpt(bot: RunningBot) -> None:
    _, reply = await ask(bot, "deploy_checkout #41")
    assert code_blocks(reply) == []
    assert not buttons(reply, "show_full_excerpt")


async def test_two_failed_steps_each_get_an_excerpt(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    _, reply = await ask(bot, "integration")
    codes = code_blocks(reply)
    assert len(codes) == 2
    assert "3 contract tests failed" in codes[0]
    assert "exit status 2" in codes[1]
    assert len(buttons(reply, "show_full_excerpt")) == 2
    # CI steps log at their own key: read straight from the blob, no export needed.
    assert len(harness.calls("logs.blob")) >= 2


async def test_a_step_that_failed_without_a_log_says_so(bot: RunningBot) -> None:
    _, reply = await ask(bot, "gated_release")
    text = all_text(reply)
    assert "Failed in Approve › Sign-off" in text
    assert "Approval rejected by bob" in text
    assert "this step wrote no log" in text
    assert code_blocks(reply) == []


async def test_a_huge_gzip_encoded_log_is_streamed_and_the_planted_errors_found(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    total = 200_000  # about 30 MB of NDJSON
    filler = [
        line("info", f"[INFO] test {i:07d} passed in 0.01s, all assertions green and happy\n", i)
        for i in range(64)
    ]

    def huge() -> Iterator[bytes]:
        for start in range(0, total, 1000):
            chunk = []
            for i in range(start, start + 1000):
                if i == int(total * 0.6):
                    chunk.append(
                        line("error", "PLANTED-FIRST: database migration 0042 failed\n", i)
                    )
                elif i == total - 1:
                    chunk.append(line("error", "PLANTED-LAST: giving up after 3 attempts\n", i))
                else:
                    chunk.append(filler[i % 64])
            yield b"".join(chunk)

    harness.logs[key_of(harness, "integration", 5, "ui", "e2e")] = huge
    harness.gzip_blobs = True
    _, reply = await ask(bot, "integration #5 ui/e2e")
    (code,) = code_blocks(reply)
    assert "PLANTED-FIRST" in code
    assert "PLANTED-LAST" in code
    assert "lines omitted" in code
    assert f"{total:,} log lines, 2 read as errors" in all_text(reply)


async def test_a_zip_bomb_stops_at_the_cap_and_shows_what_was_read(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(log_read_max_uncompressed_bytes=2_000_000)
    key = key_of(harness, "deploy_checkout", 42, "deploy_prod", "rollout") + "-commandUnit:Execute"
    row = line("info", "A" * 200 + "\n")

    def bomb() -> Iterator[bytes]:
        yield line("error", "BOMB-START\n")
        for _ in range(200_000):  # ~45 MB that deflates to almost nothing
            yield row

    harness.logs[key] = bomb
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/rollout")
    text = all_text(reply)
    assert "log too large, showing what was read" in text
    assert "BOMB-START" in code_blocks(reply)[0]
    assert "download_logs" in text  # the link is posted all the same


async def test_the_download_cap_stops_reading(start_bot: Any, harness: HarnessEmulator) -> None:
    bot = await start_bot(log_read_max_bytes=50_000)
    key = key_of(harness, "integration", 5, "ui", "e2e")
    harness.logs[key] = b"".join(line("info", f"noise {i} {'x' * 100}\n", i) for i in range(5000))
    _, reply = await ask(bot, "integration #5 ui/e2e")
    assert (
        "log too large, showing what was read (log larger than the 48 KB download limit)"
        in all_text(reply)
    )


async def test_a_link_on_a_foreign_host_is_never_fetched(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.link_origin = "https://logs.evil.example"
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/rollout")
    text = all_text(reply)
    assert "the export link was refused" in text
    assert "logs.evil.example" not in text  # said in the bot's log, not to people
    assert code_blocks(reply) == []
    assert harness.downloads == []


async def test_a_gzip_encoded_zip_download_is_read(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.gzip_downloads = True
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/rollout")
    assert ROLLOUT_FAILURE in code_blocks(reply)[0]


async def test_secrets_in_a_step_log_never_reach_slack(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    harness.logs[key_of(harness, "integration", 5, "ui", "e2e")] = b"".join(
        [
            line("info", "export GITHUB_TOKEN=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\n", 1),
            line("info", f"curl -H 'Authorization: Bearer {BOT_TOKEN}' https://slack.com/api\n", 2),
            line("info", f"using key {harness.api_key}\n", 3),
            line("error", "deploy failed: https://ci:Sup3rSecretPw@registry.acme.test\n", 4),
        ]
    )
    _, reply = await ask(bot, "integration #5 ui/e2e")
    text = all_text(reply)
    for secret in (
        "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",
        BOT_TOKEN,
        harness.api_key,
        "Sup3rSecretPw",
    ):
        assert secret not in text
    assert "[REDACTED:github_token]" in text


LEAKS = {
    '{\\"password\\":\\"JsonEscapedPw1\\"}': "JsonEscapedPw1",
    "export DB_PASSWORD\x1b(B=AnsiSplitPw22": "AnsiSplitPw22",
    "docker login --password RegistryPw333 registry.acme.test": "RegistryPw333",
    "mysql -uroot -pMysqlPw4444 -h db": "MysqlPw4444",
    "curl -u deploy:CurlPw55555 https://nexus.acme.test": "CurlPw55555",
    '{"auths":{"r.acme.test":{"auth":"ZGVwbG95OkRvY2tlckF1dGg2"}}}': "ZGVwbG95OkRvY2tlckF1dGg2",
    "AccountKey=QXp1cmVBY2NvdW50S2V5Nw==;": "QXp1cmVBY2NvdW50S2V5Nw",
    "https://acme.blob.core.windows.net/c?sv=1&sig=U2FzU2lnbmF0dXJlOA%3D%3D": "U2FzU2lnbmF0dXJlOA",
    "body password%3DUrlEncodedPw9": "UrlEncodedPw9",
    "https://hooks.slack.com/services/T0ACME0000/B0ACME0000/SlackHookSecret10xx": "SlackHookSecret10",
    "STRIPE_KEY sk_live_StripeLiveKey11xxxxxxxx": "StripeLiveKey11",
    "calling api with Bearer BearerToken12xxxxxxxx": "BearerToken12",
    "postgres://app:Url@Pw13@db.acme.test:5432/shop": "Url@Pw13",
}


async def test_every_known_leak_form_in_a_failing_log_stays_out_of_slack(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    entries = [*LEAKS, "  client_secret:", "    SplitLineSecret14", "-----BEGIN PRIVATE KEY-----"]
    entries += ["QkVHSU5LRVlCT0RZTElORTE1" * 3] * 300 + ["-----END PRIVATE KEY-----"]
    entries += ["Error: deploy failed with all of the above"]
    harness.logs[key_of(harness, "integration", 5, "ui", "e2e")] = b"".join(
        line("info", text + "\n", i) for i, text in enumerate(entries)
    )
    _, reply = await ask(bot, "integration #5 ui/e2e")
    (button,) = buttons(reply, "show_full_excerpt")
    await bot.press("show_full_excerpt", button["value"])
    await bot.slack.wait_for(
        lambda: (
            bot.slack.calls("chat.postMessage") or bot.slack.calls("files.completeUploadExternal")
        )
    )
    sent = json.dumps(reply) + json.dumps([c.args for c in bot.slack.api_calls])
    sent += "".join(content.decode() for content in bot.slack.uploads.values())
    for secret in [*LEAKS.values(), "SplitLineSecret14", "QkVHSU5LRVlCT0RZTElORTE1"]:
        assert secret not in sent, secret
    assert "deploy failed with all of the above" in sent


def green_integration_run(harness: HarnessEmulator) -> None:
    """Run #4 of `integration`, green, whose UI step printed a scary but harmless line."""
    harness.add_run(
        RunSpec(
            "integration",
            "Integration Tests",
            4,
            "Success",
            [
                StageSpec(
                    "ui",
                    "UI",
                    "Success",
                    [
                        StepSpec(
                            "e2e",
                            "E2E",
                            log=[
                                ("info", "Error: cache volume busy, retrying in 3s\n"),
                                ("info", "All 40 specs passed\n"),
                            ],
                        )
                    ],
                )
            ],
        )
    )


async def test_a_failure_is_compared_with_the_same_step_in_the_last_success(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(excerpt_compare_last_success=True)
    green_integration_run(harness)
    harness.logs[key_of(harness, "integration", 5, "ui", "e2e")] = b"".join(
        line("info", text + "\n", i)
        for i, text in enumerate(
            [
                "Error: cache volume busy, retrying in 5s",  # printed by the green run too
                *[f"spec {n} passed" for n in range(30)],
                "Error: checkout.spec.ts failed: expected total 10.00, got 9.99",
                "exit status 2",
            ]
        )
    )
    _, reply = await ask(bot, "integration #5 ui/e2e")
    text = all_text(reply)
    assert "compared with run #4 (last success): 1 failure line it printed too ranked lower" in text
    headline = next(row for row in text.splitlines() if row.startswith(":mag:"))
    assert "checkout.spec.ts failed: expected total 10.00, got 9.99" in headline
    # Asked again, the green log is not read again.
    green_key = next(k for k in harness.logs if "/integration/4/" in k and k.endswith("/ui/e2e"))
    reads = [r for r in harness.calls("logs.blob") if r.query["key"] == green_key]
    assert len(reads) == 1
    await ask(bot, "integration #5 ui/e2e")
    assert [r for r in harness.calls("logs.blob") if r.query["key"] == green_key] == reads


async def test_without_a_green_run_or_with_the_setting_off_nothing_is_compared(
    start_bot: Any, harness: HarnessEmulator
) -> None:
    bot = await start_bot(excerpt_compare_last_success=True)
    _, reply = await ask(bot, "integration #5 ui/e2e")  # no successful run before #5
    assert "compared with" not in all_text(reply)
    green_integration_run(harness)
    off = await start_bot(excerpt_compare_last_success=False)
    _, reply = await ask(off, "integration #5 ui/e2e")
    assert "compared with" not in all_text(reply)


async def test_hostile_and_long_log_lines_keep_the_message_within_slack_limits(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    hostile = "<!channel> ````` &amp; 😀 " + "é" * 400 + "\n"
    harness.logs[key_of(harness, "integration", 5, "ui", "e2e")] = b"".join(
        line("error" if i % 7 == 0 else "info", f"{i} {hostile}", i) for i in range(300)
    )
    _, reply = await ask(bot, "integration")
    assert_valid_message(reply)  # ≤ 3,000 per section, ≤ 50 blocks, ≤ 40,000 text
    for code in code_blocks(reply):
        assert code.endswith("```")
        assert code.count("```") == 2
        assert "<!channel>" not in code
        assert "``" not in code[3:-3]  # no run of backticks can close the block early
    assert "lines omitted" in "".join(code_blocks(reply))


@pytest.mark.parametrize(
    "step_details", [True, False], ids=["stage-names-its-run", "only-childGraph-says"]
)
async def test_a_failed_chained_pipeline_is_followed_into_its_own_run(
    bot: RunningBot, harness: HarnessEmulator, step_details: bool
) -> None:
    # Newer Harness names the child run in the Pipeline stage's step details; older
    # Harness only in `childGraph`, whose graph comes only for a `childStageNodeId`.
    harness.child_details = step_details
    _, reply = await ask(bot, "release_train")
    text = all_text(reply)
    assert "Failed in Deploy Services › Deploy › Helm Upgrade" in text
    (code,) = code_blocks(reply)
    assert HELM_FAILURE in code
    child_run = harness.pipelines[("payments", "checkout")]["payments_service"].runs[0]
    reads = harness.calls("executions.v2")
    # Asked through the parent's Pipeline stage only when the stage does not say.
    assert any("stageNodeId" in r.query for r in reads) is not step_details
    # The child run is read on its own, in its own project, with its whole graph.
    (own,) = [r for r in reads if r.path.endswith("/" + child_run.plan_execution_id)]
    assert (own.query["orgIdentifier"], own.query["projectIdentifier"]) == ("payments", "checkout")
    assert own.query["renderFullBottomGraph"] == "true"
    # The button points at the child's own run, so the full excerpt finds the step.
    (button,) = buttons(reply, "show_full_excerpt")
    ref = json.loads(button["value"])
    assert (ref["o"], ref["p"], ref["e"]) == ("payments", "checkout", child_run.plan_execution_id)
    await bot.press("show_full_excerpt", button["value"])
    posted = await bot.slack.wait_for(lambda: bot.slack.calls("chat.postMessage"))
    assert HELM_FAILURE in json.dumps(posted[0].args)
