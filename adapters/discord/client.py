"""The Discord bot: slash commands, DMs and @mentions, all answered by the command core.

The client holds no command logic. It turns what arrived into a `Request` (setting
`can_manage` from Discord's own permission data), runs it in the worker thread, and
sends the rendered `Reply`. Nothing it catches can stop the bot.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.app_commands import build_commands
from adapters.discord.attachments import files_for, show_in
from adapters.discord.poster import NO_MENTIONS, DiscordPoster, send_reply
from adapters.discord.render import render
from adapters.discord.worker import Dispatcher, DispatchWorker
from bot.core import MAX_QUERY_CHARS, CommandSpec, Reply, ReplyKind, Request, clean_query
from bot.services import Services
from bot.workspaces import ChatPlatform

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong while answering that. The error was logged."
NOT_SERVED = ("This server is not served by this briefbot: its operator has not listed it "
              "among the servers the bot answers. Ask them to add it, or remove the bot.")

SYNC_MODES = ("global", "guild", "none")


def default_intents() -> discord.Intents:
    """Guild and DM messages, no privileged intents.

    Discord delivers message content for DMs and for messages that mention the bot
    even without the Message Content intent, and those are the only messages it reads.
    """
    intents = discord.Intents.default()
    intents.message_content = False
    intents.members = False
    intents.presences = False
    return intents


def expected_private(spec: CommandSpec, request: Request) -> bool:
    """Whether the core will answer privately, known before running it.

    Discord fixes a deferred answer's visibility at `defer`, which must come first, so
    the refusals the core makes without running the command are predicted here.
    """
    text = clean_query(request.text)
    return ((spec.requires_manage and not request.can_manage)
            or (spec.arg_required and not text)
            or len(text) > MAX_QUERY_CHARS)


class BriefTree(app_commands.CommandTree):
    """A command tree whose errors become an apology and a log line, never a crash."""

    async def on_error(self, interaction: discord.Interaction,
                       error: app_commands.AppCommandError) -> None:
        name = interaction.command.name if interaction.command else "?"
        if isinstance(error, (app_commands.CommandNotFound,
                              app_commands.CommandSignatureMismatch)):
            log.warning("app command %r differs from the running bot's: sync the commands "
                        "(--sync guild or --sync global)", getattr(error, "name", name))
            text = ("This command changed since Discord last learned it, so it cannot run. "
                    "Ask the bot's admin to sync its commands; /help lists the current ones.")
        else:
            log.error("app command %s failed", name, exc_info=error)
            text = APOLOGY
        await _apologise(interaction, text)


async def _apologise(interaction: discord.Interaction, text: str) -> None:
    embed = render(Reply.plain(text, kind=ReplyKind.ERROR))[0].embeds[0]
    try:
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not send the apology for a failed interaction", exc_info=True)


class BriefBot(discord.Client):
    """briefbot on Discord. Commands come from `services.registry`, built at start."""

    def __init__(self, services: Services, *, sync: str = "none",
                 worker: Dispatcher | None = None,
                 on_start: Callable[[DiscordPoster], Awaitable[None]] | None = None,
                 intents: discord.Intents | None = None, **client_options: Any) -> None:
        if sync not in SYNC_MODES:
            raise ValueError(f"sync must be one of {', '.join(SYNC_MODES)}, not {sync!r}")
        # A Retry-After longer than a minute raises instead of being slept through, so a
        # digest post waits it out with its claim renewed (bot.digests.runner).
        super().__init__(intents=intents or default_intents(), allowed_mentions=NO_MENTIONS,
                         max_ratelimit_timeout=60.0, **client_options)
        self.services = services
        self.allow_list = services.settings.allow_list
        self.registry = services.registry
        self._owns_worker = worker is None  # a shared worker is closed by its owner
        self.worker = worker or DispatchWorker(services)
        self.sync_mode = sync
        self.poster = DiscordPoster(self)
        self._on_start = on_start
        self.tree = BriefTree(self)
        for command in build_commands(self.registry, self.answer_interaction):
            self.tree.add_command(command)

    # --- start -------------------------------------------------------------------
    async def setup_hook(self) -> None:
        """After login, before the gateway: sync commands, then let the scheduler post."""
        await self.sync_commands()
        if self._on_start is not None:
            await self._on_start(self.poster)

    async def sync_commands(self) -> None:
        """Register the commands with Discord as `sync` says; a refused guild is logged."""
        guild_ids = self.services.settings.discord_guild_ids
        if self.sync_mode != "none" and not self.tree.get_commands():
            # Syncing an empty tree would delete every command the bot has on Discord.
            log.error("not syncing: no commands are registered (was load_commands() called?)")
            return
        if self.sync_mode == "global":
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take a while to appear)", len(synced))
            for guild_id in guild_ids:
                # Guild copies from earlier `--sync guild` runs would show every command twice.
                self.tree.clear_commands(guild=discord.Object(id=guild_id))
                await self._sync_guild(guild_id, "removed guild copies of the commands")
        elif self.sync_mode == "guild":
            for guild_id in guild_ids:
                self.tree.copy_global_to(guild=discord.Object(id=guild_id))
                await self._sync_guild(guild_id, "synced the commands")

    async def _sync_guild(self, guild_id: int, done: str) -> None:
        try:
            synced = await self.tree.sync(guild=discord.Object(id=guild_id))
        except discord.Forbidden:
            log.error("cannot sync commands to guild %s: the bot is not in that server, or it "
                      "was invited without the applications.commands scope (see "
                      "docs/discord.md)", guild_id)
        else:
            log.info("%s in guild %s (%d commands)", done, guild_id, len(synced))

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (id %s) in %d servers",
                 self.user, self.user.id if self.user else "?", len(self.guilds))
        for guild in list(self.guilds):  # servers joined while the bot was down
            await self.leave_if_not_served(guild)

    # --- which servers are served (BRIEFBOT_WORKSPACES) ------------------------------
    def serves(self, guild_id: int | None) -> bool:
        """DMs always; a server only if the allow-list (when there is one) names it."""
        return guild_id is None or self.allow_list.allows(ChatPlatform.DISCORD, guild_id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.leave_if_not_served(guild)

    async def leave_if_not_served(self, guild: discord.Guild) -> bool:
        """Leave a server the allow-list does not name, and say so in the log; True if left."""
        if self.serves(guild.id):
            return False
        log.warning("leaving Discord server %s (%r): it is not in BRIEFBOT_WORKSPACES",
                    guild.id, guild.name)
        try:
            await guild.leave()
        except discord.HTTPException as exc:
            log.error("could not leave Discord server %s (%s); its requests are refused",
                      guild.id, exc)
        return True

    # --- slash commands ----------------------------------------------------------
    async def answer_interaction(self, interaction: discord.Interaction, spec: CommandSpec,
                                 text: str) -> None:
        """Defer at once (Discord allows 3 s), run the command off-loop, follow up."""
        if not self.serves(interaction.guild_id):
            log.warning("refused /%s from Discord server %s: not in BRIEFBOT_WORKSPACES",
                        spec.name, interaction.guild_id)
            await _apologise(interaction, NOT_SERVED)
            return
        request = self.interaction_request(interaction, spec, text)
        private = expected_private(spec, request)
        await interaction.response.defer(thinking=True, ephemeral=private)
        reply = await self.worker.dispatch(request)
        try:
            await self._follow_up(interaction, reply, private)
        except discord.HTTPException:
            log.exception("could not deliver the answer to /%s", spec.name)

    def interaction_request(self, interaction: discord.Interaction, spec: CommandSpec,
                            text: str) -> Request:
        is_direct = interaction.guild_id is None
        # In the bot's own DM the user is the only other member, so they may change
        # that conversation's settings; in servers Discord tells us their permissions.
        can_manage = True if is_direct else bool(interaction.permissions.manage_channels)
        return Request(
            command=spec.name, text=text or "", platform="discord",
            user_id=str(interaction.user.id), channel_id=str(interaction.channel_id or ""),
            is_direct=is_direct, can_manage=can_manage,
            extra={"guild_id": str(interaction.guild_id) if interaction.guild_id else None,
                   "source": "slash"})

    async def _follow_up(self, interaction: discord.Interaction, reply: Reply,
                         deferred_private: bool) -> None:
        private = deferred_private or reply.ephemeral
        parts = render(reply)
        if private and not deferred_private:
            # The first follow-up replaces the public "thinking…" message and keeps its
            # visibility; settle that message, answer privately, then remove it.
            await interaction.edit_original_response(content="Answered privately.",
                                                     allowed_mentions=NO_MENTIONS)
        perms = interaction.app_permissions
        pictures = reply.attachments if perms.attach_files and perms.embed_links else ()
        for i, part in enumerate(parts):
            extra: dict = {}
            if pictures and i == 0:
                show_in(part.embeds, pictures)
                extra["files"] = files_for(pictures)
            await interaction.followup.send(embeds=part.embeds, ephemeral=private,
                                            allowed_mentions=NO_MENTIONS, wait=True, **extra)
        if private and not deferred_private:
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.info("could not remove the public placeholder", exc_info=True)

    # --- DMs and @mentions -------------------------------------------------------
    def addressed_text(self, message: discord.Message) -> str | None:
        """The text meant for the bot, without its mention; None if not meant for it."""
        if self.user is None or message.author.bot or message.webhook_id is not None:
            return None
        if message.author.id == self.user.id:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None
        if message.guild is None:
            return message.content
        own_roles = {r.id for r in message.role_mentions
                     if r.tags is not None and r.tags.bot_id == self.user.id}
        if not own_roles and not any(u.id == self.user.id for u in message.mentions):
            return None
        ids = "|".join([rf"@!?{self.user.id}"] + [rf"@&{r}" for r in own_roles])
        text = re.sub(rf"<(?:{ids})>", " ", message.content).strip()
        return text.lstrip(",:;-–—").strip()  # "@briefbot, who is X" -> "who is X"

    async def on_message(self, message: discord.Message) -> None:
        text = self.addressed_text(message)
        if text is None:
            return
        if message.guild is not None and not self.serves(message.guild.id):
            log.warning("refused a message in Discord server %s: not in BRIEFBOT_WORKSPACES",
                        message.guild.id)
            try:
                await send_reply(message.channel, Reply.plain(NOT_SERVED, kind=ReplyKind.FORBIDDEN),
                                 nonce_key=f"refused:{message.id}", reference=message)
            except discord.HTTPException:
                log.warning("could not send the refusal either", exc_info=True)
            return
        try:
            request = self.message_request(message, text)
            await self._show_typing(message.channel)
            reply = await self.worker.dispatch(request)
            reference = None if message.guild is None else message
            await send_reply(message.channel, reply, nonce_key=f"reply:{message.id}",
                             reference=reference)
        except Exception:
            log.exception("answering message %s in channel %s failed",
                          message.id, message.channel.id)
            try:
                await send_reply(message.channel, Reply.plain(APOLOGY, kind=ReplyKind.ERROR),
                                 nonce_key=f"apology:{message.id}")
            except discord.HTTPException:
                log.warning("could not send the apology either", exc_info=True)

    @staticmethod
    async def _show_typing(channel: discord.abc.Messageable) -> None:
        """One "typing…" signal (Discord shows it for ~10 s or until we post); optional."""
        try:
            await channel.typing()
        except discord.HTTPException:
            log.debug("could not show typing in %s", getattr(channel, "id", "?"))

    def message_request(self, message: discord.Message, text: str) -> Request:
        is_direct = message.guild is None
        if is_direct:
            can_manage = True
        elif isinstance(message.author, discord.Member):
            can_manage = message.channel.permissions_for(message.author).manage_channels
        else:
            can_manage = False
        return self.registry.parse(
            text, platform="discord", user_id=str(message.author.id),
            channel_id=str(message.channel.id), is_direct=is_direct, can_manage=can_manage,
            extra={"guild_id": str(message.guild.id) if message.guild else None,
                   "source": "dm" if is_direct else "mention"})

    async def close(self) -> None:
        await super().close()
        if self._owns_worker:
            self.worker.close()


class ShardedBriefBot(BriefBot, discord.AutoShardedClient):
    """briefbot over several gateway shards (DISCORD_SHARD_COUNT / DISCORD_SHARD_IDS)."""


def make_discord_bot(services: Services, **options: Any) -> BriefBot:
    """A BriefBot, or a ShardedBriefBot running this process's shards when sharding is set.

    Discord requires shards once a bot is in 2,500 servers; each process may run a
    slice of them (DISCORD_SHARD_IDS), all of them agreeing on DISCORD_SHARD_COUNT.
    """
    settings = services.settings
    if settings.discord_shard_count is None:
        return BriefBot(services, **options)
    return ShardedBriefBot(services, shard_count=settings.discord_shard_count,
                           shard_ids=list(settings.discord_shard_ids) or None, **options)
