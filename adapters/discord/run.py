"""`briefbot serve discord`: check the settings, then run the bot until stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord

from adapters.discord.client import SYNC_MODES, make_discord_bot
from adapters.discord.poster import DiscordPoster
from adapters.discord.worker import Dispatcher
from bot.config import ConfigError
from bot.services import Services
from bot.workspaces import ChatPlatform

log = logging.getLogger(__name__)


def check_discord_settings(services: Services, sync: str) -> None:
    """Fail before connecting, with one line naming the setting or option that is wrong."""
    services.settings.require_discord()
    if sync not in SYNC_MODES:
        raise ConfigError(f"--sync must be one of {', '.join(SYNC_MODES)}, not {sync!r}")
    if sync == "guild" and not services.settings.discord_guild_ids:
        raise ConfigError("DISCORD_GUILD_IDS is not set: --sync guild needs the ids of the "
                          "servers to sync commands to (comma-separated)")


async def run_discord(services: Services, *, sync: str = "none",
                      on_start: Callable[[DiscordPoster], Awaitable[None]] | None = None,
                      worker: Dispatcher | None = None) -> None:
    """Run the Discord bot until it is closed or cancelled.

    sync: "global" (all servers; Discord may take up to an hour to show changes),
    "guild" (the servers in DISCORD_GUILD_IDS, at once) or "none" (keep what is there).
    on_start: awaited once after login with the bot's Poster, e.g. to start digests.
    worker: share one command thread with other surfaces in the same process
    (`serve all`), so SQLite keeps a single writer; by default the bot makes its own.
    """
    check_discord_settings(services, sync)
    settings = services.settings
    if settings.allow_list.restricted:
        log.info("serving only the Discord servers in BRIEFBOT_WORKSPACES: %s",
                 ", ".join(settings.allow_list.ids(ChatPlatform.DISCORD)) or "none")
    if settings.discord_shard_count is not None:
        log.info("Discord shards %s of %d in this process",
                 ",".join(map(str, settings.discord_shard_ids)) or "all",
                 settings.discord_shard_count)
    bot = make_discord_bot(services, sync=sync, on_start=on_start, worker=worker)
    try:
        async with bot:
            await bot.start(str(services.settings.discord_token))
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN was refused by Discord: reset the bot token in the "
                          "developer portal (Bot tab) and set the new one") from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError("Discord refused the gateway intents: check the bot's Privileged "
                          "Gateway Intents in the developer portal") from None
    finally:
        log.info("discord bot stopped")


async def post_only_discord(services: Services, *,
                            on_start: Callable[[DiscordPoster], Awaitable[None]]) -> None:
    """The ingest role's Discord: logged in over HTTP to post, with no gateway connection,
    so another process (the answer role) is the only one that receives and answers messages."""
    services.settings.require_discord()
    bot = make_discord_bot(services, sync="none")
    try:
        await bot.login(str(services.settings.discord_token))
        log.info("Discord: posting only (no gateway connection in this role)")
        await on_start(bot.poster)
        await asyncio.Event().wait()
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN was refused by Discord: reset the bot token in the "
                          "developer portal (Bot tab) and set the new one") from None
    finally:
        await bot.close()
