"""DMs and @mentions through discord.py's real message path, with dpytest as the Discord side."""

from __future__ import annotations

import json
import sys

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend, factories

from adapters.discord.client import BriefBot
from bot.config import Settings
from bot.core import Claim, Registry, Reply, Request, Section, Source
from bot.registry import load_commands
from bot.services import Services

HOSTILE = ("@everyone look <@123456789012345678> and <@&234567890123456789> in "
           "<#345678901234567890> **now** [click](https://evil.example)")


def dpytest_intents() -> discord.Intents:
    """dpytest resolves mentions from the member cache, which needs the members intent."""
    intents = discord.Intents.default()
    intents.members = True
    return intents


def make_services(registry: Registry) -> Services:
    """Services for commands that need only the registry (help and test commands)."""
    settings = Settings.load(env={}, dotenv=None)
    return Services(settings=settings, index=None, summarizer=None, registry=registry)


def test_registry() -> Registry:
    """A separate registry of commands that exist only in these tests."""
    reg = Registry()
    calls: list[Request] = []
    reg.calls = calls  # type: ignore[attr-defined]

    @reg.command("latest", "Echo the topic back", arg="topic", arg_required=True)
    async def latest(req: Request, services: Services) -> Reply:
        calls.append(req)
        if req.text == "explode":
            raise RuntimeError("boom")
        if req.text == "hostile":
            return Reply(sections=(Section.cited([Claim(HOSTILE, (1,))]),), title="@here <@&1> title",
                         sources=(Source(1, 7, "Title @everyone", "Pub <@1>", None,
                                         "https://example.com/a"),))
        return Reply(sections=(Section.cited([Claim(f"You asked about {req.text}.", (1,))]),),
                     title=f"Latest on {req.text}",
                     sources=(Source(1, 7, "An article", "Reuters", None,
                                     "https://example.com/a"),))

    @reg.command("subscribe", "Change this channel", arg="when", requires_manage=True)
    async def subscribe(req: Request, services: Services) -> Reply:
        calls.append(req)
        return Reply.plain("Subscribed.")

    return reg


test_registry.__test__ = False  # a helper, not a test


@pytest.fixture
async def flow():
    """A configured BriefBot on a test registry; records every payload sent to Discord."""
    reg = test_registry()
    bot = BriefBot(make_services(reg), intents=dpytest_intents())
    await bot._async_setup_hook()  # dpytest's documented set-up for discord.py 2.x
    dpytest.configure(bot, members=2)
    payloads = record_payloads(bot)
    yield bot, reg, payloads
    await dpytest.empty_queue()
    bot.worker.close()


def record_payloads(bot: discord.Client) -> list[dict]:
    """Keep what the Discord side received, including allowed_mentions (not on Message)."""
    payloads: list[dict] = []
    original = bot.http.send_message

    async def send_message(channel_id, *, params):
        # dpytest's fake HTTP reads `channel` from its caller's frame; keep it visible.
        channel = sys._getframe(1).f_locals.get("channel")  # noqa: F841
        payloads.append(params.payload)
        return await original(channel_id, params=params)

    bot.http.send_message = send_message
    return payloads


def assert_pings_no_one(payload: dict) -> None:
    """Discord pings only what allowed_mentions lets through: here, nothing at all."""
    allowed = payload["allowed_mentions"]
    assert allowed["parse"] == []
    assert not allowed.get("users") and not allowed.get("roles")
    assert not allowed.get("replied_user", False)


def _bot_mention(bot: discord.Client) -> str:
    return f"<@{bot.user.id}>"


async def test_mention_is_answered_with_an_embed_and_pings_no_one(flow):
    bot, reg, payloads = flow
    cfg = dpytest.get_config()
    asked = await dpytest.message(f"{_bot_mention(bot)} latest on Budapest summit",
                                  channel=cfg.channels[0], member=cfg.members[0])
    sent = dpytest.get_message()
    assert payloads[-1]["message_reference"]["message_id"] == asked.id  # a reply to it
    embed = sent.embeds[0]
    assert embed.title == "Latest on Budapest summit"
    assert embed.description == "You asked about Budapest summit. [1]"
    assert embed.fields[0].name == "Sources"
    assert embed.fields[0].value.startswith("[1] [An article](https://example.com/a) — Reuters")
    assert_pings_no_one(payloads[-1])
    req = reg.calls[-1]
    assert (req.command, req.text, req.is_direct) == ("latest", "Budapest summit", False)
    assert req.channel_id == str(cfg.channels[0].id)


async def test_lone_surrogates_and_bidi_in_a_question_come_back_as_clean_text(flow):
    bot, reg, payloads = flow
    cfg = dpytest.get_config()
    await dpytest.message(f"{_bot_mention(bot)} latest on Buda\udcffpest \u202e@everyone\u202c now",
                          channel=cfg.channels[0], member=cfg.members[0])
    embed = dpytest.get_message().embeds[0]
    assert embed.title == "Latest on Buda\ufffdpest @\u200beveryone now"
    assert embed.description == "You asked about Buda\ufffdpest @\u200beveryone now. [1]"
    json.dumps(payloads[-1], ensure_ascii=False).encode("utf-8")  # what goes on the wire
    assert_pings_no_one(payloads[-1])


async def test_dm_goes_through_the_free_text_parser(flow):
    bot, reg, payloads = flow
    member = dpytest.get_config().members[0]
    dm = await member.create_dm()
    await dpytest.message("what's new with Alaska summit?", channel=dm, member=member)
    assert dpytest.get_message().embeds[0].title == "Latest on Alaska summit"
    req = reg.calls[-1]
    assert req.is_direct and req.text == "Alaska summit" and req.platform == "discord"
    assert_pings_no_one(payloads[-1])


@pytest.mark.parametrize("template", ["<@!{id}>, who is Steve Witkoff?",
                                      "who is <@{id}> Steve Witkoff",
                                      "<@{id}>: who is Steve Witkoff"])
async def test_mention_forms_are_stripped_before_parsing(flow, template):
    bot, reg, _ = flow
    reg.command("who", "Who someone is", arg="name", arg_required=True)(_echo(reg))
    cfg = dpytest.get_config()
    await dpytest.message(template.format(id=bot.user.id), channel=cfg.channels[0])
    assert dpytest.get_message().embeds[0].description == "who: Steve Witkoff"


def _echo(reg: Registry):
    async def echo(req: Request, services: Services) -> Reply:
        reg.calls.append(req)
        return Reply.plain(f"{req.command}: {req.text}")
    return echo


async def test_plain_channel_messages_other_bots_and_itself_are_ignored(flow):
    bot, reg, _ = flow
    cfg = dpytest.get_config()
    await dpytest.message("latest on Budapest summit", channel=cfg.channels[0])
    other = backend.get_state().store_user(
        factories.make_user_dict("OtherBot", "0042", None, bot=True))
    other_member = backend.make_member(other, cfg.guilds[0])
    await dpytest.message(f"{_bot_mention(bot)} latest on X", channel=cfg.channels[0],
                          member=other_member)
    own = cfg.guilds[0].get_member(bot.user.id)
    await dpytest.message(f"{_bot_mention(bot)} latest on Y", channel=cfg.channels[0],
                          member=own)
    assert dpytest.verify().message().nothing()
    assert reg.calls == []


async def test_hostile_article_text_arrives_as_plain_text(flow):
    bot, _, payloads = flow
    cfg = dpytest.get_config()
    await dpytest.message(f"{_bot_mention(bot)} latest hostile", channel=cfg.channels[0])
    sent = dpytest.get_message()
    # dpytest resolves mentions in what it receives exactly as Discord parses them.
    assert sent.mentions == [] and sent.role_mentions == [] and sent.channel_mentions == []
    assert not sent.mention_everyone
    payload = payloads[-1]
    assert_pings_no_one(payload)
    shown = str(payload["embeds"])
    for live in ("@everyone", "@here", "<@1", "<@&", "<#3", "](https://evil"):
        assert live not in shown


async def test_a_crashing_command_apologises_and_the_bot_answers_the_next_message(flow):
    bot, reg, _ = flow
    cfg = dpytest.get_config()
    await dpytest.message(f"{_bot_mention(bot)} latest explode", channel=cfg.channels[0])
    apology = dpytest.get_message().embeds[0]
    assert apology.description.startswith("Sorry, something went wrong")
    await dpytest.message(f"{_bot_mention(bot)} latest on Kyiv", channel=cfg.channels[0])
    assert dpytest.get_message().embeds[0].title == "Latest on Kyiv"


async def test_manage_channels_is_read_from_the_members_permissions(flow):
    bot, reg, _ = flow
    cfg = dpytest.get_config()
    channel, member = cfg.channels[0], cfg.members[0]
    await dpytest.message(f"{_bot_mention(bot)} subscribe 08:00", channel=channel, member=member)
    refusal = dpytest.get_message().embeds[0].description
    assert "Manage Channels" in refusal
    assert reg.calls == []  # the handler never ran

    mods = backend.make_role("Mods", cfg.guilds[0],
                             permissions=discord.Permissions(manage_channels=True).value)
    await dpytest.add_role(member, mods)
    await dpytest.message(f"{_bot_mention(bot)} subscribe 08:00", channel=channel, member=member)
    assert dpytest.get_message().embeds[0].description == "Subscribed."
    assert reg.calls[-1].can_manage


async def test_real_help_command_from_the_registry():
    registry = load_commands()
    bot = BriefBot(make_services(registry), intents=dpytest_intents())
    await bot._async_setup_hook()
    dpytest.configure(bot)
    try:
        member = dpytest.get_config().members[0]
        dm = await member.create_dm()
        await dpytest.message("help", channel=dm, member=member)
        embed = dpytest.get_message().embeds[0]
        assert embed.title == "briefbot help"
        for spec in registry:
            assert spec.usage.split()[0] in embed.description
    finally:
        await dpytest.empty_queue()
        bot.worker.close()


async def test_without_embed_links_the_answer_comes_as_escaped_plain_text(flow):
    bot, _, payloads = flow
    cfg = dpytest.get_config()
    channel, guild = cfg.channels[0], cfg.guilds[0]
    await dpytest.set_permission_overrides(guild.default_role, channel, embed_links=False,
                                           read_message_history=False)
    await dpytest.message(f"{_bot_mention(bot)} latest hostile", channel=channel)
    sent = dpytest.get_message()
    assert sent.embeds == []
    assert sent.content.startswith("**@\u200bhere <\u200b@\u200b&1> title**")
    assert "[1] [Title @\u200beveryone](https://example.com/a)" in sent.content
    assert len(sent.content) <= 2000
    assert sent.mentions == [] and sent.role_mentions == [] and not sent.mention_everyone
    payload = payloads[-1]
    assert_pings_no_one(payload)
    assert "message_reference" not in payload  # a reply needs Read Message History
