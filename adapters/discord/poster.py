"""Sending a rendered Reply to a channel, once, with nobody pinged.

Both answers to DMs/mentions and unprompted posts (digests) go through `send_reply`.
Every message carries a nonce derived from what is being sent, and discord.py asks
Discord to enforce it, so a request retried after a dropped connection or a 5xx, or
a whole post retried by the scheduler, returns the message already created instead
of creating a second one. HTTP 429s are waited out by discord.py's HTTP client.
"""

from __future__ import annotations

import hashlib
import logging

import discord

from adapters.discord.attachments import files_for, show_in
from adapters.discord.render import Outgoing, render, render_text
from bot.core import Reply

log = logging.getLogger(__name__)

#: Every message we send: nobody is pinged, whatever the text says.
NO_MENTIONS = discord.AllowedMentions.none()


def make_nonce(*parts: object) -> str:
    """A stable nonce (Discord allows 25 characters) for the same message sent again."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big"))


def _own_permissions(channel: discord.abc.Messageable) -> discord.Permissions | None:
    """The bot's permissions in a server channel; None in DMs (everything allowed there)."""
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None:
        return None
    return channel.permissions_for(guild.me)


def can_embed(channel: discord.abc.Messageable) -> bool:
    """Without Embed Links, Discord drops embeds silently; then plain content is sent."""
    perms = _own_permissions(channel)
    return perms is None or perms.embed_links


def can_reply_to(channel: discord.abc.Messageable) -> bool:
    """Discord refuses a reply (message reference) without Read Message History."""
    perms = _own_permissions(channel)
    return perms is None or perms.read_message_history


def can_attach(channel: discord.abc.Messageable) -> bool:
    """A picture inside an embed needs Attach Files and Embed Links."""
    perms = _own_permissions(channel)
    return perms is None or (perms.attach_files and perms.embed_links)


def outgoing_for(channel: discord.abc.Messageable, reply: Reply) -> list[Outgoing]:
    if can_embed(channel):
        return render(reply)
    return [Outgoing(content=text) for text in render_text(reply)]


async def send_reply(channel: discord.abc.Messageable, reply: Reply, *, nonce_key: str,
                     reference: discord.Message | None = None) -> list[discord.Message]:
    """Send every part of `reply` to `channel`; the first part answers `reference`."""
    sent: list[discord.Message] = []
    if reference is not None and not can_reply_to(channel):
        reference = None
    for i, part in enumerate(outgoing_for(channel, reply)):
        kwargs: dict = {"allowed_mentions": NO_MENTIONS, "nonce": make_nonce(nonce_key, i)}
        if part.embeds:
            kwargs["embeds"] = part.embeds
        if part.content:
            kwargs["content"] = part.content
            kwargs["suppress_embeds"] = True  # no link previews under a plain-text answer
        if i == 0 and reply.attachments and part.embeds and can_attach(channel):
            show_in(part.embeds, reply.attachments)
            kwargs["files"] = files_for(reply.attachments)
        if reference is not None and i == 0:
            kwargs["reference"] = reference
            kwargs["mention_author"] = False
        sent.append(await channel.send(**kwargs))
    return sent


class DiscordPoster:
    """The scheduler's way to post to a Discord channel (Poster protocol in bot.core)."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post `reply` to the channel and return the id of its first message.

        Raises discord.HTTPException (Forbidden, NotFound...) when it cannot be posted,
        so the caller can record the failure and retry; a retry of the same reply within
        a few minutes does not post it twice (nonce).
        """
        if not str(channel_id).isdigit():
            raise ValueError(f"not a Discord channel id: {channel_id!r}")
        channel = self.client.get_channel(int(channel_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(channel_id))
        key = f"post:{channel_id}:{_reply_fingerprint(reply)}"
        messages = await send_reply(channel, reply, nonce_key=key)
        log.info("posted %d message(s) to discord channel %s", len(messages), channel_id)
        return str(messages[0].id)


def _reply_fingerprint(reply: Reply) -> str:
    parts = [reply.title or "", reply.text] + [f"{s.n}:{s.article_id}" for s in reply.sources]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
