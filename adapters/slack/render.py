"""Reply → Slack Block Kit, with untrusted text kept as text and Slack's limits kept.

Article text and user input are untrusted: an excerpt may contain `<!channel>`,
`<@U123>`, `@everyone` or mrkdwn. So `&`, `<` and `>` are always escaped, bodies
go in `plain_text` objects (Slack formats nothing there), and the few places that
need mrkdwn (bold headings, source links) break formatting characters apart with
zero-width spaces and use `verbatim` so nothing is auto-linked or auto-mentioned.

Limits (Slack): 3000 characters per section text, 50 blocks per message, 150 per
header, 10 elements per context block. The reply arrives as claims with their refs;
this module writes each claim's "[n]" marks itself and adapters.packing splits only
between claims, never inside one or between a sentence and its marks; what still
does not fit is left out claim by claim and the reader is told how many. What a
source's link shows is decided by bot.links (never a URL or domain but its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from adapters.packing import claim_pieces, pack
from bot.core import Reply, Source
from bot.links import LinkLabel, safe_link, source_view
from bot.text_hygiene import clean_text

MAX_TEXT = 3000
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
#: Sources get at most this many context blocks; a reply is about its sentences.
MAX_SOURCE_BLOCKS = 2
MAX_TITLE_IN_SOURCE = 200
MAX_PUBLISHER = 100
MAX_HEADING = 300
MAX_FALLBACK = 300

ZWSP = "\u200b"
_MRKDWN_CONTROL = re.compile(r"[*_~`]")
_BROADCAST = re.compile(r"@(?=(?:everyone|here|channel)\b)", re.I)


def escape(text: str) -> str:
    """Slack's three reserved characters as entities, so `<!here>` stays text.

    The text first passes bot.text_hygiene.clean_text (valid Unicode, no bidi overrides
    or control characters), whatever path it came by.
    """
    text = clean_text(text)
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


def source_line(s: Source) -> str:
    """`[n] <url|Title> — Publisher, date · domain`, every untrusted part neutralised.

    When the title names another host (bot.links), it is shown unlinked and defused
    and the link is written on the target's own domain: `· <url|evil.example>`.
    """
    view = source_view(s)
    title = neutralise(shorten(view.title, MAX_TITLE_IN_SOURCE)).replace("|", "¦")
    url = safe_url(view.url)
    domain = escape(view.domain or "")
    head = f"<{url}|{title}>" if url and view.label is LinkLabel.TITLE else title
    tail = [neutralise(shorten(view.publisher, MAX_PUBLISHER))] if view.publisher else []
    if view.when:
        tail.append(view.when)
    line = f"[{s.n}] {head}" + (f" — {', '.join(tail)}" if tail else "")
    if url and view.label is LinkLabel.DOMAIN:
        return f"{line} · <{url}|{domain}>"
    return f"{line} · {domain}" if domain else line


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to sit inside `<...|...>` (bot.links.safe_link encodes `|<>`),
    with `&` as Slack's entity; or None (the source is then shown unlinked)."""
    url = safe_link(url)
    return url.replace("&", "&amp;") if url else None


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
    reply = reply.cleaned()
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
        pieces = claim_pieces([section], escape=escape, limit=MAX_TEXT, length=len)
        chunks, dropped = pack(pieces, MAX_TEXT, len)
        if dropped:
            yield None, sum(p.claims for p in dropped)
        for chunk in chunks:
            yield {"type": "section", "text": plain(chunk.text)}, chunk.claims


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
    first = next((c.plain for s in reply.sections for c in s.claims if c.text), "")
    for candidate in (reply.title or "", first):
        text = neutralise(candidate)
        if text and len(text) <= MAX_FALLBACK:
            return text
    return "briefbot answered"
