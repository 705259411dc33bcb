"""Execution URLs people paste: every shape in DESIGN.md, and the ones to refuse."""

from __future__ import annotations

import pytest

from bot.domain import ExecutionRef
from bot.domain.misses import LinkProblem as P
from bot.harness.urls import ExecutionUrlError, parse_execution_url

HOSTS = frozenset({"app.harness.io", "acme.harness.io", "harness.internal.example"})
ACC = "a1B2c3D4e5F6g7H8i9J0kL"
TAIL = (
    "orgs/web/projects/storefront/pipelines/release_web/executions/u7GfR2kLQp6vN0xWb3yZtA/pipeline"
)
REF = ExecutionRef(ACC, "web", "storefront", "release_web", "u7GfR2kLQp6vN0xWb3yZtA")


@pytest.mark.parametrize(
    "url",
    [
        f"https://app.harness.io/ng/account/{ACC}/module/cd/{TAIL}",
        f"https://app.harness.io/ng/account/{ACC}/all/{TAIL}",
        f"https://app.harness.io/ng/account/{ACC}/all/cd/{TAIL}",
        f"https://app.harness.io/ng/account/{ACC}/module/ci/{TAIL}",
        f"https://app.harness.io/ng/account/{ACC}/cd/{TAIL}",
        f"https://app.harness.io/ng/#/account/{ACC}/cd/{TAIL}",
        f"https://app.harness.io/ng/#/account/{ACC}/module/ci/{TAIL}",
        f"https://APP.harness.io/ng/account/{ACC}/module/cd/{TAIL}/",
        f"https://acme.harness.io/ng/account/{ACC}/module/cd/{TAIL}",
        f"https://harness.internal.example:8443/ng/account/{ACC}/module/cd/{TAIL}",
        f"http://harness.internal.example/ng/account/{ACC}/all/{TAIL}",
        f"https://app.harness.io/ng/account/{ACC}/module/cd/{TAIL}?storeType=INLINE",
        # Percent-encoded identifiers decode to the same execution.
        f"https://app.harness.io/ng/account/{ACC}/module/cd/orgs/w%65b/projects/storefront/"
        "pipelines/release%5Fweb/executions/u7GfR2kLQp6vN0xWb3yZtA/pipeline",
    ],
)
def test_every_documented_shape_parses(url: str) -> None:
    assert parse_execution_url(url, HOSTS) == REF


def test_ci_build_urls_use_deployments() -> None:
    url = (
        f"https://app.harness.io/ng/account/{ACC}/ci/orgs/web/projects/storefront/"
        "pipelines/release_web/deployments/u7GfR2kLQp6vN0xWb3yZtA/pipeline"
    )
    assert parse_execution_url(url, HOSTS) == REF


@pytest.mark.parametrize(
    ("url", "stage", "step"),
    [
        (
            f"https://app.harness.io/ng/account/{ACC}/cd/{TAIL}?stage=2aeb818ead3cf18eb8d679",
            "2aeb818ead3cf18eb8d679",
            None,
        ),
        (
            f"https://app.harness.io/ng/account/{ACC}/cd/{TAIL}?stage=2aeb818e&step=1295ebd3&stageExecId=zz",
            "2aeb818e",
            "1295ebd3",
        ),
        (f"https://app.harness.io/ng/#/account/{ACC}/cd/{TAIL}?stage=S1&step=T-2_x", "S1", "T-2_x"),
    ],
)
def test_stage_and_step_query_parameters(url: str, stage: str, step: str | None) -> None:
    ref = parse_execution_url(url, HOSTS)
    assert (ref.stage_node, ref.step_node) == (stage, step)


@pytest.mark.parametrize(
    ("url", "problem", "value"),
    [
        (
            f"https://evil.example.com/ng/account/{ACC}/cd/{TAIL}",
            P.UNKNOWN_HOST,
            "evil.example.com",
        ),
        (
            f"https://app.harness.io.evil.com/ng/account/{ACC}/cd/{TAIL}",
            P.UNKNOWN_HOST,
            "app.harness.io.evil.com",
        ),
        (f"https://app.harness.io@evil.com/ng/account/{ACC}/cd/{TAIL}", P.UNKNOWN_HOST, "evil.com"),
        (f"ftp://app.harness.io/ng/account/{ACC}/cd/{TAIL}", P.NOT_HTTP, ""),
        (f"javascript://app.harness.io/ng/account/{ACC}/cd/{TAIL}", P.NOT_HTTP, ""),
        (
            "https://app.harness.io/ng/account/x/cd/orgs/o/projects/p/pipelines/q",
            P.NOT_AN_EXECUTION,
            "",
        ),
        (f"https://app.harness.io/ng/account/{ACC}/settings", P.NOT_AN_EXECUTION, ""),
        (
            f"https://app.harness.io/ng/account/{ACC}/cd/orgs/web/projects/store%2F..%2Fx/"
            "pipelines/p/executions/e/pipeline",
            P.BAD_IDENTIFIER,
            "project",
        ),
        (
            f"https://app.harness.io/ng/account/{ACC}/cd/{TAIL}?stage=../../x",
            P.BAD_NODE_PARAMETER,
            "stage",
        ),
        ("https://[::1/ng", P.NOT_A_URL, ""),
        ("https://app.harness.io/" + "a" * 3000, P.TOO_LONG, ""),
    ],
)
def test_foreign_or_malformed_urls_are_refused(url: str, problem: P, value: str) -> None:
    with pytest.raises(ExecutionUrlError) as caught:
        parse_execution_url(url, HOSTS)
    assert (caught.value.problem, caught.value.value) == (problem, value)
