"""The access policy: which channels may read which org/projects, and who may use the bot.

`ACCESS_POLICY_FILE` names a YAML file (the format is a contract other tooling reads):

    default: deny                        # deny | allow, for channels no key matches
    channels:
      C0INCIDENT: ["default/payments"]   # a channel id, exact
      "#inc-*": ["default/*"]            # or "#" + a glob on the channel's name
      C0GENERAL: []                      # listed with nothing: may read nothing
    users:                               # optional: who may use the bot at all
      allow: ["U0ALICE", "@platform-oncall"]
    subscribe: ["@platform-oncall"]      # optional: who may subscribe/unsubscribe
    retry: {"default/payments": ["@payments-leads"]}

Values are `org/project` globs; a channel matching several keys reads the union.
Without a file every channel reads everything the bot's key can (and start-up says
so). A refusal names the rule that refused, so people and operators can see why.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain import Scope

log = logging.getLogger(__name__)

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


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Literal["deny", "allow"] = "deny"
    channels: dict[str, list[str]] = Field(default_factory=dict)
    users: _Users | None = None
    subscribe: list[str] | None = None
    retry: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, scopes in value.items():
            if not (_CHANNEL_ID.fullmatch(key) or (key.startswith("#") and len(key) > 1)):
                raise ValueError(f"{key!r} is neither a channel id nor '#' and a name glob")
            _checked_scopes(scopes)
        return value

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
class Allowed:
    pass


@dataclass(frozen=True)
class Refused:
    """Refused by the policy; `rule` says which (for the person and the log)."""

    rule: str


Decision = Allowed | Refused

# Ports the edge provides: a channel's name (for "#" rules), a user group's members.
ChannelName = Callable[[str], Awaitable[str | None]]
GroupMembers = Callable[[str], Awaitable[frozenset[str]]]


@dataclass(frozen=True)
class Policy:
    """A loaded policy (`None` rules: the part is absent from the file)."""

    default: str
    channels: dict[str, tuple[str, ...]]
    users: tuple[str, ...] | None
    subscribe: tuple[str, ...] | None
    retry: dict[str, tuple[str, ...]]
    source: str

    @property
    def needs_names(self) -> bool:
        return any(key.startswith("#") for key in self.channels)


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
        channels={k: tuple(v) for k, v in parsed.channels.items()},
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


class Access:
    """The policy in force (or none), reloadable; decisions for the use cases."""

    def __init__(
        self,
        policy: Policy | None,
        channel_name: ChannelName,
        group_members: GroupMembers,
    ) -> None:
        self.policy = policy
        self._channel_name = channel_name
        self._group_members = group_members

    def reload(self, path: str) -> None:
        """Load the file again; an invalid one keeps the policy in force (and says why)."""
        try:
            self.policy = load_policy(path)
        except PolicyError as exc:
            log.error("access policy not reloaded, the previous one stays: %s", exc)
            return
        log.info("access policy reloaded from %s", path)

    async def may_read(
        self, channel: str, scope: Scope, channel_name: str | None = None
    ) -> Decision:
        """May this channel (a DM or group DM counts by its id) read this org/project?"""
        policy = self.policy
        if policy is None:
            return Allowed()
        keys = [key for key in policy.channels if key == channel]
        if policy.needs_names:
            name = channel_name or await self._channel_name(channel)
            if name:
                keys += [
                    key
                    for key in policy.channels
                    if key.startswith("#") and fnmatch.fnmatchcase(name.lower(), key[1:].lower())
                ]
        wanted = f"{scope.org}/{scope.project}"
        if not keys:
            if policy.default == "allow":
                return Allowed()
            return self._refused(channel, wanted, "default: deny (no rule names this channel)")
        for key in keys:
            if any(fnmatch.fnmatchcase(wanted, glob) for glob in policy.channels[key]):
                return Allowed()
        rules = ", ".join(f"channels.{key}" for key in keys)
        return self._refused(channel, wanted, f"{rules} does not include {wanted}")

    async def may_use(self, user: str) -> Decision:
        policy = self.policy
        if policy is None or policy.users is None:
            return Allowed()
        if await self._member(user, policy.users):
            return Allowed()
        return self._refused(user, "the bot", "users.allow does not list you")

    async def may_subscribe(self, user: str) -> Decision:
        policy = self.policy
        if policy is None or policy.subscribe is None:
            return Allowed()
        if await self._member(user, policy.subscribe):
            return Allowed()
        return self._refused(user, "subscriptions", "subscribe does not list you")

    def offers_retry(self, scope: Scope) -> bool:
        """Whether anyone may retry runs of this org/project (else posts offer no retry)."""
        policy = self.policy
        return policy is not None and any(
            policy.retry[glob] for glob in _retry_rules(policy, scope)
        )

    async def may_retry(self, user: str, scope: Scope) -> Decision:
        """Retrying starts runs: off unless a `retry` rule lists the person for the scope."""
        policy = self.policy
        if policy is None:
            return self._refused(user, "retry", "no access policy: retrying is off")
        rules = _retry_rules(policy, scope)
        if not rules:
            return self._refused(user, "retry", f"no retry rule covers {scope.org}/{scope.project}")
        for glob in rules:
            if await self._member(user, policy.retry[glob]):
                return Allowed()
        listed = ", ".join(f"retry.{glob}" for glob in rules)
        return self._refused(user, "retry", f"{listed} does not list you")

    async def _member(self, user: str, allowed: tuple[str, ...]) -> bool:
        if user in allowed:
            return True
        for entry in allowed:
            if entry.startswith("@"):
                try:
                    if user in await self._group_members(entry[1:]):
                        return True
                except Exception as exc:
                    log.warning("could not read the members of %s: %r", entry, exc)
        return False

    @staticmethod
    def _refused(who: str, what: str, rule: str) -> Refused:
        log.info("access policy refused %s for %s: %s", what, who, rule)
        return Refused(rule)


def _retry_rules(policy: Policy, scope: Scope) -> list[str]:
    """The policy's `retry` globs that cover the org/project."""
    wanted = f"{scope.org}/{scope.project}"
    return [glob for glob in policy.retry if fnmatch.fnmatchcase(wanted, glob)]


__all__ = [
    "Access",
    "Allowed",
    "Decision",
    "Policy",
    "PolicyError",
    "Refused",
    "load_policy",
]
