"""Files that go with a Discord reply (a coverage chart), shown inside the reply's embed.

A picture needs Attach Files (and Embed Links to sit in the embed); without them the
reply goes out as text only, which is always complete on its own.
"""

from __future__ import annotations

import io

import discord

from bot.core import Attachment


def files_for(attachments: tuple[Attachment, ...]) -> list[discord.File]:
    """discord.py File objects; the alt text becomes the attachment's description."""
    return [discord.File(io.BytesIO(a.data), filename=a.filename, description=a.alt[:1024])
            for a in attachments]


def show_in(embeds: list[discord.Embed], attachments: tuple[Attachment, ...]) -> None:
    """Point the last embed's image at the first picture (Discord shows one per embed)."""
    pictures = [a for a in attachments if a.mime.startswith("image/")]
    if embeds and pictures:
        embeds[-1].set_image(url=f"attachment://{pictures[0].filename}")
