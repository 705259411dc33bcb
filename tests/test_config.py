"""Settings: what counts as a secret, so the logs scrub it wherever it turns up."""

from __future__ import annotations

from bot.config import Settings


def test_the_stores_password_is_a_secret_too() -> None:
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-1",
        harness_api_key="pat.1.2.3",
        harness_account_id="acc",
        harness_default_project="shop",
        bot_store_url="redis://:s3cretRedisPass@harness-logs-redis:6379/0",
    )
    assert "s3cretRedisPass" in settings.secrets()
    assert "xoxb-1" in settings.secrets()
