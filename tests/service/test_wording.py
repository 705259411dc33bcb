"""The words for a missed target, channel-neutral: the terminal's plain style carries
no Slack escapes; Slack's makes the same names inert."""

from __future__ import annotations

import typing

import pytest

from bot.domain.misses import Miss
from bot.service.wording import PLAIN, miss_text
from bot.slack.views.misses import miss_text as slack_words
from tests.slack.views.test_replies import _sample


@pytest.mark.parametrize("kind", typing.get_args(Miss), ids=lambda k: k.__name__)
def test_every_miss_reads_plainly_in_a_terminal_and_inertly_in_slack(kind: type) -> None:
    """The same sentence twice: a terminal shows a hostile name as it is (no Slack
    escapes), Slack shows it inert (it cannot ping anyone)."""
    miss = _sample(kind)
    plain, slack = miss_text(miss, PLAIN), slack_words(miss)
    assert len(plain) > 20 and "&lt;" not in plain and "&amp;" not in plain
    assert "<!channel>" not in slack and "<@U0BOSS>" not in slack
