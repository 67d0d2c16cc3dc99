"""Reply -> Discord messages: embeds with numbered source links, within every Discord limit.

The reply arrives structured (sections -> paragraphs -> claims); this module escapes
each claim's words and writes its "[n]" marks itself, and adapters.packing cuts only
between claims, so a sentence always keeps its citation. A sentence too long for any
embed is left out whole, with a note saying so, rather than shown cut. Lengths are
counted after escaping, in UTF-16 units, because that is what Discord counts. What a
source's link shows is decided by bot.links (never a URL or domain but its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from adapters.discord.escape import plain, plain_line, utf16_len
from adapters.packing import Piece, claim_pieces, pack
from bot.core import Reply, Source, marks
from bot.links import LinkLabel, source_view

# Discord's documented limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_PER_EMBED = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000

#: Room kept free in every message for the footer note.
_FOOTER_ROOM = 300
#: A reply never becomes more than this many messages; the rest is left out with a note.
MAX_MESSAGES = 3

_COLOURS = {
    "answer": discord.Colour.blurple(),
    "help": discord.Colour.teal(),
    "no_coverage": discord.Colour.light_grey(),
    "empty": discord.Colour.light_grey(),
    "error": discord.Colour.red(),
    "forbidden": discord.Colour.orange(),
}


@dataclass
class Outgoing:
    """One Discord message to send: content and/or embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


def _pieces(reply: Reply) -> list[Piece]:
    """Every section's bold heading and claims, escaped, with their own marks."""
    return claim_pieces(reply.sections, escape=plain, limit=DESCRIPTION_MAX, length=utf16_len,
                        heading=lambda h: f"**{_shorten(plain_line(h), TITLE_MAX)}**")


def _pack(pieces: list[Piece], limit: int, notes: list[str]) -> list[str]:
    """Pack pieces into chunks of at most `limit` UTF-16 units; say what was left out."""
    chunks, dropped = pack(pieces, limit, utf16_len)
    for piece in dropped:
        where = f" from {marks(piece.refs)}" if piece.refs else ""
        notes.append(f"A sentence of {piece.size:,} characters{where} was too long for "
                     "Discord and was left out.")
    return [c.text for c in chunks]


def source_line(source: Source, *, limit: int = FIELD_VALUE_MAX) -> str:
    """`[n] [Title](url) — Publisher, date · domain`, escaped, shortened (title only) to fit.

    The link label is decided by bot.links: the title, or the target's own domain when
    the title names another host (then the title is plain, defused text).
    """
    view = source_view(source)
    who = plain_line(view.publisher) if view.publisher else "publisher unknown"
    when = view.when or "date unknown"
    url = view.url
    domain = plain_line(view.domain) if view.domain else ""
    title = plain_line(view.title)
    if view.label is LinkLabel.DOMAIN:
        tail = f" — {who}, {when} · [{domain}]({url})"
    else:
        tail = f" — {who}, {when}" + (f" · {domain}" if domain else "")
    while True:
        label = f"[{title}]({url})" if view.label is LinkLabel.TITLE else title
        line = f"[{source.n}] {label}{tail}"
        if utf16_len(line) <= limit or len(title) <= 1:
            return line if utf16_len(line) <= limit else _shorten(f"[{source.n}] {title}", limit)
        title = _shorten(title, max(1, len(title) - (utf16_len(line) - limit) - 1))


def _shorten(text: str, limit: int) -> str:
    """Cut a one-line label (a title, not a sentence) at a word boundary with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    while utf16_len(cut) > limit - 1 and cut:
        cut = cut[:-1]
    if " " in cut[len(cut) // 2:]:
        cut = cut[: cut.rfind(" ")]
    cut = cut.rstrip("\\")  # never leave a dangling escape
    return cut + "…"


def _embed_size(embed: discord.Embed) -> int:
    size = utf16_len(embed.title or "") + utf16_len(embed.description or "")
    for f in embed.fields:
        size += utf16_len(f.name or "") + utf16_len(f.value or "")
    if embed.footer and embed.footer.text:
        size += utf16_len(embed.footer.text)
    return size


def render(reply: Reply) -> list[Outgoing]:
    """Turn a Reply into at most MAX_MESSAGES messages of embeds that Discord accepts.

    When even that is too little, whole parts of the answer are left out from the end
    (the sources stay, so every [n] still shown can be followed), then source groups.
    """
    reply = reply.cleaned()
    colour = _COLOURS.get(reply.kind, discord.Colour.blurple())
    notes: list[str] = []
    title = _shorten(plain_line(reply.title), TITLE_MAX) if reply.title else None
    descriptions = _pack(_pieces(reply), DESCRIPTION_MAX, notes)
    if not descriptions and not reply.sources:
        descriptions = ["Nothing to show."]
    lines = [Piece(source_line(s)) for s in reply.sources]
    source_values = _pack(lines, FIELD_VALUE_MAX, notes)

    dropped_text = dropped_sources = 0
    while True:
        messages = _group(_embeds(title, descriptions, source_values, colour), _PER_MESSAGE)
        if len(messages) <= MAX_MESSAGES:
            break
        if len(descriptions) > 1:
            descriptions.pop()
            dropped_text += 1
        else:
            source_values.pop()
            dropped_sources += 1
    if dropped_text:
        notes.append(f"The answer was longer than Discord allows; {dropped_text} more part(s) "
                     "were left out. Ask about something narrower to see them.")
    if dropped_sources:
        notes.append(f"{dropped_sources} group(s) of sources were left out.")
    if notes:
        footer = _shorten(" ".join(notes), min(FOOTER_MAX, _FOOTER_ROOM))
        messages[-1].embeds[-1].set_footer(text=footer)
    return messages


#: What the embeds of one message may hold, leaving room for the footer note.
_PER_MESSAGE = EMBED_TOTAL_MAX - _FOOTER_ROOM


def _embeds(title: str | None, descriptions: list[str], source_values: list[str],
            colour: discord.Colour) -> list[discord.Embed]:
    """The answer's embeds, then its sources as fields on the last one with room."""
    embeds = [discord.Embed(title=title if i == 0 else None, description=text, colour=colour)
              for i, text in enumerate(descriptions)]
    if not embeds:
        embeds.append(discord.Embed(title=title, colour=colour))
    for k, value in enumerate(source_values):
        name = "Sources" if k == 0 else "Sources (continued)"
        last = embeds[-1]
        fits = (len(last.fields) < FIELDS_PER_EMBED
                and _embed_size(last) + len(name) + utf16_len(value) <= _PER_MESSAGE)
        if not fits:
            last = discord.Embed(colour=colour)
            embeds.append(last)
        last.add_field(name=name, value=value, inline=False)
    return embeds


def _group(embeds: list[discord.Embed], per_message: int) -> list[Outgoing]:
    """Put consecutive embeds into messages: at most 10 each and `per_message` units in all."""
    messages: list[Outgoing] = []
    current: list[discord.Embed] = []
    used = 0
    for embed in embeds:
        size = _embed_size(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or used + size > per_message):
            messages.append(Outgoing(embeds=current))
            current, used = [], 0
        current.append(embed)
        used += size
    if current:
        messages.append(Outgoing(embeds=current))
    return messages


def render_text(reply: Reply) -> list[str]:
    """Plain-content fallback (no Embed Links permission): messages of at most 2000 units."""
    reply = reply.cleaned()
    notes: list[str] = []
    pieces = _pieces(reply)
    if reply.title:
        pieces.insert(0, Piece(f"**{_shorten(plain_line(reply.title), TITLE_MAX)}**",
                               keep_with_next=True))
        if len(pieces) > 1 and pieces[1].sep != "\n\n":
            pieces[1].sep = "\n"
    if reply.sources:
        pieces.append(Piece("**Sources**", "\n\n", keep_with_next=True))
        pieces += [Piece(source_line(s, limit=CONTENT_MAX // 2)) for s in reply.sources]
    chunks = _pack(pieces, CONTENT_MAX - _FOOTER_ROOM, notes) or ["Nothing to show."]
    if len(chunks) > MAX_MESSAGES:
        notes.append(f"The answer was longer than Discord allows; {len(chunks) - MAX_MESSAGES} "
                     "more part(s) were left out.")
        chunks = chunks[:MAX_MESSAGES]
    if notes:
        chunks[-1] += "\n-# " + _shorten(" ".join(notes), _FOOTER_ROOM - 4)
    return chunks
