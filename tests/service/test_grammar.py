"""The /harness-logs grammar: every documented form, and the inputs it must refuse."""

from __future__ import annotations

import pytest

from bot.domain import Filters, Scope
from bot.service.grammar import (
    CommandError,
    FetchLogs,
    Help,
    Subscribe,
    Unmute,
    command_words,
    parse_command,
)
from bot.service.targets import NamedTarget, Target, UrlTarget


def target(text: str) -> Target:
    parsed = parse_command(text)
    assert isinstance(parsed, FetchLogs)
    return parsed.target


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "--help", "?"])
def test_help_and_empty_text_ask_for_usage(text: str) -> None:
    assert parse_command(text) == Help()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deploy_checkout", NamedTarget("deploy_checkout")),
        ("deploy_checkout #42", NamedTarget("deploy_checkout", run=42)),
        ("deploy_checkout #42 deploy_prod", NamedTarget("deploy_checkout", 42, "deploy_prod")),
        (
            "deploy_checkout #42 deploy_prod/rollout",
            NamedTarget("deploy_checkout", 42, "deploy_prod", "rollout"),
        ),
        (
            "deploy_checkout #42 deploy_prod.rollout",
            NamedTarget("deploy_checkout", 42, "deploy_prod", "rollout"),
        ),
        (
            "deploy_checkout deploy_prod/rollout",
            NamedTarget("deploy_checkout", None, "deploy_prod", "rollout"),
        ),
        (
            '"Deploy Checkout" #42 "Deploy Prod"/Rollout',
            NamedTarget("Deploy Checkout", 42, "Deploy Prod", "Rollout"),
        ),
        (
            "“Deploy Checkout” ‘Deploy Prod’/Rollout",
            NamedTarget("Deploy Checkout", None, "Deploy Prod", "Rollout"),
        ),
        (
            '"Deploy Prod v1.2" "stage.with.dots"',
            NamedTarget("Deploy Prod v1.2", None, "stage.with.dots"),
        ),
        (
            "deploy_checkout in payments/checkout",
            NamedTarget("deploy_checkout", scope=Scope("payments", "checkout")),
        ),
        (
            "deploy_checkout #7 build/compile IN payments/checkout",
            NamedTarget("deploy_checkout", 7, "build", "compile", Scope("payments", "checkout")),
        ),
        ("  deploy_checkout   #42  ", NamedTarget("deploy_checkout", run=42)),
        # A run number needs no `#` (a shell would read `#42` as a comment).
        ("deploy_checkout 42", NamedTarget("deploy_checkout", run=42)),
        (
            "deploy_checkout 42 deploy_prod/rollout",
            NamedTarget("deploy_checkout", 42, "deploy_prod", "rollout"),
        ),
    ],
)
def test_named_targets(text: str, expected: NamedTarget) -> None:
    assert target(text) == expected


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (
            "https://app.harness.io/ng/account/a/module/cd/orgs/o/projects/p/pipelines/x/executions/E/pipeline",
            "https://app.harness.io/ng/account/a/module/cd/orgs/o/projects/p/pipelines/x/executions/E/pipeline",
        ),
        # Slack wraps links in angle brackets (with an optional label) and escapes `&`.
        (
            "<https://app.harness.io/ng/#/account/a/cd/orgs/o/projects/p/pipelines/x/executions/E/pipeline?stage=s&amp;step=t>",
            "https://app.harness.io/ng/#/account/a/cd/orgs/o/projects/p/pipelines/x/executions/E/pipeline?stage=s&step=t",
        ),
        ("<https://acme.harness.io/ng/x|the run>", "https://acme.harness.io/ng/x"),
    ],
)
def test_urls_are_recognised(text: str, url: str) -> None:
    assert target(text) == UrlTarget(url)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("../etc/passwd", "cannot contain `/`"),
        ("deploy_checkout ../../secrets", "Name at most a stage and a step"),
        ('deploy_checkout ".."', "not a valid stage name"),
        ("deploy?x=1", "not a valid pipeline name"),
        ("deploy&x", "not a valid pipeline name"),
        ('deploy_checkout "a/b"', "not a valid stage name"),
        ("deploy_checkout #abc", "not a run number"),
        ("deploy_checkout #0", "not a run number"),
        ("deploy_checkout #42 a/b/c", "at most a stage and a step"),
        ("deploy_checkout in payments", "in <org>/<project>"),
        ("deploy_checkout in pay-ments/checkout", "not a valid organization identifier"),
        ("deploy_checkout in payments/../x", "in <org>/<project>"),
        ("deploy_checkout one two", "did not understand `two`"),
        ('"Deploy Checkout', "quote is not closed"),
        ("deploy\x00checkout", "control characters"),
        ("deploy\x1b[31mcheckout", "control characters"),
        ("x" * 10_000, "too long"),
        ("https://app.harness.io/ng/x extra words", "on its own"),
        ("<@U123> deploy", "not a valid pipeline name"),
        ("deploy_checkout 0", "not a run number"),
        ("deploy_checkout 42x", "not a run number"),
    ],
)
def test_malformed_text_is_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(CommandError, match=None) as caught:
        parse_command(text)
    assert says in str(caught.value)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "expected",
    [
        NamedTarget("deploy_checkout"),
        NamedTarget("Deploy Checkout", 42, "Deploy Prod", "Rollout"),
        NamedTarget("deploy_checkout", 7, "stage.with.dots", scope=Scope("payments", "checkout")),
        NamedTarget("Deploy Prod v1.2", None, "2nd stage", "x.y"),
        NamedTarget("$pipe-1", 3, "a b", None),
    ],
)
def test_a_target_written_back_as_words_reads_back_as_itself(expected: NamedTarget) -> None:
    # What suggestions show: typed as shown, it must name the same thing.
    assert target(" ".join(command_words(expected))) == expected


def test_subscription_options_keep_slashes_in_branch_globs() -> None:
    parsed = parse_command(
        'subscribe "Deploy Checkout" branch=main,release/* stages=deploy_*,Canary '
        "events=all mention=none in default/shop"
    )
    assert parsed == Subscribe(
        "Deploy Checkout",
        Scope("default", "shop"),
        "all",
        Filters(("main", "release/*"), ("deploy_*", "Canary"), "none"),
    )
    assert parse_command("subscribe deploy branch=*") == Subscribe("deploy")
    assert parse_command("unmute deploy in payments/checkout") == Unmute(
        "deploy", Scope("payments", "checkout")
    )
