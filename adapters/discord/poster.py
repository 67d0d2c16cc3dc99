"""Sending a rendered Reply to a channel, once, with nobody pinged.

Both answers to DMs/mentions and unprompted posts (digests) go through `send_reply`.
Every message carries a nonce derived from what is being sent, and discord.py asks
Discord to enforce it, so a request retried after a dropped connection or a 5xx, or
a whole post retried by the scheduler, returns the message already created instead
of creating a second one. HTTP 429s are waited out by discord.py's HTTP client.

Digests (bot.digests.delivery) go further, because Discord checks a nonce for a
few minutes only and history does not return it: each digest message also shows
its claim and part in its embed footer (or a small last line of plain content),
and `find_part` looks for that in the channel's recent history (Read Message
History) before a message whose fate is unknown is ever sent again.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

import aiohttp
import discord

from adapters.discord.attachments import files_for, show_in
from adapters.discord.render import CONTENT_MAX, Outgoing, render, render_text
from bot.core import Reply
from bot.digests.delivery import (
    DeliveryUncertain,
    HistoryUnavailable,
    PartTag,
    RateLimited,
)

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
    return channel.permissions_for(guild.me)  # type: ignore[attr-defined]  # a guild channel


def can_embed(channel: discord.abc.Messageable) -> bool:
    """Without Embed Links, Discord drops embeds silently; then plain content is sent."""
    perms = _own_permissions(channel)
    return perms is None or perms.embed_links


def can_reply_to(channel: discord.abc.Messageable) -> bool:
    """Discord refuses a reply (message reference) without Read Message History."""
    return can_read_history(channel)


def can_read_history(channel: discord.abc.Messageable) -> bool:
    """Read Message History: replies, and checking whether a digest arrived."""
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


#: Messages of a channel's history read when looking for a digest message.
HISTORY_LIMIT = 500
#: Footer room for the tag (render keeps at most this much for its own footer notes).
_FOOTER_ROOM = 300


def tagged(part: Outgoing, tag: PartTag) -> Outgoing:
    """`part` carrying `tag` where a later look at history finds it: the last embed's
    footer, or a small last line of plain content."""
    if part.embeds:
        embeds = [e.copy() for e in part.embeds]
        last = embeds[-1]
        notes = last.footer.text if last.footer and last.footer.text else ""
        room = _FOOTER_ROOM - len(tag.label) - 3
        text = tag.label + (f" · {notes[:room]}" if notes and room > 0 else "")
        last.set_footer(text=text)
        return Outgoing(content=part.content, embeds=embeds)
    line = f"\n-# {tag.label}"
    content = part.content or ""
    return Outgoing(content=content[:CONTENT_MAX - len(line)] + line, embeds=part.embeds)


def _tag_of(message: discord.Message) -> PartTag | None:
    for embed in message.embeds:
        found = PartTag.parse(embed.footer.text if embed.footer else None)
        if found:
            return found
    return PartTag.parse(message.content)


class DiscordPoster:
    """The scheduler's way to post to a Discord channel (Poster and DigestPoster)."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _channel(self, channel_id: str) -> discord.abc.Messageable:
        if not str(channel_id).isdigit():
            raise ValueError(f"not a Discord channel id: {channel_id!r}")
        channel = self.client.get_channel(int(channel_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(channel_id))
        return channel  # type: ignore[return-value]  # a channel id names a messageable channel

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post `reply` to the channel and return the id of its first message.

        Raises discord.HTTPException (Forbidden, NotFound...) when it cannot be posted,
        so the caller can record the failure and retry; a retry of the same reply within
        a few minutes does not post it twice (nonce).
        """
        channel = await self._channel(channel_id)
        key = f"post:{channel_id}:{_reply_fingerprint(reply)}"
        messages = await send_reply(channel, reply, nonce_key=key)
        log.info("posted %d message(s) to discord channel %s", len(messages), channel_id)
        return str(messages[0].id)

    # --- digests, exactly once ---------------------------------------------------------
    async def split(self, channel_id: str, reply: Reply) -> list[Outgoing]:
        return outgoing_for(await self._channel(channel_id), reply)

    async def send_part(self, channel_id: str, part: Outgoing, tag: PartTag) -> str:
        """One digest message, tagged, with a nonce Discord enforces (discord.py's own
        retries of a 5xx or a reset connection then return the same message)."""
        channel = await self._channel(channel_id)
        part = tagged(part, tag)
        kwargs: dict = {"allowed_mentions": NO_MENTIONS, "nonce": make_nonce(tag.key)}
        if part.embeds:
            kwargs["embeds"] = part.embeds
        if part.content:
            kwargs["content"] = part.content
            kwargs["suppress_embeds"] = True
        try:
            message = await channel.send(**kwargs)
        except discord.RateLimited as exc:  # longer than discord.py is allowed to wait
            raise RateLimited(exc.retry_after, "Discord rate-limited the post") from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RateLimited(float(getattr(exc, "retry_after", 1.0) or 1.0)) from exc
            if exc.status >= 500:  # Discord may have created it before failing
                raise DeliveryUncertain(f"Discord answered HTTP {exc.status}") from exc
            raise  # Forbidden, NotFound...: refused, surely not posted
        except aiohttp.ClientConnectorError:
            raise  # no connection was made: nothing reached Discord
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryUncertain(f"{type(exc).__name__} after sending: {exc}") from exc
        return str(message.id)

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        """The id of our message whose footer carries `tag`, posted after `since`."""
        channel = await self._channel(channel_id)
        if not can_read_history(channel):
            raise HistoryUnavailable("no Read Message History permission")
        me = self.client.user
        read = 0
        try:
            async for message in channel.history(limit=HISTORY_LIMIT, after=since):
                read += 1
                if me is not None and message.author.id != me.id:
                    continue
                found = _tag_of(message)
                if found is not None and found.matches(tag.claim, tag.part, tag.local_date):
                    return str(message.id)
        except discord.Forbidden as exc:
            raise HistoryUnavailable(f"Discord refused to show history: {exc.text}") from exc
        if read >= HISTORY_LIMIT:  # too much said since to read it all: never post it again
            raise HistoryUnavailable(f"more than {HISTORY_LIMIT} messages since {since:%H:%M}")
        return None


def _reply_fingerprint(reply: Reply) -> str:
    parts = [reply.title or "", reply.text] + [f"{s.n}:{s.article_id}" for s in reply.sources]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
