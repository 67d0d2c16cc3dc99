"""BRIEFBOT_WORKSPACES and sharding on Discord, through discord.py's real client (dpytest peer).

Leaving a server is Discord's "leave guild" call; dpytest's fake HTTP has none, so the
tests give the fake side one: it records the call and answers as Discord does, with
a GUILD_DELETE for that server.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend

from adapters.discord.client import NOT_SERVED, BriefBot, ShardedBriefBot, make_discord_bot
from bot.config import ConfigError, Settings
from bot.services import Services
from tests.test_discord_flows import dpytest_intents, test_registry
from tests.test_discord_http import discord_api  # noqa: F401 - the fake Discord REST peer

HOME = 111111111111111111
STRANGER = 222222222222222222
WAIT = 10.0  # bound for something that must happen; not a speed assertion


def services_for(env: dict[str, str], registry=None) -> Services:
    settings = Settings.load(env=env, dotenv=None)
    return Services(settings=settings, index=None, summarizer=None,  # type: ignore[arg-type]
                    registry=registry or test_registry())


async def until(condition, what: str) -> None:
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def discord_side_leave(bot: discord.Client, *, refuse: bool = False) -> list[int]:
    """Give dpytest's HTTP peer Discord's leave-guild call; returns the ids left."""
    left: list[int] = []

    async def leave_guild(guild_id):
        if refuse:
            raise discord.HTTPException(SimpleNamespace(status=500, reason="Server Error"),
                                        "try again")
        left.append(int(guild_id))
        bot._connection.parse_guild_delete({"id": str(guild_id)})

    bot.http.leave_guild = leave_guild
    return left


@pytest.fixture
async def allow_home():
    reg = test_registry()
    bot = BriefBot(services_for({"BRIEFBOT_WORKSPACES": f"discord:{HOME}, slack:T0HOME"}, reg),
                   intents=dpytest_intents())
    await bot._async_setup_hook()
    dpytest.configure(bot, guilds=0, members=1)
    yield bot, reg
    await dpytest.empty_queue()
    bot.worker.close()


async def test_a_server_not_listed_is_left_on_join_and_logged(allow_home, caplog):
    bot, _ = allow_home
    caplog.set_level(logging.WARNING, logger="adapters.discord.client")
    left = discord_side_leave(bot)
    backend.make_guild("Home", id_num=HOME)
    backend.make_guild("Stranger", id_num=STRANGER)
    await until(lambda: left, "the bot to leave the stranger server")
    assert left == [STRANGER]
    assert [g.id for g in bot.guilds] == [HOME]
    assert any(str(STRANGER) in r.getMessage() and "BRIEFBOT_WORKSPACES" in r.getMessage()
               for r in caplog.records)


async def test_servers_joined_while_down_are_left_when_ready(allow_home):
    bot, _ = allow_home
    state = backend.get_state()
    state.stop_dispatch()  # joined while the bot was not connected: no join event seen
    backend.make_guild("Home", id_num=HOME)
    backend.make_guild("Stranger", id_num=STRANGER)
    state.start_dispatch()
    left = discord_side_leave(bot)
    bot.dispatch("ready")
    await until(lambda: left, "the bot to leave at start")
    assert left == [STRANGER] and [g.id for g in bot.guilds] == [HOME]


async def test_a_server_it_could_not_leave_is_answered_that_it_is_not_served(allow_home):
    bot, reg = allow_home
    discord_side_leave(bot, refuse=True)
    stranger = backend.make_guild("Stranger", id_num=STRANGER)
    channel = backend.make_text_channel("general", stranger)
    member = backend.make_member(backend.make_user("someone", "0007"), stranger)
    backend.make_member(backend.get_state().user, stranger)
    await dpytest.message(f"<@{bot.user.id}> latest on Budapest", channel=channel, member=member)
    await until(lambda: not dpytest.sent_queue.empty(), "the refusal")
    refusal = dpytest.get_message()
    assert refusal.embeds[0].description == NOT_SERVED
    assert reg.calls == []  # the command never ran


async def test_the_listed_server_and_dms_are_answered(allow_home):
    bot, reg = allow_home
    discord_side_leave(bot)
    home = backend.make_guild("Home", id_num=HOME)
    channel = backend.make_text_channel("general", home)
    member = backend.make_member(backend.make_user("someone", "0007"), home)
    backend.make_member(backend.get_state().user, home)
    await dpytest.message(f"<@{bot.user.id}> latest on Budapest", channel=channel, member=member)
    await until(lambda: not dpytest.sent_queue.empty(), "the answer")
    assert dpytest.get_message().embeds[0].title == "Latest on Budapest"
    dm = await member.create_dm()
    await dpytest.message("latest on Vienna", channel=dm, member=member)
    await until(lambda: not dpytest.sent_queue.empty(), "the DM answer")
    assert dpytest.get_message().embeds[0].title == "Latest on Vienna"
    assert [r.text for r in reg.calls] == ["Budapest", "Vienna"]


async def test_without_an_allow_list_no_server_is_left():
    bot = BriefBot(services_for({}), intents=dpytest_intents())
    await bot._async_setup_hook()
    dpytest.configure(bot, guilds=0, members=1)
    left = discord_side_leave(bot)
    backend.make_guild("Anyone", id_num=STRANGER)
    bot.dispatch("ready")
    await asyncio.sleep(0.2)
    assert left == [] and [g.id for g in bot.guilds] == [STRANGER]
    await dpytest.empty_queue()
    bot.worker.close()


# --- sharding -----------------------------------------------------------------------------
async def test_shard_settings_build_an_auto_sharded_client_with_this_process_shards():
    bot = make_discord_bot(services_for({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3, 1"}))
    try:
        assert isinstance(bot, ShardedBriefBot) and isinstance(bot, discord.AutoShardedClient)
        assert bot.shard_count == 4 and bot.shard_ids == [1, 3]
        assert bot.tree.get_commands()  # still briefbot: its commands are registered
    finally:
        bot.worker.close()


async def test_a_shard_count_alone_runs_every_shard_and_no_setting_means_one_connection():
    every = make_discord_bot(services_for({"DISCORD_SHARD_COUNT": "2"}))
    plain = make_discord_bot(services_for({}))
    try:
        assert isinstance(every, discord.AutoShardedClient)
        assert every.shard_count == 2 and every.shard_ids is None  # discord.py starts 0 and 1
        assert not isinstance(plain, discord.AutoShardedClient) and plain.shard_count is None
    finally:
        every.worker.close()
        plain.worker.close()


@pytest.mark.parametrize("env, says", [
    ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS is malformed ('0'): set DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"}, "shard 2 does not exist"),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,1"}, "a shard is listed twice"),
    ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT is out of range"),
    ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT is malformed"),
])
def test_bad_shard_settings_stop_with_one_line_naming_them(env, says):
    with pytest.raises(ConfigError, match=None) as err:
        Settings.load(env=env, dotenv=None)
    assert says in str(err.value) and "\n" not in str(err.value)


# --- the ingest role's Discord: posts over HTTP, never opens the gateway ---------------------
async def test_post_only_discord_posts_through_rest_without_a_gateway_session(discord_api):
    from adapters.discord.run import post_only_discord
    from bot.core import Reply
    from tests.test_discord_http import CHANNEL_ID, TOKEN, make_registry, make_services

    services = make_services(make_registry([]), discord_token=TOKEN)
    posted: list[str] = []

    async def on_start(poster) -> None:
        posted.append(await poster.post(str(CHANNEL_ID), Reply.plain("Feed paused.",
                                                                     title="Notice")))

    task = asyncio.create_task(post_only_discord(services, on_start=on_start))
    try:
        await until(lambda: posted, "the post")
        [message] = discord_api.messages
        assert posted == [message["id"]] and message["embeds"][0]["title"] == "Notice"
        assert not any("gateway" in path for _, path, _ in discord_api.requests)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
