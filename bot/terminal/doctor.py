"""`harness-logs-bot doctor`: the settings checked against the real services, in plain
words, one line each: what works, and what is wrong and how to fix it.

Checks the Slack bot token and its scopes against the manifest's, the app token
(Socket Mode), the signing secret's shape (HTTP mode), the Harness key's access to
the default project, the store, the webhook token and the access policy file.
Exit code 0 when everything works, 1 when something does not, 2 for settings that
cannot even be read. Never prints a secret.
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Settings, SettingsError, load_settings
from bot.harness.errors import HarnessAuthError, HarnessError, HarnessNotFoundError
from bot.metrics import Metrics
from bot.proxies import routed
from bot.service.policy import PolicyError, load_policy
from bot.slack.clients.scopes import BOT_SCOPES
from bot.store import StoreUnavailable, StoreUrlError, open_store
from bot.wiring import harness_side

_SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str


def main(argv: list[str]) -> int:
    from bot.cli import subcommand_parser

    subcommand_parser("doctor").parse_args(argv)  # --help, and nothing else, is taken
    try:
        settings = load_settings()
    except SettingsError as exc:
        print("harness-logs-bot doctor: the settings cannot be read")
        for line in exc.problems:
            print(f"  ✗ {line}")
        return 2
    findings = asyncio.run(check(settings))
    for finding in findings:
        print(f"  {'✓' if finding.ok else '✗'} {finding.what}")
    broken = [f for f in findings if not f.ok]
    print("Everything works." if not broken else f"{len(broken)} thing(s) to fix.")
    return 0 if not broken else 1


async def check(settings: Settings) -> list[Finding]:
    findings = [*await _slack(settings), await _harness(settings), await _store(settings)]
    findings.extend(_local(settings))
    return findings


async def _slack(settings: Settings) -> list[Finding]:
    api = settings.slack_api_url
    client = routed(
        AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=api), api
    )
    found: list[Finding] = []
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "refused"
        return [
            Finding(
                False,
                f"Slack refused SLACK_BOT_TOKEN ({error}): reinstall the app "
                "and copy its Bot User OAuth Token",
            )
        ]
    except Exception as exc:
        return [Finding(False, f"Slack is not reachable at SLACK_API_URL ({type(exc).__name__})")]
    found.append(
        Finding(
            True,
            f"Slack bot token works (workspace {answer.get('team')}, bot {answer.get('user')})",
        )
    )
    granted = {s.strip() for s in str(answer.headers.get("x-oauth-scopes", "")).split(",") if s}
    missing = sorted(set(BOT_SCOPES) - granted)
    if missing:
        found.append(
            Finding(
                False,
                "the bot token lacks scopes the manifest asks for: "
                f"{', '.join(missing)} (reinstall the app from manifest.yml)",
            )
        )
    else:
        found.append(Finding(True, "the bot token has every scope of manifest.yml"))
    if settings.slack_app_token is not None:
        try:
            await routed(AsyncWebClient(base_url=api), api).apps_connections_open(
                app_token=settings.slack_app_token.get_secret_value()
            )
            found.append(Finding(True, "the app token opens a Socket Mode connection"))
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else "refused"
            found.append(
                Finding(
                    False,
                    f"Slack refused SLACK_APP_TOKEN ({error}): create an "
                    "app-level token with connections:write",
                )
            )
    return found


async def _harness(settings: Settings) -> Finding:
    side = harness_side(settings, Metrics(), None, Clock())
    scope = side.default_scope
    try:
        await side.pipelines.probe(scope)
    except HarnessAuthError:
        return Finding(
            False,
            "Harness refused HARNESS_API_KEY: it is wrong, expired, or lacks "
            f"Pipelines: View on {scope}",
        )
    except HarnessNotFoundError:
        return Finding(
            False,
            f"Harness has no project {scope} (HARNESS_DEFAULT_ORG/PROJECT), "
            "or the key cannot see it",
        )
    except HarnessError as exc:
        return Finding(False, f"Harness did not answer at HARNESS_BASE_URL ({type(exc).__name__})")
    finally:
        await side.close()
    return Finding(True, f"the Harness key reads {scope} at {settings.harness_base_url}")


async def _store(settings: Settings) -> Finding:
    try:
        store = await open_store(settings.bot_store_url, Clock())
    except (StoreUnavailable, StoreUrlError) as exc:
        return Finding(False, f"BOT_STORE_URL: cannot open the store ({exc})")
    try:
        await store.ping()
    finally:
        await store.close()
    return Finding(True, "the store opens and answers")


def _local(settings: Settings) -> list[Finding]:
    found = []
    mode = settings.default_mode()
    secret = settings.slack_signing_secret
    if mode == "http":
        if secret is None:
            found.append(Finding(False, "http mode needs SLACK_SIGNING_SECRET"))
        elif not _SIGNING_SECRET.fullmatch(secret.get_secret_value()):
            found.append(
                Finding(
                    False,
                    "SLACK_SIGNING_SECRET does not look like Slack's "
                    "(32 hex characters, from Basic Information)",
                )
            )
        else:
            found.append(Finding(True, "the signing secret has Slack's shape"))
    token = settings.harness_webhook_token
    if token is None:
        found.append(Finding(True, "no HARNESS_WEBHOOK_TOKEN: subscriptions get no alerts"))
    elif len(token.get_secret_value()) < 16:
        found.append(
            Finding(False, "HARNESS_WEBHOOK_TOKEN is short: use 16 or more random characters")
        )
    else:
        found.append(Finding(True, "webhook URL: https://<your-host>/harness/webhook?token=…"))
    if settings.access_policy_file:
        try:
            load_policy(settings.access_policy_file)
            found.append(Finding(True, f"the access policy {settings.access_policy_file} is valid"))
        except PolicyError as exc:
            found.append(Finding(False, f"ACCESS_POLICY_FILE: {exc}"))
    else:
        found.append(Finding(True, "no ACCESS_POLICY_FILE: every channel reads every project"))
    return found


__all__ = ["Finding", "check", "main"]

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
