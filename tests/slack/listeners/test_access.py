"""The access policy through every entry point: commands, buttons, unfurls,
subscriptions and the webhook fan-out; allowed and refused, and what a refusal says."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.domain import PipelineEvent, Scope, Work
from bot.service.access import (
    Access,
    Act,
    Allowed,
    Asker,
    ChannelFacts,
    Refused,
)
from bot.service.incidents.payloads import event_to_json
from bot.service.policy import PolicyError, load_policy
from bot.slack.views.action_ids import MUTE
from bot.store import PipelineKey, Subscription
from emulators.harness import HarnessEmulator
from emulators.harness.world import HELM_FAILURE
from emulators.slack import SlackEmulator
from tests.blockkit import all_text
from tests.conftest import RunningBot
from tests.incident import WEBHOOK_TOKEN, event_body, post_webhook, slack_event
from tests.slack.listeners.test_unfurls import link, shared
from tests.slack.support import ask, buttons

POLICY = """\
default: deny
channels:
  C0INCIDENT: ["default/*"]
  "#inc-*":
    read: ["default/shop"]
    created_by: ["U0INCIDENTS", "@platform-oncall"]
  C0GENERAL: []
users:
  allow: ["U0ALICE001", "U0BOB00001", "@platform-oncall"]
subscribe: ["@platform-oncall"]
retry: {"default/shop": ["@payments-leads"]}
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture
async def bot(start_bot: Any, policy_file: Path, slack: SlackEmulator) -> RunningBot:
    # Unfurls carry no channel name: "#" rules are read with conversations.info.
    slack.members.update({"C0GENERAL", "C0INC00042", "C0RANDOM01"})
    slack.channel_names.update({"C0INC00042": "inc-checkout", "C0RANDOM01": "random"})
    slack.creators["C0INC00042"] = "U0INCIDENTS"  # the incident tool made it
    slack.usergroups["platform-oncall"] = ("S0ONCALL01", ["U0CAROL001"])
    running: RunningBot = await start_bot(
        access_policy_file=str(policy_file),
        harness_webhook_token=WEBHOOK_TOKEN,
        harness_ui_hosts="acme.harness.io",
    )
    return running


async def refused(bot: RunningBot, harness: HarnessEmulator, text: str, **where: Any) -> str:
    _status, _ack, rid = await bot.command(text, **where)
    reply = await bot.reply(rid)
    assert reply["response_type"] == "ephemeral"
    assert harness.requests == []  # nothing was asked of Harness, logs or otherwise
    said = all_text(reply)
    assert "The access policy does not allow that here" in said
    return said


# -- the file ---------------------------------------------------------------------------


def test_the_documented_example_loads(policy_file: Path) -> None:
    policy = load_policy(str(policy_file))
    assert policy.default == "deny"
    assert policy.channels["#inc-*"] == ("default/shop",)
    assert policy.creators["#inc-*"] == ("U0INCIDENTS", "@platform-oncall")
    assert policy.users == ("U0ALICE001", "U0BOB00001", "@platform-oncall")
    assert policy.retry == {"default/shop": ("@payments-leads",)}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("channels:\n  C0OK: ['a/b']\n  general: ['a/b']\n", "line 3: channels: 'general'"),
        ("channels:\n  C0OK:\n    - 'a/b'\n    - 'nope'\n", "line 4: channels"),
        ("default: maybe\n", "line 1: default"),
        ("users:\n  allow: ['alice']\n", "line 2: users.allow"),
        ("channels: [\n", "line 2"),
        ("- a\n- b\n", "line 1: the policy must be a mapping"),
        ("colour: blue\n", "line 1: colour: Extra inputs are not permitted"),
        # A name alone is anyone's to claim: a name rule says who creates its channels.
        ("channels:\n  '#inc-*': ['a/b']\n", "line 2: channels: '#inc-*' needs read: and"),
        ("channels:\n  '#inc-*': {read: ['a/b'], created_by: []}\n", "created_by must name"),
    ],
)
def test_a_broken_file_names_its_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert says in str(caught.value)
    assert str(caught.value).startswith(str(path))


async def test_a_reload_with_a_broken_file_keeps_the_policy_in_force(policy_file: Path) -> None:
    async def no_facts(_channel: str) -> ChannelFacts | None:
        return None

    async def no_members(_handle: str) -> frozenset[str]:
        return frozenset()

    access = Access(load_policy(str(policy_file)), no_facts, no_members)
    scope, alice = Scope("default", "shop"), Asker("U0ALICE001", "C0INCIDENT")
    assert await access.decide(alice, Act.READ, scope) == Allowed()
    policy_file.write_text("channels: {C0INCIDENT: []}\n")  # noqa: ASYNC240
    access.reload(str(policy_file))
    assert isinstance(await access.decide(alice, Act.READ, scope), Refused)
    policy_file.write_text("channels: [broken\n")  # noqa: ASYNC240
    access.reload(str(policy_file))  # logged, and the last good policy stays
    assert isinstance(await access.decide(alice, Act.READ, scope), Refused)


# -- commands ---------------------------------------------------------------------------


async def test_a_listed_channel_reads_its_projects(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    _, reply = await ask(bot, "deploy_checkout")
    assert "download_logs" in all_text(reply)


async def test_a_channel_no_rule_names_is_refused_by_the_default(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    said = await refused(bot, harness, "deploy_checkout", channel_id="C0RANDOM01")
    assert "default: deny" in said


async def test_a_channel_listed_with_nothing_reads_nothing(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    said = await refused(bot, harness, "deploy_checkout", channel_id="C0GENERAL")
    assert "channels.C0GENERAL does not include default/shop" in said


async def test_a_channel_name_glob_reads_only_its_projects(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    where = {"channel_id": "C0INC00042", "channel_name": "inc-checkout"}
    _, reply = await ask(bot, "deploy_checkout", **where)
    assert "download_logs" in all_text(reply)
    harness.requests.clear()
    said = await refused(bot, harness, "deploy_payments in payments/checkout", **where)
    assert "channels.#inc-* does not include payments/checkout" in said


@pytest.mark.parametrize(
    ("creator", "previous", "why"),
    [
        ("U0MALLORY1", [], "a member created a channel with a name the rule covers"),
        ("U0INCIDENTS", ["random-chat"], "a member renamed a channel into the rule's names"),
        # Slack does not say in which order previous_names come: either order is refused.
        ("U0INCIDENTS", ["random-chat", "inc-a"], "renamed in, then within the names"),
        ("U0INCIDENTS", ["inc-a", "random-chat"], "the same, the other way round"),
    ],
)
async def test_a_member_cannot_claim_a_name_rule_by_naming_a_channel(
    bot: RunningBot,
    harness: HarnessEmulator,
    slack: SlackEmulator,
    creator: str,
    previous: list[str],
    why: str,
) -> None:
    slack.members.add("C0INC00666")
    slack.channel_names["C0INC00666"] = "inc-mine"
    slack.creators["C0INC00666"] = creator
    slack.previous_names["C0INC00666"] = previous
    said = await refused(bot, harness, "deploy_checkout", channel_id="C0INC00666")
    assert "default: deny" in said, why


async def test_a_channel_renamed_within_the_rule_keeps_its_projects(
    bot: RunningBot, slack: SlackEmulator
) -> None:
    slack.members.add("C0INC00777")
    slack.channel_names["C0INC00777"] = "inc-checkout-db"
    slack.creators["C0INC00777"] = "U0CAROL001"  # in @platform-oncall, which created_by lists
    slack.previous_names["C0INC00777"] = ["inc-checkout"]
    _, reply = await ask(bot, "deploy_checkout", channel_id="C0INC00777")
    assert "download_logs" in all_text(reply)


async def test_a_pasted_link_is_checked_against_its_own_project(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    url = link(harness, host="127.0.0.1").replace("/orgs/default/", "/orgs/payments/")
    url = url.replace("/projects/shop/", "/projects/checkout/")
    said = await refused(bot, harness, url, channel_id="C0INC00042", channel_name="inc-checkout")
    assert "payments/checkout" in said


async def test_only_listed_people_and_groups_may_use_the_bot(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    said = await refused(bot, harness, "deploy_checkout", user_id="U0MALLORY1")
    assert "users.allow does not list you" in said
    _, reply = await ask(bot, "deploy_checkout", user_id="U0CAROL001")  # in @platform-oncall
    assert "download_logs" in all_text(reply)


# -- subscriptions and webhooks -----------------------------------------------------------


async def test_only_the_subscribe_list_may_subscribe_and_only_to_readable_projects(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    said = await refused(bot, harness, "subscribe deploy_checkout")  # alice: not on the list
    assert "subscribe does not list you" in said
    _status, _ack, rid = await bot.command("subscribe deploy_checkout", user_id="U0CAROL001")
    assert (await bot.reply(rid))["response_type"] == "in_channel"
    harness.requests.clear()
    said = await refused(
        bot, harness, "subscribe deploy_checkout", user_id="U0CAROL001", channel_id="C0GENERAL"
    )
    assert "channels.C0GENERAL" in said


async def test_a_notification_is_not_posted_where_the_policy_no_longer_allows_it(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    key = PipelineKey(harness.account, "default", "shop", "deploy_checkout")
    for channel in ("C0INCIDENT", "C0GENERAL"):  # C0GENERAL's from before the policy
        await bot.app.store.add_subscription(Subscription(channel, key, "Deploy Checkout"))
    status, _ = await post_webhook(bot, event_body(harness))
    assert status == 202
    await slack.wait_for(lambda: slack.posts())
    await asyncio.wait_for(bot.app.idle(), 20)
    assert [p.args["channel"] for p in slack.posts()] == ["C0INCIDENT"]


# -- buttons and unfurls --------------------------------------------------------------------


async def test_a_button_pressed_where_the_policy_refuses_answers_privately(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    _, reply = await ask(bot, "deploy_checkout #42 deploy_prod/rollout")
    (refresh,) = buttons(reply, "refresh_link")
    harness.requests.clear()
    _status, rid = await bot.press("refresh_link", refresh["value"], channel_id="C0GENERAL")
    answer = await bot.reply(rid)
    assert "The access policy does not allow that here" in all_text(answer)
    assert harness.requests == []


async def test_links_unfurl_only_where_the_policy_allows(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    event = shared(link(harness))
    assert await slack_event(bot, {**event, "channel": "C0GENERAL"}) == 200
    assert await slack_event(bot, event) == 200  # C0INCIDENT
    await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    await asyncio.wait_for(bot.app.idle(), 20)
    assert [c.args["channel"] for c in slack.calls("chat.unfurl")] == ["C0INCIDENT"]


async def test_a_link_still_being_written_is_not_unfolded_under_a_policy(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator, policy_file: Path
) -> None:
    """In the composer Slack cannot say where the message goes: under a policy the
    preview waits until it is sent, and is then checked against its channel, even
    where the policy's default allows (a restricted channel may be where it goes)."""
    policy_file.write_text(POLICY.replace("default: deny", "default: allow"))  # noqa: ASYNC240
    bot.app.reload_policy()
    draft = "U0ALICE001-909b5454-75f8-4ac4-b325-1b40e230bbd8-gryl3kb80b3wm49ihzoo35fyqoq08n2y"
    composer = {
        **shared(link(harness)),
        "channel": "COMPOSER",
        "message_ts": draft,
        "unfurl_id": draft,
        "source": "composer",
    }
    assert await slack_event(bot, composer) == 200
    await asyncio.wait_for(bot.app.idle(), 20)
    assert slack.calls("chat.unfurl") == []
    assert await slack_event(bot, shared(link(harness))) == 200  # sent, in C0INCIDENT
    (call,) = await slack.wait_for(lambda: slack.calls("chat.unfurl"))
    assert call.args["channel"] == "C0INCIDENT"


# -- chained pipelines ------------------------------------------------------------------


async def test_a_chained_run_in_a_project_the_channel_may_not_read_is_named_not_shown(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """release_train (default/shop) runs payments_service (payments/checkout): a channel
    allowed only default/shop sees that its stage failed, not the child's steps."""
    where = {"channel_id": "C0INC00042"}
    _, reply = await ask(bot, "release_train #3", **where)
    said = all_text(reply)
    assert "Failed in Deploy Services" in said
    assert "payments/checkout" in said and "may not read" in said
    assert "Helm Upgrade" not in said and HELM_FAILURE not in said
    assert buttons(reply, "show_full_excerpt") == [] and buttons(reply, "step_logs") == []
    # (Where both projects may be read, the child's failing step is shown:
    # tests/slack/views/test_excerpts.py.)

    # The buttons of a post in the narrow channel: Step logs and Refresh link name the
    # chained run too, and read nothing of it.
    (refresh,) = buttons(reply, "refresh_link")
    harness.requests.clear()
    _status, rid = await bot.press("refresh_link", refresh["value"], channel_id="C0INC00042")
    refreshed = all_text(await bot.reply(rid))
    assert "may not read" in refreshed and HELM_FAILURE not in refreshed
    child = harness.pipelines[("payments", "checkout")]["payments_service"].runs[0]
    assert not [r for r in harness.requests if child.plan_execution_id in r.path]

    # The alert path: a subscription of the narrow channel.
    key = PipelineKey(harness.account, "default", "shop", "release_train")
    await bot.app.store.add_subscription(Subscription("C0INC00042", key, "Release Train"))
    status, _ = await post_webhook(bot, event_body(harness, pipeline="release_train", run=3))
    assert status == 202
    await asyncio.wait_for(bot.app.idle(), 20)
    posted = [c for c in slack.calls("chat.postMessage") + slack.calls("chat.update")]
    alert = "\n".join(all_text(c.args) for c in posted if c.args.get("channel") == "C0INC00042")
    assert "may not read" in alert and HELM_FAILURE not in alert and "Helm Upgrade" not in alert


# -- App Home, mute -----------------------------------------------------------------------


async def test_app_home_shows_only_the_viewers_channels_and_nothing_to_outsiders(
    bot: RunningBot, slack: SlackEmulator
) -> None:
    for channel in ("C0INCIDENT", "C0INC00042"):
        key = PipelineKey("acc8Hd72kLmQ0pZx1yVw2A", "default", "shop", "deploy_checkout")
        await bot.app.store.add_subscription(Subscription(channel, key, "Deploy Checkout"))
    slack.user_channels["U0BOB00001"] = {"C0INC00042"}  # not in #incident
    opened = {"type": "app_home_opened", "channel": "D0HOME0001", "tab": "home"}
    assert await slack_event(bot, {**opened, "user": "U0BOB00001"}) == 200
    (view,) = await slack.wait_for(lambda: slack.calls("views.publish"))
    text = all_text(view.args)
    assert "<#C0INC00042>" in text and "<#C0INCIDENT>" not in text
    assert await slack_event(bot, {**opened, "user": "U0MALLORY1"}) == 200
    _, refused_view = await slack.wait_for(
        lambda: calls if len(calls := slack.calls("views.publish")) == 2 else None
    )
    text = all_text(refused_view.args)
    assert "users.allow does not list you" in text and "<#C0INC00042>" not in text


async def test_unmuting_follows_the_subscribe_rule_too(
    bot: RunningBot, harness: HarnessEmulator
) -> None:
    said = await refused(bot, harness, "unmute deploy_checkout")  # alice: not on the list
    assert "subscribe does not list you" in said


async def test_muting_follows_the_subscribe_rule(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    key = PipelineKey(harness.account, "default", "shop", "deploy_checkout")
    await bot.app.store.add_subscription(Subscription("C0INCIDENT", key, "Deploy Checkout"))
    value = '{"o":"default","p":"shop","pl":"deploy_checkout","m":"24h"}'
    # alice may read #incident but is not on the subscribe list.
    _status, rid = await bot.press(MUTE, value, select=True, user_id="U0ALICE001")
    answer = await bot.reply(rid)
    assert "subscribe does not list you" in all_text(answer)
    listing = await bot.command("subscriptions", user_id="U0CAROL001")
    assert ":mute:" not in all_text(await bot.reply(listing[2]))
    _status, _rid = await bot.press(MUTE, value, select=True, user_id="U0CAROL001")
    await slack.wait_for(lambda: [p for p in slack.posts() if " muted " in all_text(p.args)])


async def test_an_alert_queued_for_a_channel_the_policy_refuses_is_not_posted(
    bot: RunningBot, harness: HarnessEmulator, slack: SlackEmulator
) -> None:
    """The gate is asked again right before a post: queued work may have waited while
    the policy was narrowed, and whoever can write the store can queue work."""
    run = next(r for r in harness.pipelines[("default", "shop")]["deploy_checkout"].runs)
    event = PipelineEvent(
        harness.account,
        "default",
        "shop",
        "deploy_checkout",
        run.plan_execution_id,
        "PipelineFailed",
    )
    subscription = {
        "channel": "C0GENERAL",
        "pipeline": [harness.account, "default", "shop", "deploy_checkout"],
        "pipeline_name": "Deploy Checkout",
        "events": "failures",
        "filters": {},
    }
    planted = Work(
        "incident_post",
        {"event": event_to_json(event), "subscription": subscription},
        deadline=bot.app.workers.deadline_in(600),
        key="planted",
    )
    assert await bot.app.workers.submit(planted)
    await asyncio.wait_for(bot.app.idle(), 20)
    assert slack.posts("C0GENERAL") == []
