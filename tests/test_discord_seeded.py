"""The real commands over the ingested seed pages, asked on Discord (DM, mention, slash)."""

from __future__ import annotations

import re

import discord
import discord.ext.test as dpytest
import pytest

from adapters.discord.client import BriefBot
from bot.core import Reply

from test_discord_app_commands import RecordingInteraction, invoke
from test_discord_flows import assert_pings_no_one, dpytest_intents, record_payloads


@pytest.fixture
async def seeded_bot(seeded_services):
    bot = BriefBot(seeded_services, intents=dpytest_intents())
    await bot._async_setup_hook()
    dpytest.configure(bot)
    yield bot
    await dpytest.empty_queue()
    bot.worker.close()


def assert_cited_answer(embed: discord.Embed, reply: Reply) -> None:
    """What a reader sees: the title, cited sentences, and numbered sources under them."""
    assert embed.title == reply.title
    assert re.search(r"\. \[\d+\]", embed.description)
    shown = re.findall(r"^\[(\d+)\] ", embed.fields[0].value, re.M)
    assert shown == [str(s.n) for s in reply.sources][: len(shown)] and shown
    for n in re.findall(r"\[(\d+)\]", embed.description):
        assert any(str(s.n) == n for s in reply.sources)
    first = reply.sources[0]
    assert first.title.split()[0] in embed.fields[0].value


async def test_dm_latest_on_budapest_summit(seeded_bot, seeded_services):
    payloads = record_payloads(seeded_bot)
    member = dpytest.get_config().members[0]
    dm = await member.create_dm()
    await dpytest.message("latest on Budapest summit", channel=dm, member=member)
    embed = dpytest.get_message().embeds[0]
    registry = seeded_services.registry
    expected = await registry.dispatch(registry.parse("latest on Budapest summit"),
                                       seeded_services)
    assert expected.kind == "answer"
    assert_cited_answer(embed, expected)
    assert "Budapest" in embed.description
    assert_pings_no_one(payloads[-1])


async def test_mention_who_is_steve_witkoff(seeded_bot, seeded_services):
    cfg = dpytest.get_config()
    await dpytest.message(f"<@{seeded_bot.user.id}> who is Steve Witkoff?",
                          channel=cfg.channels[0], member=cfg.members[0])
    embed = dpytest.get_message().embeds[0]
    assert "Witkoff" in embed.title
    assert "Witkoff" in embed.description and re.search(r"\[\d+\]", embed.description)


async def test_unknown_topic_gets_no_coverage_and_nearest_names(seeded_bot):
    member = dpytest.get_config().members[0]
    dm = await member.create_dm()
    await dpytest.message("latest on Atlantis underwater parliament", channel=dm, member=member)
    embed = dpytest.get_message().embeds[0]
    assert "No coverage" in embed.title


async def test_slash_timeline_is_deferred_and_followed_up(seeded_bot):
    interaction = RecordingInteraction()
    await invoke(seeded_bot, "timeline", interaction, topic="Alaska summit")
    assert interaction.calls[0] == ("defer", {"ephemeral": False, "thinking": True})
    embeds = interaction.shown_embeds()
    assert embeds and "Alaska" in embeds[0].title
    assert re.search(r"\[\d+\]", embeds[0].description)


async def test_channel_settings_commands_need_manage_channels(seeded_bot, seeded_services):
    spec = next(s for s in seeded_services.registry if s.requires_manage)  # e.g. subscribe
    options = {spec.arg_name: "08:00"} if spec.arg_name else {}
    interaction = RecordingInteraction(manage_channels=False)
    await invoke(seeded_bot, spec.name, interaction, **options)
    assert interaction.calls[0] == ("defer", {"ephemeral": True, "thinking": True})
    (embed,) = interaction.shown_embeds()
    assert "Manage Channels" in embed.description
