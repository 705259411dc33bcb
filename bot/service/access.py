"""The one gate every read and every action goes through, deciding by the access
policy (bot/service/policy.py reads the file).

Values are `org/project` globs; a channel matching several keys reads the union.
A channel's name is anyone's to choose, so a name rule alone would let any member
claim it by creating or renaming a channel: a name rule covers a channel only when
the channel was created with a matching name (Slack's `previous_names`: no rename
into it) by someone its `created_by` lists (an incident tool's bot user, on-call).
Without a file every channel reads everything the bot's key can (and start-up says
so). A refusal names the rule that refused, so people and operators can see why.

`Access.decide` is the gate: the use cases ask it, for a person in a channel, about
one act on one org/project; the Slack edge decides nothing itself.
"""

from __future__ import annotations

import enum
import fnmatch
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.domain import Failure, Scope, Subscription
from bot.service.policy import Policy, PolicyError, load_policy
from bot.service.targets import LogsResult

log = logging.getLogger(__name__)


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

    @classmethod
    def open(cls) -> Access:
        """No policy: every channel reads everything and anyone may subscribe (retrying
        stays off, as it is without a policy). For use cases built without one."""
        return cls(None, _no_facts, _no_members)

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

    async def refusal(self, asker: Asker, act: Act, scope: Scope | None = None) -> Refused | None:
        """`decide`, for callers that need only the refusal (None when allowed)."""
        decision = await self.decide(asker, act, scope)
        return decision if isinstance(decision, Refused) else None

    async def home_of(
        self, user: str, channels: frozenset[str], subscriptions: Sequence[Subscription]
    ) -> list[Subscription] | Refused:
        """What App Home shows its viewer: the subscriptions of the channels they are in
        (no other channel's, private or not) that those channels may still read; a
        refusal for someone `users.allow` leaves out."""
        refused = await self.refusal(Asker(user, ""), Act.LIST)
        if refused is not None:
            return refused
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
        listed = self.policy.users if self.policy else None
        return await self._listed(user, listed, "the bot", "users.allow does not list you")

    async def _may_subscribe(self, user: str) -> Decision:
        listed = self.policy.subscribe if self.policy else None
        return await self._listed(user, listed, "subscriptions", "subscribe does not list you")

    async def _listed(
        self, user: str, listed: tuple[str, ...] | None, what: str, rule: str
    ) -> Decision:
        """A rule that lists people: no list allows everyone."""
        if listed is None or await self._member(user, listed):
            return Allowed()
        return self._refused(user, what, rule)

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


async def _no_facts(_channel: str) -> ChannelFacts | None:
    return None


async def _no_members(_handle: str) -> frozenset[str]:
    return frozenset()


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
    "Refused",
]
