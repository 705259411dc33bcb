"""The access policy, and the one gate every read and every action goes through.

`ACCESS_POLICY_FILE` names a YAML file (the format is a contract other tooling reads):

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

Values are `org/project` globs; a channel matching several keys reads the union.
A channel's name is anyone's to choose, so a name rule alone would let any member
claim it by creating or renaming a channel: a name rule covers a channel only when
the channel was created with a matching name (Slack's `previous_names`: no rename
into it) by someone its `created_by` lists (an incident tool's bot user, on-call).
Without a file every channel reads everything the bot's key can (and start-up says
so). A refusal names the rule that refused, so people and operators can see why.

`Access.decide` is the gate: the Slack edge asks it, for a person in a channel, about
one act on one org/project, and decides nothing itself.
"""

from __future__ import annotations

import enum
import fnmatch
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain import Failure, Scope, Subscription
from bot.service.targets import LogsResult

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
class Allowed:
    pass


@dataclass(frozen=True)
class Refused:
    """Refused by the policy; `rule` says which (for the person and the log)."""

    rule: str


Decision = Allowed | Refused


@dataclass(frozen=True)
class ChannelFacts:
    """What Slack says of a channel, for name rules (conversations.info)."""

    name: str | None
    previous_names: tuple[str, ...]  # every name it had before (Slack gives no order)
    creator: str | None


# Ports the edge provides: a channel's facts (for "#" rules), a user group's members.
ChannelInfo = Callable[[str], Awaitable[ChannelFacts | None]]
GroupMembers = Callable[[str], Awaitable[frozenset[str]]]

# Where a link typed in the message composer goes is not known yet (link_shared's
# channel is then "COMPOSER"); nor is it for work with no channel at all.
COMPOSER = "COMPOSER"


class Act(enum.StrEnum):
    """What someone asks to do; each asks the policy its own questions."""

    READ = "read"  # logs, links, excerpts, unfurls, the buttons that read
    LIST = "list"  # a channel's own subscriptions, App Home
    SUBSCRIBE = "subscribe"  # subscribe (the channel must read the project too)
    MANAGE = "manage"  # unsubscribe, mute, unmute: the subscribe rule
    RETRY = "retry"  # start a run


@dataclass(frozen=True)
class Asker:
    """Who asks and where the answer goes; `user` None for Harness's own notifications."""

    user: str | None
    channel: str


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


class Access:
    """The policy in force (or none), reloadable; `decide` is the gate."""

    def __init__(
        self,
        policy: Policy | None,
        channel_info: ChannelInfo,
        group_members: GroupMembers,
    ) -> None:
        self.policy = policy
        self._channel_info = channel_info
        self._group_members = group_members

    def reload(self, path: str) -> None:
        """Load the file again; an invalid one keeps the policy in force (and says why)."""
        try:
            self.policy = load_policy(path)
        except PolicyError as exc:
            log.error("access policy not reloaded, the previous one stays: %s", exc)
            return
        log.info("access policy reloaded from %s", path)

    async def decide(self, asker: Asker, act: Act, scope: Scope | None = None) -> Decision:
        """May `asker` do `act` (on `scope`, for the acts on a project)? Every command,
        link, button, unfurl, App Home, subscription, mute and retry asks this."""
        decision: Decision = Allowed()
        if asker.user is not None:
            decision = await self._may_use(asker.user)
        if isinstance(decision, Refused) or act is Act.LIST:
            return decision
        if act in (Act.SUBSCRIBE, Act.MANAGE):
            decision = await self._may_subscribe(asker.user or "")
            if isinstance(decision, Refused) or act is Act.MANAGE:
                return decision
        if scope is None:
            raise ValueError(f"{act} needs an org/project")
        decision = await self._may_read(asker.channel, scope)
        if isinstance(decision, Allowed) and act is Act.RETRY:
            decision = await self._may_retry(asker.user or "", scope)
        return decision

    async def home_of(
        self, user: str, channels: frozenset[str], subscriptions: Sequence[Subscription]
    ) -> list[Subscription] | Refused:
        """What App Home shows its viewer: the subscriptions of the channels they are in
        (no other channel's, private or not) that those channels may still read; a
        refusal for someone `users.allow` leaves out."""
        decision = await self.decide(Asker(user, ""), Act.LIST)
        if isinstance(decision, Refused):
            return decision
        shown = []
        for subscription in subscriptions:
            key = subscription.pipeline
            if subscription.channel in channels and isinstance(
                await self._may_read(subscription.channel, Scope(key.org, key.project)), Allowed
            ):
                shown.append(subscription)
        return shown

    def reader(self, channel: str) -> Callable[[Scope], Awaitable[bool]]:
        """What the channel may see, as a question the use cases ask while they work (a
        chained run in another project is then named, never read)."""

        async def may_read(scope: Scope) -> bool:
            return isinstance(await self._may_read(channel, scope), Allowed)

        return may_read

    async def shown_in(self, channel: str, result: LogsResult) -> LogsResult:
        """The result as this channel may see it: a failure inside a chained pipeline's
        run in an org/project the channel may not read becomes one line naming its
        parent stage and that org/project, with no step, message or excerpt."""
        own = result.execution.scope
        shown: list[Failure] = []
        hidden: set[tuple[str | None, str]] = set()
        for failure in result.failures:
            node = failure.node
            if node is None or Scope(node.org, node.project) == own:
                shown.append(failure)
                continue
            where = f"{node.org}/{node.project}"
            if isinstance(await self._may_read(channel, Scope(node.org, node.project)), Allowed):
                shown.append(failure)
            elif (failure.via, where) not in hidden:
                hidden.add((failure.via, where))
                shown.append(Failure(failure.via, None, None, hidden_in=where))
        return replace(result, failures=shown)

    def offers_retry(self, scope: Scope) -> bool:
        """Whether anyone may retry runs of this org/project (else posts offer no retry)."""
        policy = self.policy
        return policy is not None and any(
            policy.retry[glob] for glob in _retry_rules(policy, scope)
        )

    async def _may_read(self, channel: str, scope: Scope) -> Decision:
        """May this channel (a DM or group DM counts by its id) read this org/project?"""
        policy = self.policy
        if policy is None:
            return Allowed()
        wanted = f"{scope.org}/{scope.project}"
        if channel in ("", COMPOSER):
            return self._refused(
                channel or "no channel", wanted, "where the message goes is not known yet"
            )
        keys = [key for key in policy.channels if key == channel]
        if policy.needs_names:
            keys += await self._name_rules(channel, policy)
        if not keys:
            if policy.default == "allow":
                return Allowed()
            return self._refused(channel, wanted, "default: deny (no rule names this channel)")
        for key in keys:
            if any(fnmatch.fnmatchcase(wanted, glob) for glob in policy.channels[key]):
                return Allowed()
        rules = ", ".join(f"channels.{key}" for key in keys)
        return self._refused(channel, wanted, f"{rules} does not include {wanted}")

    async def _name_rules(self, channel: str, policy: Policy) -> list[str]:
        """The "#" rules that cover the channel: its name and every name it had before
        match (so nobody renamed it into the rule), and someone the rule's created_by
        lists created it."""
        facts = await self._channel_info(channel)
        if facts is None or not facts.name:
            return []
        covered = []
        for key, creators in policy.creators.items():
            glob = key[1:].lower()
            names = (facts.name, *facts.previous_names)
            if not all(fnmatch.fnmatchcase(name.lower(), glob) for name in names):
                continue
            if facts.creator and await self._member(facts.creator, creators):
                covered.append(key)
            else:
                log.warning(
                    "channel %s is named like %s but was not created by its created_by "
                    "(created by %s): the rule does not cover it",
                    channel,
                    key,
                    facts.creator or "nobody known",
                )
        return covered

    async def _may_use(self, user: str) -> Decision:
        policy = self.policy
        if policy is None or policy.users is None:
            return Allowed()
        if await self._member(user, policy.users):
            return Allowed()
        return self._refused(user, "the bot", "users.allow does not list you")

    async def _may_subscribe(self, user: str) -> Decision:
        policy = self.policy
        if policy is None or policy.subscribe is None:
            return Allowed()
        if await self._member(user, policy.subscribe):
            return Allowed()
        return self._refused(user, "subscriptions", "subscribe does not list you")

    async def _may_retry(self, user: str, scope: Scope) -> Decision:
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
    "COMPOSER",
    "Access",
    "Act",
    "Allowed",
    "Asker",
    "ChannelFacts",
    "Decision",
    "Policy",
    "PolicyError",
    "Refused",
    "load_policy",
]
