"""Secrets by the shape of what carries them: commands, URLs, headers, `name=value` pairs.

Harness masks the secrets it manages, but logs also carry credentials it never
knew about: a password given to `docker login -p`, a token in a clone URL, a
`DB_PASSWORD=` in an environment dump. Each pattern names one such carrier and
hides only the value, so the command or the key name stays readable; ordinary
log text (hashes, UUIDs, digests, commit SHAs, ports, paths) is left alone.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.keyword import DENYLIST

from bot.excerpt.redaction.patterns import Pattern, pattern

# Names under which secrets are passed (`DB_PASSWORD=`, `api_key:`), not secrets
# themselves: detect-secrets' keyword list (it also has `auth_key`, `db_pass`, …),
# with the names CI tools use that it lacks.
SECRET_WORDS = "|".join(
    (
        # `PWD=/home/runner/work` is the shell's working directory, not a password.
        *(r"pwd(?!\s*[=:]\s*[\"']?[/~])" if word == "pwd" else word for word in DENYLIST),
        "passphrase",
        "token",
        "access[_-]?key",
        "client[_-]?secret",
        "auth[_-]?token",
        "(?:app|master|signing|encryption|license)[_-]?key",
    )
)

# After a secret's name, what is not its value: a template (`${X}`, `{{ x }}`), a
# yes/no answer, the name of the variable that holds it (`server-password:
# GITHUB_TOKEN`, as actions print their inputs), or code that fetches it
# (`token = frames.nextToken();`: detect-secrets' "indirect reference").
_NOT_A_VALUE = (
    r"(?!\$\{|\{\{|(?:true|false|yes|no|null|none|nil|undefined)\b"
    r"|(?-i:[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])(?![\w-])|[\w.$]+[(\[])"
)

# A value as a command line writes it: a word, or a quoted string (spaces and all).
_VALUE = r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)"
# A value that starts right after a flag: not another flag, not a template.
_FLAG_VALUE = r"(?!-|\$\{|\{\{)" + _VALUE

# Flags whose value is a secret: `--password X`, `--docker-password=X`, `-storepass X`.
# The secret word must end the flag's name (`--password-stdin` and `--token-file`
# take no secret), and `--no-password` takes none either.
_FLAG_NAME = (
    r"(?<!\S)--?(?!no-)(?:[A-Za-z0-9]+[-_])*"
    r"(?:password|passwd|pass|passphrase|secret|token|api-?key|access-key|secret-key"
    r"|client-secret|private-key|auth|credentials?|passin|passout)"
    r"|(?<!\S)-(?:src|dest|new)?(?:store|key)pass"
)


def _command_flag(commands: str, flag: str, *, attached: bool = False) -> str:
    """The value of `flag` on a command line run by one of `commands`, where that flag
    (short and ambiguous elsewhere: `-p` is a port for ssh) means a password."""
    joint = r"(?:\s+|=)?" if attached else r"(?:\s+|=)"
    return rf"\b(?:{commands})\b[^\n]*?(?<!\S){flag}{joint}{_FLAG_VALUE}"


PATTERNS: tuple[Pattern, ...] = (
    pattern(
        "pem",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
        r".*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----",
        flags=re.S,
    ),
    pattern(
        "harness_token", r"\b(?:pat|sat)\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}"
    ),
    pattern("slack_token", r"\bxoxe\.xox[bp]-[A-Za-z0-9-]{10,}"),
    pattern("slack_token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    pattern("slack_token", r"\bxapp-\d-[A-Za-z0-9-]{10,}"),
    pattern("github_token", r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}"),
    pattern("github_token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    pattern("gitlab_token", r"\bglpat-[A-Za-z0-9_.-]{20,}"),
    pattern("aws_access_key_id", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"),
    pattern(
        "aws_secret_access_key",
        r"aws_secret_access_key[\"']?\s*[=:]?\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
        groups=True,
        flags=re.I,
    ),
    pattern("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}"),
    pattern("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    pattern(
        "authorization",
        r"\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+([^\s\"',;]+)",
        groups=True,
        flags=re.I,
    ),
    # Credentials in a URL end at the last "@" before the host: the password may hold
    # "@", the user may be empty (`redis://:pw@host`) or an e-mail address.
    pattern(
        "url_credentials",
        r"\b[a-z][a-z0-9+.-]*://[^\s:/]*:([^\s/]+)@(?=[^\s@/]+(?:[/?#:\s\"']|$))",
        groups=True,
        flags=re.I,
    ),
    pattern("bearer_token", r"\bbearer\s+([A-Za-z0-9._~+/=-]{12,})", groups=True, flags=re.I),
    pattern("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]+"),
    pattern("stripe_key", r"\b[rs]k_(?:live|test|prod)_[0-9a-zA-Z]{16,}"),
    pattern("azure_key", r"\b(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{16,})", groups=True),
    pattern("azure_sas", r"[?&]sig=([A-Za-z0-9%+/=]{16,})", groups=True),
    pattern("docker_auth", r"\\?\"auth\\?\"\s*:\s*\\?\"([A-Za-z0-9+/=]{8,})", groups=True),
    # -- on command lines -------------------------------------------------------------
    pattern(
        "cli_password",
        rf"(?:{_FLAG_NAME})(?:=|\s+)(?!id=|src=|env=){_FLAG_VALUE}",
        groups=True,
        flags=re.I,
    ),
    # `-p` is a password only for some commands (a port for ssh, a publish for docker run).
    pattern(
        "cli_password",
        _command_flag(
            r"(?:docker|podman|buildah|skopeo|nerdctl|helm|oras|crane|regctl|cf|az|oc)\b"
            r"[^\n]*?\blogin",
            "-p",
        ),
        groups=True,
    ),
    pattern(
        "cli_password",
        _command_flag(r"twine|mongo|mongosh|mongodump|mongorestore|mongoimport|mongoexport", "-p"),
        groups=True,
    ),
    pattern("cli_password", _command_flag("sshpass", "-p", attached=True), groups=True),
    pattern("cli_password", _command_flag("redis-cli", "-a"), groups=True),
    pattern("cli_password", _command_flag("sqlcmd|bcp|zip|unzip", "-P"), groups=True),
    pattern("cli_password", r"\b7za?\b[^\n]*?(?<!\S)-p([^\s\"']+)", groups=True),
    pattern(
        "cli_password",
        r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]*?(?<!\S)-p(?!\s)([^\s\"']+)",
        groups=True,
    ),
    pattern(
        "cli_password",
        r"\bcurl\b[^\n]*?(?<!\S)(?:-u|--user)[ =]?['\"]?[^\s:'\"]*:([^\s'\"]+)",
        groups=True,
    ),
    pattern("cli_password", r"\bsmbclient\b[^\n]*?(?<!\S)-U\s*[^\s%]+%([^\s\"']+)", groups=True),
    pattern(
        "cli_password",
        r"\bhtpasswd\s+(?:-\S+\s+)*-[A-Za-z]*b[A-Za-z]*\s+(?:-\S+\s+)*\S+\s+\S+\s+" + _VALUE,
        groups=True,
    ),
    # `aws configure set aws_secret_access_key X`, `npm config set //r/:_authToken X`.
    pattern(
        "cli_password",
        rf"\b(?:configure|config)\s+set\s+(?:--\S+\s+)*[^\s=]*(?:{SECRET_WORDS}|_auth)[^\s=]*"
        rf"\s+(?!-){_VALUE}",
        groups=True,
        flags=re.I,
    ),
    # `az keyvault secret set … --value X`, `gh secret set NAME --body X`.
    pattern(
        "cli_password",
        rf"\bsecrets?\s+set\b[^\n]*?(?<!\S)(?:--value|--body|-b)(?:=|\s+){_FLAG_VALUE}",
        groups=True,
    ),
    # -- name=value pairs -------------------------------------------------------------
    pattern(
        "secret",
        rf"(?:{SECRET_WORDS})(?:%22)?(?:%3D|%3A)(?:%22)?((?:[^&\s%]|%(?!22)[0-9A-Fa-f]{{2}})+)",
        groups=True,
        flags=re.I,
    ),
    # A whole assignment in quotes: `-e "DB_PASSWORD=two words"`.
    pattern(
        "secret",
        rf"(?<=[\"'])[A-Za-z0-9_.-]*(?:{SECRET_WORDS})[A-Za-z0-9_.-]*="
        + _NOT_A_VALUE
        + r"([^\"'\n]+)(?=[\"'])",
        groups=True,
        flags=re.I,
    ),
    # `password: hunter2`, `"token": "a b c"`, `DB_PASSWORD='x'`, `token => 'x'`,
    # JSON-escaped too; a quoted value is hidden whole, spaces and all. `::` is a scope
    # (`TestApiKey::test_rotate`) and `==` a pin (`tiktoken==0.12.0`), not separators.
    pattern(
        "secret",
        rf"(?<![A-Za-z0-9])[A-Za-z0-9_.-]*(?:{SECRET_WORDS})(?:\\?[\"'])?\s*(?:=>|[=:](?![:=]))\s*"
        r"(?:\"(?!\s)([^\"\n]{1,300})\"|'(?!\s)([^'\n]{1,300})'|\\\"((?:(?!\\\").){1,300})\\\""
        r"|(?:\\?[\"'])?" + _NOT_A_VALUE + r"([^\s\"'&,;\\]{3,}))",
        groups=True,
        flags=re.I,
    ),
)

__all__ = ["PATTERNS", "SECRET_WORDS"]
