"""Redaction of secrets that leak into build logs, before anything reaches Slack.

Harness masks the secrets it manages, but logs also carry tokens it never
knew about. Each pattern targets one kind of credential by its documented
shape, so ordinary log text (hashes, UUIDs, digests, commit SHAs) is left
alone. Redacted text reads `[REDACTED:<kind>]`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

# Names under which secrets are passed (`DB_PASSWORD=`, `api_key:`), not secrets themselves.
_SECRET_WORDS = "|".join(
    (
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "api[_-]?key",
        "apikey",
        "access[_-]?key",
        "private[_-]?key",
        "client[_-]?secret",
        "auth[_-]?token",
    )
)


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    # Group holding the secret; the rest of the match (a key name, a header) is kept.
    group: int = 0


def _rule(kind: str, pattern: str, group: int = 0, flags: int = 0) -> _Rule:
    return _Rule(kind, re.compile(pattern, flags), group)


RULES: tuple[_Rule, ...] = (
    _rule(
        "pem",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
        r".*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----",
        0,
        re.S,
    ),
    _rule(
        "harness_token", r"\b(?:pat|sat)\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}"
    ),
    _rule("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    _rule("slack_token", r"\bxapp-\d-[A-Za-z0-9-]{10,}"),
    _rule("github_token", r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}"),
    _rule("github_token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    _rule("gitlab_token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    _rule("aws_access_key_id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    _rule(
        "aws_secret_access_key",
        r"aws_secret_access_key[\"']?\s*[=:]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
        1,
        re.I,
    ),
    _rule("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}"),
    _rule("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    _rule(
        "authorization",
        r"\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+([^\s\"',;]+)",
        1,
        re.I,
    ),
    # A password may itself hold "@": the credentials end at the last "@" before the host.
    _rule(
        "url_credentials",
        r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s/]+)@(?=[^\s@/]+(?:[/?#:\s\"']|$))",
        1,
        re.I,
    ),
    _rule("bearer_token", r"\bbearer\s+([A-Za-z0-9._~+/=-]{12,})", 1, re.I),
    _rule("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]+"),
    _rule("stripe_key", r"\b[rs]k_(?:live|test)_[0-9a-zA-Z]{16,}"),
    _rule("azure_key", r"\b(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{16,})", 1, re.I),
    _rule("azure_sas", r"[?&]sig=([A-Za-z0-9%+/=]{16,})", 1),
    _rule("docker_auth", r"\\?\"auth\\?\"\s*:\s*\\?\"([A-Za-z0-9+/=]{8,})", 1),
    _rule(
        "cli_password",
        r"(?<!\S)--?(?:password|passwd|pass|token|secret|api-key|client-secret)(?:=|\s+)"
        r"(?!-)([^\s\"']+|\"[^\"]*\"|'[^']*')",
        1,
        re.I,
    ),
    _rule(
        "cli_password",
        r"\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?(?<!\S)-p(?!\s)([^\s\"']+)",
        1,
    ),
    _rule(
        "cli_password", r"\bcurl\b[^\n]*?(?<!\S)(?:-u|--user)[ =]?['\"]?[^\s:'\"]+:([^\s'\"]+)", 1
    ),
    _rule(
        "secret",
        rf"(?:{_SECRET_WORDS})(?:%22)?(?:%3D|%3A)(?:%22)?((?:[^&\s%]|%(?!22)[0-9A-Fa-f]{{2}})+)",
        1,
        re.I,
    ),
    _rule(
        "secret",
        rf"(?<![A-Za-z0-9])[A-Za-z0-9_.-]*(?:{_SECRET_WORDS})(?:\\?[\"'])?\s*[=:]\s*(?:\\?[\"'])?"
        r"([^\s\"'&,;\\]{3,})",
        1,
        re.I,
    ),
)

# Rules from detect-secrets' maintained plugins, for token kinds not listed above. Only
# its regex plugins with an unambiguous shape; the whole match is replaced.
_PLUGINS = (
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)


def _plugin_rules() -> tuple[_Rule, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    found: list[_Rule] = []
    plugin: Any
    for plugin in get_mapping_from_secret_type_to_class().values():
        if plugin.__name__ in _PLUGINS:
            kind = re.sub(r"\W+", "_", plugin.secret_type.lower()).strip("_")
            found.extend(_Rule(kind, pattern, 0) for pattern in plugin.denylist)
    return tuple(found)


PLUGIN_RULES = _plugin_rules()


def _prefilters(rules: tuple[_Rule, ...]) -> tuple[re.Pattern[str], ...]:
    """One search per group of same-flag patterns tells whether any of them can match."""
    by_flags: dict[int, list[str]] = {}
    for rule in rules:
        by_flags.setdefault(rule.pattern.flags, []).append(f"(?:{rule.pattern.pattern})")
    return tuple(re.compile("|".join(group), flags) for flags, group in by_flags.items())


# Most kept lines hold no token at all: five times cheaper to look once than 27 times.
_PLUGIN_PREFILTERS = _prefilters(PLUGIN_RULES)

# Every rule needs one of these in the text; most log lines have none, and one
# search for them is far cheaper than running every rule.
_MARKERS = re.compile(
    r"PRIVATE KEY|pat\.|sat\.|xox|xapp-|gh[pousr]_|github_pat_|glpat-|AKIA|ASIA|AIza|eyJ"
    r"|authorization|://|bearer|k_live_|k_test_|AccountKey|SharedAccessKey|sig=|\bauth\b"
    r"|--?pass|--?token|--?secret|--?api-key|--?client-secret|mysql|mariadb|curl"
    rf"|{_SECRET_WORDS}",
    re.IGNORECASE,
)

_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_MATERIAL = re.compile(
    r"|[A-Za-z0-9+/=]{8,}|=[A-Za-z0-9+/]{4}"
    r"|(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset|MessageID): ?.*"
)
# A secret's name with its separator and nothing after it: the value is on the next line.
_NAME_ONLY = re.compile(rf"(?:{_SECRET_WORDS})(?:\\?[\"'])?\s*[=:]\s*(?:\\?[\"'])?\s*$", re.I)
_LEADING_VALUE = re.compile(r"^(\s*(?:\\?[\"'])?)([^\s\"'&,;\\]{3,})")
_ALREADY = re.compile(r"\[REDACTED:[a-z_]+\]|\*{3,}")  # our mark, or Harness's mask


class Carry(enum.Enum):
    """What one line leaves open for the next."""

    NONE = "none"
    KEY_BLOCK = "key_block"  # inside a PEM/PGP private key block
    VALUE_NEXT = "value_next"  # the line ended with a secret's name; the value comes next


def mark(kind: str) -> str:
    return f"[REDACTED:{kind}]"


class Redactor:
    """Replaces known secret shapes and the bot's own configured secrets."""

    def __init__(self, configured: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._configured = sorted({s for s in configured if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._configured:
            if secret in text:
                text = text.replace(secret, mark("configured"))
        if _MARKERS.search(text):
            for rule in RULES:
                text = rule.pattern.sub(partial(_replace, rule=rule), text)
        if any(prefilter.search(text) for prefilter in _PLUGIN_PREFILTERS):
            for rule in PLUGIN_RULES:
                text = rule.pattern.sub(partial(_replace, rule=rule), text)
        return text

    def redact_line(self, line: str, carry: Carry = Carry.NONE) -> tuple[str, Carry]:
        """One line of a sequence, with what the previous line left open.

        Inside a private key block every line that looks like key material (base64,
        armour headers) is hidden, however long the block; a line that does not ends
        the block, so a BEGIN without its END cannot hide the error after it. A line
        ending in a secret's name (`password:`) hides the value starting the next.
        """
        if carry is Carry.KEY_BLOCK:
            end = _PEM_END.search(line)
            if end is not None:
                return mark("pem") + self.redact(line[end.end() :]), Carry.NONE
            if _KEY_MATERIAL.fullmatch(line.strip()):
                return mark("pem"), Carry.KEY_BLOCK
        elif carry is Carry.VALUE_NEXT:
            line = _LEADING_VALUE.sub(lambda m: m.group(1) + mark("secret"), line, count=1)
        begin = _PEM_BEGIN.search(line)
        if begin and not _PEM_END.search(line, begin.end()):
            return self.redact(line[: begin.start()]) + mark("pem"), Carry.KEY_BLOCK
        redacted = self.redact(line)
        return redacted, Carry.VALUE_NEXT if _NAME_ONLY.search(redacted) else Carry.NONE

    def redact_lines(self, lines: Iterable[str]) -> Iterator[str]:
        """Line by line, carrying key blocks and names whose value is on the next line."""
        carry = Carry.NONE
        for line in lines:
            redacted, carry = self.redact_line(line, carry)
            yield redacted


def _replace(match: re.Match[str], rule: _Rule) -> str:
    if rule.group == 0:
        return mark(rule.kind)
    secret = match.group(rule.group)
    if _ALREADY.match(secret):
        return match.group(0)  # already masked, by another rule or by Harness
    start, end = match.span(rule.group)
    offset = match.start()
    whole = match.group(0)
    return whole[: start - offset] + mark(rule.kind) + whole[end - offset :]
