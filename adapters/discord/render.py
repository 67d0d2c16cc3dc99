"""Reply -> Discord messages: embeds with numbered source links, within every Discord limit.

A reply is cut only between sections, lines or whole sentences; a sentence always
keeps its [n] citation. A sentence too long for any embed is left out whole, with a
note saying so, rather than shown cut. Lengths are counted after escaping, in UTF-16
units, because that is what Discord counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord

from adapters.discord.escape import plain, plain_line, safe_url, strip_invisible, utf16_len
from bot.core import Reply, Source

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

#: One citation run after a sentence: " [2]", " [1][3]", " [1, 3]".
_CITATION_RUN = re.compile(r"(?:\s*\[\d{1,4}(?:\s*[,;]\s*\d{1,4})*\])+")
#: The gap after a sentence end (with any closing quote) and before a capital or digit.
_SENTENCE_GAP = re.compile(r"[.!?…][\"”’')\]]*(\s+)(?=[\"“‘'(]?[A-Z0-9])")


@dataclass
class Outgoing:
    """One Discord message to send: content and/or embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


@dataclass
class _Piece:
    """A unit never cut: a heading, or a sentence with its citation. `sep` goes before it."""

    text: str
    sep: str
    raw_len: int


def split_units(line: str) -> list[str]:
    """Split one line into sentences, each keeping the citation run that follows it."""
    units: list[str] = []
    start = 0
    for m in _CITATION_RUN.finditer(line):
        end = m.end()
        if end < len(line) and not _ends_sentence(line, m.start(), end):
            continue  # "[2]x" or "according to [2] the..." is not the end of a sentence
        chunk = line[start:end].strip()
        if chunk:
            units.extend(_split_uncited(chunk, keep_last=True))
        start = end
    tail = line[start:].strip()
    if tail:
        units.extend(_split_uncited(tail, keep_last=False))
    return units


def _ends_sentence(line: str, start: int, end: int) -> bool:
    """Whether the citation run line[start:end] closes a sentence (and more text follows)."""
    if not line[end].isspace():
        return False
    before = line[:start].rstrip()
    after = line[end:].lstrip()
    return (before.endswith((".", "!", "?", "…", '"', "”", "’", "'", ")"))
            or after[:1].isupper() or after[:1].isdigit() or after[:1] in "\"“‘'(")


def _split_uncited(text: str, *, keep_last: bool) -> list[str]:
    """Text with at most one trailing citation: split on sentence ends before the citation.

    Only uncited text (help, notices) is split this way; a cited chunk stays whole so
    that every sentence keeps the citation that the summarizer attached to it.
    """
    if keep_last:
        return [text]
    parts: list[str] = []
    start = 0
    for m in _SENTENCE_GAP.finditer(text):
        parts.append(text[start:m.start(1)])
        start = m.end(1)
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _pieces(reply: Reply) -> list[_Piece]:
    """Every section's heading and sentences, escaped, with the separator before each."""
    pieces: list[_Piece] = []
    for i, section in enumerate(reply.sections):
        section_sep = "\n\n" if i else ""
        if section.heading:
            heading = _shorten(plain_line(section.heading), TITLE_MAX)
            pieces.append(_Piece(f"**{heading}**", section_sep, len(section.heading)))
            section_sep = "\n"
        line_sep = section_sep
        for line in strip_invisible(section.body).split("\n"):
            units = split_units(line)
            if not units:  # a blank line inside a body keeps its paragraph break
                line_sep = "\n\n" if pieces else ""
                continue
            for k, unit in enumerate(units):
                pieces.append(_Piece(plain(unit), line_sep if k == 0 else " ", len(unit)))
            line_sep = "\n"
    return pieces


def _citations(text: str) -> list[str]:
    return re.findall(r"\[(\d{1,4})\]", text)


def _pack(pieces: list[_Piece], limit: int, notes: list[str]) -> list[str]:
    """Greedy-pack pieces into chunks of at most `limit` UTF-16 units, never cutting one."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        size = utf16_len(piece.text)
        if size > limit:
            cited = _citations(piece.text)
            where = f" from [{cited[0]}]" if cited else ""
            notes.append(f"A sentence of {piece.raw_len:,} characters{where} was too long for "
                         "Discord and was left out.")
            continue
        joined = (current + piece.sep + piece.text) if current else piece.text
        if utf16_len(joined) <= limit:
            current = joined
        else:
            chunks.append(current)
            current = piece.text
    if current:
        chunks.append(current)
    return chunks


def source_line(source: Source, *, limit: int = FIELD_VALUE_MAX) -> str:
    """`[n] [Title](url) — Publisher, date`, escaped, shortened (title only) to fit `limit`."""
    when = source.published.strftime("%d %b %Y") if source.published else "date unknown"
    who = plain_line(source.publisher) if source.publisher else "publisher unknown"
    url = safe_url(source.url)
    title = plain_line(source.title) or "untitled"
    tail = f" — {who}, {when}"
    while True:
        label = f"[{title}]({url})" if url else title
        line = f"[{source.n}] {label}{tail}"
        if utf16_len(line) <= limit or len(title) <= 1:
            return line if utf16_len(line) <= limit else line[: limit - 1] + "…"
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
    colour = _COLOURS.get(reply.kind, discord.Colour.blurple())
    notes: list[str] = []
    title = _shorten(plain_line(reply.title), TITLE_MAX) if reply.title else None
    descriptions = _pack(_pieces(reply), DESCRIPTION_MAX, notes)
    if not descriptions and not reply.sources:
        descriptions = ["Nothing to show."]
    lines = [_Piece(source_line(s), "\n", 0) for s in reply.sources]
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
    notes: list[str] = []
    pieces = _pieces(reply)
    if reply.title:
        pieces.insert(0, _Piece(f"**{_shorten(plain_line(reply.title), TITLE_MAX)}**", "", 0))
        if len(pieces) > 1:
            pieces[1].sep = "\n"
    if reply.sources:
        pieces.append(_Piece("**Sources**", "\n\n", 0))
        pieces += [_Piece(source_line(s, limit=CONTENT_MAX // 2), "\n", 0)
                   for s in reply.sources]
    chunks = _pack(pieces, CONTENT_MAX - _FOOTER_ROOM, notes) or ["Nothing to show."]
    if len(chunks) > MAX_MESSAGES:
        notes.append(f"The answer was longer than Discord allows; {len(chunks) - MAX_MESSAGES} "
                     "more part(s) were left out.")
        chunks = chunks[:MAX_MESSAGES]
    if notes:
        chunks[-1] += "\n-# " + _shorten(" ".join(notes), _FOOTER_ROOM - 4)
    return chunks
