"""The access policy file (`ACCESS_POLICY_FILE`): read, checked, and turned into a
`Policy`; a mistake is reported with the line it is on.

    default: deny                        # deny | allow, for channels no key matches
    channels:
      C0INCIDENT: ["default/payments"]   # a channel id, exact
      "#inc-*":                          # or "#" + a glob on the channel's name,
        read: ["default/*"]              #   for channels created with such a name
        created_by: ["U0INCIDENTS", "@platform-oncall"]   # by these people only
      C0GENERAL: []                      # listed with nothing: may read nothing
    users:                               # optional: who may use the bot at all
      allow: ["U0ALICE", "@platform-oncall"]
    subscribe: ["@platform-oncall"]      # optional: who may (un)subscribe, (un)mute
    retry: {"default/payments": ["@payments-leads"]}

The format is a contract other tooling reads. What the policy allows is decided by
the gate, bot/service/access.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["Policy", "PolicyError", "load_policy"]

_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{2,}$")
_USER = re.compile(r"^(?:[UW][A-Z0-9]{2,}|@[a-z0-9._-]{1,80})$")
_SCOPE_GLOB = re.compile(r"^[A-Za-z0-9_*?\[\]-]{1,128}/[A-Za-z0-9_*?\[\]-]{1,128}$")


class PolicyError(Exception):
    """The policy file cannot be used; the message names the line at fault."""


class _Users(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow: list[str]

    @field_validator("allow")
    @classmethod
    def _users(cls, values: list[str]) -> list[str]:
        return _checked_users(values)


class _NameRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read: list[str]
    created_by: list[str]

    @field_validator("read")
    @classmethod
    def _read(cls, values: list[str]) -> list[str]:
        _checked_scopes(values)
        return values

    @field_validator("created_by")
    @classmethod
    def _creators(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("created_by must name who creates the channels the rule covers")
        return _checked_users(values)


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Literal["deny", "allow"] = "deny"
    # An id's list of org/projects, or a name rule (checked below, so that a mistake is
    # told in the words of the form the key calls for).
    channels: dict[str, Any] = Field(default_factory=dict)
    users: _Users | None = None
    subscribe: list[str] | None = None
    retry: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: dict[str, Any]) -> dict[str, list[str] | _NameRule]:
        checked: dict[str, list[str] | _NameRule] = {}
        for key, rule in value.items():
            if key.startswith("#") and len(key) > 1:
                if not isinstance(rule, dict):
                    raise ValueError(
                        f"{key!r} needs read: and created_by: (who creates the channels it "
                        "covers): a name alone can be claimed by any member naming a channel"
                    )
                try:
                    checked[key] = _NameRule.model_validate(rule)
                except ValidationError as exc:
                    error = exc.errors(include_url=False, include_input=False)[0]
                    where = ".".join(str(part) for part in error["loc"])
                    message = str(error["msg"]).removeprefix("Value error, ")
                    raise ValueError(f"{key!r}.{where}: {message}") from None
            elif not _CHANNEL_ID.fullmatch(key):
                raise ValueError(f"{key!r} is neither a channel id nor '#' and a name glob")
            elif not isinstance(rule, list) or not all(isinstance(v, str) for v in rule):
                raise ValueError(f"{key!r} is a channel id: list its org/projects")
            else:
                _checked_scopes(rule)
                checked[key] = rule
        return checked

    @field_validator("subscribe")
    @classmethod
    def _subscribers(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _checked_users(value)

    @field_validator("retry")
    @classmethod
    def _retry(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        _checked_scopes(list(value))
        for users in value.values():
            _checked_users(users)
        return value


def _checked_scopes(values: Iterable[str]) -> None:
    for value in values:
        if not _SCOPE_GLOB.fullmatch(value):
            raise ValueError(f"{value!r} is not an org/project glob")


def _checked_users(values: list[str]) -> list[str]:
    for value in values:
        if not _USER.fullmatch(value):
            raise ValueError(f"{value!r} is neither a user id nor an @user-group handle")
    return values


@dataclass(frozen=True)
class Policy:
    """A loaded policy (`None` rules: the part is absent from the file)."""

    default: str
    channels: dict[str, tuple[str, ...]]
    creators: dict[str, tuple[str, ...]]  # name rules: who may create their channels
    users: tuple[str, ...] | None
    subscribe: tuple[str, ...] | None
    retry: dict[str, tuple[str, ...]]
    source: str

    @property
    def needs_names(self) -> bool:
        return bool(self.creators)


def load_policy(path: str) -> Policy:
    """Read and check the file; `PolicyError` names the line at fault."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read it ({type(exc).__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        problem = getattr(exc, "problem", None) or "not YAML"
        raise PolicyError(f"{path}: {where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: line 1: the policy must be a mapping of keys")
    try:
        parsed = _Policy.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        loc = tuple(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        line = _line_of(text, loc, _quoted(message))
        raise PolicyError(f"{path}: line {line}: {'.'.join(loc)}: {message}") from None
    return Policy(
        default=parsed.default,
        channels={
            key: tuple(rule.read if isinstance(rule, _NameRule) else rule)
            for key, rule in parsed.channels.items()
        },
        creators={
            key: tuple(rule.created_by)
            for key, rule in parsed.channels.items()
            if isinstance(rule, _NameRule)
        },
        users=tuple(parsed.users.allow) if parsed.users is not None else None,
        subscribe=tuple(parsed.subscribe) if parsed.subscribe is not None else None,
        retry={k: tuple(v) for k, v in parsed.retry.items()},
        source=path,
    )


def _quoted(message: str) -> str | None:
    """The value a validation message names in quotes (the culprit), if any."""
    match = re.search(r"'([^']+)'", message)
    return match[1] if match else None


def _line_of(text: str, loc: tuple[str, ...], culprit: str | None = None) -> int:
    """The line of the value at fault: the culprit's, at or after the deepest key on
    `loc`; else that key's line (1 when nothing can be found)."""
    line = _key_line(text, loc)
    if culprit:
        lines = text.splitlines()
        for number in range(line, len(lines) + 1):
            if culprit in lines[number - 1]:
                return number
    return line


def _key_line(text: str, loc: tuple[str, ...]) -> int:
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return 1
    line = 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
