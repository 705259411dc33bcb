"""Harness's failed answers in words: every error shape it uses, trimmed, never
carrying the key."""

from __future__ import annotations

import httpx
import pytest

from bot.harness.errors import error_detail


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"error_msg": "cannot list files for prefix"}, "cannot list files for prefix"),
        ({"status": "ERROR", "code": "X", "message": "Pipeline not found"}, "Pipeline not found"),
        ({"error": "bad gateway"}, "bad gateway"),
        ({"message": "  spaced\n out  "}, "spaced out"),
        ({"message": "x" * 1000}, "x" * 300 + "…"),
    ],
)
def test_error_text_from_every_gateway_shape(body: dict[str, str], detail: str) -> None:
    assert error_detail(httpx.Response(500, json=body)) == detail


def test_error_text_never_carries_the_key() -> None:
    response = httpx.Response(401, json={"message": "key pat.1.2.SECRET rejected"})
    assert error_detail(response, ("pat.1.2.SECRET",)) == "key [REDACTED] rejected"
