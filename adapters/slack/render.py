"""Reply → Slack Block Kit, with untrusted text kept as text and Slack's limits kept.

Article text and user input are untrusted: an excerpt may contain `<!channel>`,
`<@U123>`, `@everyone` or mrkdwn. So `&`, `<` and `>` are always escaped, bodies
go in `plain_text` objects (Slack formats nothing there), and the few places that
need mrkdwn (bold headings, source links) break formatting characters apart with
zero-width spaces and use `verbatim` so nothing is auto-linked or auto-mentioned.

Limits (Slack): 3000 characters per section text, 50 blocks per message, 150 per
header, 10 elements per context block. Text is split between sentences, never
inside one or between a sentence and its `[n]`; what still does not fit is left
out sentence by sentence and the reader is told how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.core import Reply, Source
from summarizer.sentences import split_sentences

MAX_TEXT = 3000
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
#: Sources get at most this many context blocks; a reply is about its sentences.
MAX_SOURCE_BLOCKS = 2
MAX_TITLE_IN_SOURCE = 200
MAX_PUBLISHER = 100
MAX_HEADING = 300
MAX_URL = 1500
MAX_FALLBACK = 300

ZWSP = "\u200b"
_MRKDWN_CONTROL = re.compile(r"[*_~`]")
_BROADCAST = re.compile(r"@(?=(?:everyone|here|channel)\b)", re.I)
# A sentence closed by its citation groups: "... end. [2]", "... end?” [1, 3]", "... [1][4]".
# Requiring end punctuation before the citation keeps a "[2]" quoted inside an article's
# sentence (a footnote mark) from being taken as the end of that sentence.
_CITE = r"\[\d+(?:\s*[,;]\s*\d+)*\]"
_CITED_SENTENCE = re.compile(rf".*?[.!?…][\"'”’)]*\s+{_CITE}(?:\s*{_CITE})*(?=\s|$)",
                             re.S)


# Bidi overrides/isolates could reverse the rest of a message (and its [n]); other
# control characters have no business in chat. Real RTL text needs none of them.
_UNSAFE_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """Slack's three reserved characters as entities, so `<!here>` stays text.

    Also drops bidi overrides and control characters, which are invisible anyway.
    """
    text = _UNSAFE_CONTROLS.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise(text: str) -> str:
    """Untrusted text safe inside mrkdwn: escaped, formatting and broadcasts defused.

    A zero-width space on both sides of `*_~\\`` stops the character from opening
    or closing formatting whether or not Slack counts it as white space.
    """
    out = _MRKDWN_CONTROL.sub(lambda m: f"{ZWSP}{m.group(0)}{ZWSP}", escape(one_line(text)))
    return _BROADCAST.sub("@\u2060", out)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def shorten(text: str, limit: int) -> str:
    """A title or name cut at a word boundary: these are labels, not cited sentences."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def sentence_units(body: str) -> list[str]:
    """Split a body into units that must never be cut: a sentence with its citation.

    Cited text is split only after citation groups (certain boundaries); uncited text
    (help, errors) by the sentence splitter; a newline always ends a unit. Units keep
    a trailing "\\n" when a line ended there, so the layout survives re-joining.
    """
    units: list[str] = []
    for line in body.split("\n"):
        pieces = _split_line(line.strip())
        if not pieces:
            continue
        units.extend(p + " " for p in pieces[:-1])
        units.append(pieces[-1] + "\n")
    return units


def _split_line(line: str) -> list[str]:
    if not line:
        return []
    pieces: list[str] = []
    pos = 0
    for m in _CITED_SENTENCE.finditer(line):
        if m.end() <= pos:
            continue
        pieces.append(line[pos:m.end()].strip())
        pos = m.end()
    tail = line[pos:].strip()
    if tail:
        if pieces:  # trailing uncited words belong to the last cited sentence's line
            pieces.extend(split_sentences(tail))
        else:
            pieces = split_sentences(tail) or [tail]
    return [p for p in pieces if p]


@dataclass
class _Chunk:
    """Escaped text for one section block, and how many sentences it holds."""

    text: str
    sentences: int


def pack(units: list[str], limit: int = MAX_TEXT) -> tuple[list[_Chunk], int]:
    """Greedily fill chunks of at most `limit` escaped characters; drop oversize units."""
    chunks: list[_Chunk] = []
    dropped = 0
    current, count = "", 0
    for unit in units:
        piece = escape(unit)
        if len(piece.strip()) > limit:
            dropped += 1
            continue
        if len((current + piece).strip()) > limit:
            chunks.append(_Chunk(current.strip(), count))
            current, count = "", 0
        current += piece
        count += 1
    if current.strip():
        chunks.append(_Chunk(current.strip(), count))
    return chunks, dropped


def source_line(s: Source) -> str:
    """`[n] <url|Title> — Publisher, date` with every untrusted part neutralised."""
    label = neutralise(shorten(s.title or "untitled", MAX_TITLE_IN_SOURCE)).replace("|", "¦")
    url = safe_url(s.url)
    head = f"<{url}|{label}>" if url else label
    tail = [neutralise(shorten(s.publisher, MAX_PUBLISHER))] if s.publisher else []
    if s.published:
        tail.append(s.published.strftime("%d %b %Y"))
    return f"[{s.n}] {head}" + (f" — {', '.join(tail)}" if tail else "")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to sit inside `<...|...>`, or None (shown as plain text)."""
    if not url or not re.match(r"https?://[^\s/]", url, re.I):
        return None
    url = quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._")
    return url.replace("&", "&amp;") if len(url) <= MAX_URL else None


def _source_blocks(sources: tuple[Source, ...]) -> list[dict[str, Any]]:
    """Numbered source lines packed into context elements; a count for what does not fit."""
    cap = MAX_CONTEXT_ELEMENTS * MAX_SOURCE_BLOCKS
    elements: list[str] = []
    lines = [source_line(s) for s in sources]
    for i, line in enumerate(lines):
        if elements and len(elements[-1]) + 1 + len(line) <= MAX_TEXT:
            elements[-1] += "\n" + line
        elif len(elements) < cap - 1:
            elements.append(line)
        else:
            elements.append(f"({len(lines) - i} more sources not shown)")
            break
    return [{"type": "context", "elements": [mrkdwn(t) for t in elements[i:i + MAX_CONTEXT_ELEMENTS]]}
            for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage / respond() take: a notification text and the blocks."""

    text: str
    blocks: list[dict[str, Any]]


def render(reply: Reply) -> SlackMessage:
    """Block Kit for a reply: header, sections, a context block of numbered sources."""
    head: list[dict[str, Any]] = []
    if reply.title:
        head.append({"type": "header", "text": plain(_header_text(reply.title))})
    tail = _source_blocks(reply.sources) if reply.sources else []
    budget = MAX_BLOCKS - len(head) - len(tail) - 1  # one kept for the "trimmed" note

    body: list[dict[str, Any]] = []
    trimmed = 0
    for block, sentences in _section_blocks(reply):
        if block is None:  # a sentence too long for any block
            trimmed += sentences
        elif len(body) < budget:
            body.append(block)
        else:
            trimmed += sentences
    while body and body[-1].get("_heading"):  # a heading whose text was all trimmed
        body.pop()
    for block in body:
        block.pop("_heading", None)
    if trimmed:
        word = "sentence" if trimmed == 1 else "sentences"
        body.append({"type": "context", "elements": [plain(f"({trimmed} more {word} trimmed)")]})
    if not body and not head:
        body.append({"type": "section", "text": plain("(no text)")})
    return SlackMessage(text=fallback_text(reply), blocks=head + body + tail)


def _section_blocks(reply: Reply) -> Iterator[tuple[dict[str, Any] | None, int]]:
    """(block, sentences in it) in reading order; (None, n) for n oversize sentences."""
    for section in reply.sections:
        if section.heading:
            heading = neutralise(shorten(section.heading, MAX_HEADING))
            yield {"type": "section", "text": mrkdwn(f"*{heading}*"), "_heading": True}, 0
        chunks, dropped = pack(sentence_units(section.body))
        if dropped:
            yield None, dropped
        for chunk in chunks:
            yield {"type": "section", "text": plain(chunk.text)}, chunk.sentences


def _header_text(title: str) -> str:
    """Escaped and at most 150 characters: shortened until its escaped form fits."""
    limit = MAX_HEADER
    text = escape(shorten(title, limit))
    while len(text) > MAX_HEADER and limit > 1:
        limit = max(1, min(limit - 1, limit * MAX_HEADER // len(text)))
        text = escape(shorten(title, limit))
    return text


def fallback_text(reply: Reply) -> str:
    """The notification line: the title, else the first sentence when it is short."""
    first = next((u for s in reply.sections for u in sentence_units(s.body)), "")
    for candidate in (reply.title or "", first):
        text = neutralise(candidate)
        if text and len(text) <= MAX_FALLBACK:
            return text
    return "briefbot answered"
