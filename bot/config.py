"""Settings: every environment variable, validated once at start-up.

Values come from the environment and from `.env` in the working directory. A
problem is reported as one line naming the variable; a secret's value never
appears in it (pydantic's own messages echo inputs, so they are rebuilt here).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.identifiers import ACCOUNT_ID, IDENTIFIER

Mode = Literal["socket", "http"]

# A vanity host: `acme.harness.io`, with a port (`harness.internal:8443`) or a scheme
# (`http://harness.internal:8080`) where it is not https on 443.
_HOST = re.compile(r"^(https?://)?[A-Za-z0-9.-]+(:\d{1,5})?/?$")


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value.strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    harness_api_key: SecretStr
    harness_account_id: str
    harness_base_url: str = "https://app.harness.io"
    harness_ui_hosts: str = ""
    harness_default_org: str = "default"
    harness_default_project: str
    harness_webhook_token: SecretStr | None = None

    bot_store_url: str = "sqlite:///./data/bot.db"

    # Operational knobs beyond the contract; the defaults suit production.
    harness_request_timeout: float = Field(default=30.0, gt=0)
    harness_retry_deadline: float = Field(default=600.0, gt=0)
    harness_retry_initial_delay: float = Field(default=0.5, gt=0)
    harness_export_timeout: float = Field(default=600.0, gt=0)
    # Calls a minute the bot makes to Harness at most, all replicas sharing a store together
    # (Harness allows 1,000 per key in any sliding minute).
    harness_rate_limit: float = Field(default=900.0, gt=0)
    # First wait between export polls; it doubles up to 5 s.
    harness_export_poll_interval: float = Field(default=0.25, gt=0, le=5.0)
    excerpt_lines_before: int = Field(default=4, ge=0, le=50)
    excerpt_lines_tail: int = Field(default=15, ge=1, le=100)
    excerpt_timeout: float = Field(default=120.0, gt=0)
    # One deadline for a person's request: resolution, export polling and retries.
    request_deadline: float = Field(default=120.0, gt=0, le=1800)
    # The "Fetching" note is updated after this many seconds, and again at four times it.
    command_progress_after: float = Field(default=10.0, gt=0, le=600)
    excerpt_compare_last_success: bool = True
    log_read_max_bytes: int = Field(default=1 << 30, gt=0)
    log_read_max_uncompressed_bytes: int = Field(default=2 << 30, gt=0)
    log_read_max_files: int = Field(default=5000, gt=0)
    max_concurrent_jobs: int = Field(default=16, ge=1, le=1000)
    # On SIGTERM: how long running work may take to finish before it goes back to the queue.
    shutdown_grace: float = Field(default=20.0, ge=0, le=600)
    # Slack allows about one message per second per channel.
    slack_post_interval: float = Field(default=1.0, ge=0, le=60)
    # How often a worker looks for work others queued (its own is taken at once).
    work_poll_interval: float = Field(default=0.5, gt=0, le=10)
    # Work whose worker shows no sign of life for this long is taken over (a crash).
    work_lease: float = Field(default=30.0, ge=0.5, le=3600)
    # First wait before queued work that failed runs again; it doubles up to a minute.
    work_retry_initial_delay: float = Field(default=1.0, gt=0, le=60)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # The same as --mode and --host (the flags win).
    bot_mode: Literal["socket", "http"] | None = None
    host: str = "0.0.0.0"  # noqa: S104
    port: int = Field(default=3000, ge=0, le=65535)
    # requester: pre-signed links go only to whoever asks (ephemeral); the post keeps the rest.
    link_visibility: Literal["channel", "requester"] = "channel"
    # YAML: which channels read which org/projects, who may use the bot (README).
    access_policy_file: str | None = None
    # Probes and metrics on a port of their own (internal); unset: on PORT with the rest.
    health_port: int | None = Field(default=None, ge=0, le=65535)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_signing_secret", "harness_webhook_token")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("harness_api_key")
    @classmethod
    def _api_key(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url(cls, value: str) -> str:
        value = _http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("harness_base_url")
    @classmethod
    def _harness_url(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    @field_validator("harness_account_id")
    @classmethod
    def _account(cls, value: str) -> str:
        if not ACCOUNT_ID.fullmatch(value):
            raise ValueError("must be a Harness account identifier (letters, digits, - and _)")
        return value

    @field_validator("harness_default_org", "harness_default_project")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.fullmatch(value):
            raise ValueError("must be a Harness identifier (letters, digits and _)")
        return value

    @field_validator("harness_ui_hosts")
    @classmethod
    def _hosts(cls, value: str) -> str:
        for host in _split_hosts(value):
            if not _HOST.fullmatch(host):
                raise ValueError(
                    "must be host names separated by commas, e.g. acme.harness.io "
                    "(or http://host:port where it is not https)"
                )
        return value

    @field_validator("bot_store_url")
    @classmethod
    def _store(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "redis", "rediss", "unix"):
            raise ValueError("must be sqlite:///path.db or redis://host:port/db")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def harness_host(self) -> str:
        return (urlsplit(self.harness_base_url).hostname or "").lower()

    @property
    def ui_hosts(self) -> frozenset[str]:
        """Hosts whose execution URLs are accepted: the API host plus any vanity hosts."""
        vanity = (urlsplit(origin).hostname or "" for origin in self.vanity_origins)
        return frozenset({self.harness_host, *vanity})

    @property
    def vanity_origins(self) -> tuple[str, ...]:
        """The declared vanity hosts as `scheme://host:port` (https on 443 unless said)."""
        origins = []
        for entry in _split_hosts(self.harness_ui_hosts):
            parts = urlsplit(entry if "://" in entry else f"https://{entry}")
            default = 443 if parts.scheme == "https" else 80
            origins.append(f"{parts.scheme}://{parts.hostname}:{parts.port or default}")
        return tuple(origins)

    @property
    def download_origins(self) -> tuple[str, ...]:
        """Where the log service may hand out export links besides GCS and S3: the
        Harness base URL and the vanity hosts (it may sign links on either)."""
        return (self.harness_base_url, *self.vanity_origins)

    def default_mode(self) -> Mode:
        if self.bot_mode is not None:
            return self.bot_mode
        return "socket" if self.slack_app_token else "http"

    def problems_for_mode(self, mode: Mode) -> list[str]:
        if mode == "http" and self.slack_signing_secret is None:
            return ["SLACK_SIGNING_SECRET: is required in http mode"]
        if mode == "socket" and self.slack_app_token is None:
            return ["SLACK_APP_TOKEN: is required in socket mode"]
        return []

    def secrets(self) -> list[str]:
        """Every secret value, so logging can scrub them wherever they turn up."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.harness_api_key,
            self.harness_webhook_token,
        ]
        found = [v.get_secret_value() for v in values if v is not None]
        # The store's password travels in BOT_STORE_URL (redis://:password@host/0).
        store_password = urlsplit(self.bot_store_url).password
        return [*found, store_password] if store_password else found


def _split_hosts(value: str) -> list[str]:
    return [h.strip().lower() for h in value.split(",") if h.strip()]


class StartupError(Exception):
    """Start-up cannot go on; the message names the setting at fault (never its value)."""


class SettingsError(Exception):
    """Settings could not be loaded; `problems` holds one safe line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# The checkout's own folder (where `make run` and .env.example are).
PROJECT = Path(__file__).resolve().parents[1]


def dotenv_files() -> tuple[str, ...]:
    """`.env` of the project folder, then of the working directory (which wins); or,
    when HARNESS_LOGS_DOTENV is set, that file alone (empty: none)."""
    chosen = os.environ.get("HARNESS_LOGS_DOTENV")
    if chosen is not None:
        return (chosen,) if chosen else ()
    here, project = Path(".env").resolve(), PROJECT / ".env"
    return (str(project),) if here == project else (str(project), ".env")


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(_env_file=dotenv_files() or None, **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in error["loc"]).upper() or "SETTINGS"
        if error["type"] == "missing":
            message = "is required"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return lines
