"""What a person is told while their request is handled: the usage, the progress
notes, names not found and errors are ephemeral, and no name can ping or break the
formatting."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest

from bot.domain import Reason
from bot.domain.misses import LinkProblem, Miss, NoSuchPipeline
from bot.service.targets import NamedTarget, TargetError
from bot.slack.views.replies import fetching_message, target_error_message, usage_message
from tests.blockkit import all_text, assert_valid_message


def test_usage_lists_every_form_and_is_ephemeral() -> None:
    message = usage_message()
    assert_valid_message(message)
    assert message["response_type"] == "ephemeral"
    text = all_text(message)
    for form in (
        "#42",
        "deploy_prod/rollout",
        '"Deploy Checkout"',
        "in payments/checkout",
        "https://",
    ):
        assert form in text


def test_errors_and_acknowledgements_are_ephemeral() -> None:
    error = target_error_message(
        TargetError(NoSuchPipeline("x", "default/shop", ("deploy_checkout",)))
    )
    assert error["response_type"] == "ephemeral"
    assert "Did you mean `deploy_checkout`?" in error["text"]
    ack = fetching_message(NamedTarget("deploy_checkout", 42, "deploy_prod", "rollout"))
    assert ack["response_type"] == "ephemeral"
    assert "*deploy_checkout* #42 › deploy_prod › rollout" in ack["text"]


HOSTILE = "<!channel> `x` <@U0BOSS>"


def _sample(kind: type) -> Any:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        if field.name == "problem":
            values[field.name] = LinkProblem.UNKNOWN_HOST
        elif field.name == "reason":
            values[field.name] = Reason.NOT_FOUND
        elif field.name in ("run",):
            values[field.name] = 7
        elif field.name == "from_link":
            values[field.name] = True
        elif field.name in ("suggestions", "identifiers", "scopes"):
            values[field.name] = (HOSTILE,)
        else:
            values[field.name] = HOSTILE
    return kind(**values)


@pytest.mark.parametrize("kind", typing.get_args(Miss), ids=lambda k: k.__name__)
def test_every_miss_has_words_that_cannot_ping_or_break_formatting(kind: type) -> None:
    message = target_error_message(TargetError(_sample(kind)))
    text = message["text"]
    assert message["response_type"] == "ephemeral"
    assert text.startswith(":warning: ") and len(text) > 30
    assert "<!channel>" not in text and "<@U0BOSS>" not in text
    assert "`x`" not in text  # a backtick in a name cannot open or close a code span
