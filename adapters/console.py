"""Rendering a Reply for a terminal: the CLI's answers look like the chat ones.

The reply is cleaned first (`Reply.cleaned`: valid Unicode, no control characters, so
no escape sequence from an article reaches the terminal), each claim is followed by
its own "[n]" marks, and line wrapping never puts the marks on a line of their own.
Sources follow the same honest-link rule as in chat (bot.links).
"""

from __future__ import annotations

import textwrap

from bot.core import Claim, Reply, Source
from bot.links import source_view

#: Joins a claim's last word to its marks while wrapping; clean text never holds it.
_GLUE = "\x00"


def source_line(s: Source) -> str:
    """`[n] Title — Publisher, date · domain`, then the URL (or the file) indented below."""
    view = source_view(s)
    line = (f"[{view.n}] {view.title} — {view.publisher or 'publisher unknown'}, "
            f"{view.when or 'date unknown'}")
    if view.domain:
        line += f" · {view.domain}"
    where = view.url or view.origin
    return f"{line}\n    {where}" if where else line


def _claim(claim: Claim) -> str:
    return f"{claim.text}{_GLUE}{claim.marks}" if claim.refs else claim.text


def render(reply: Reply, *, width: int = 88) -> str:
    reply = reply.cleaned()
    out: list[str] = []
    if reply.title:
        out += [reply.title, "=" * min(len(reply.title), width)]
    for section in reply.sections:
        if section.heading:
            out.append(section.heading)
        for para in section.paragraphs:
            text = " ".join(_claim(c) for c in para if c.text)
            out.append(textwrap.fill(text, width=width, break_long_words=False,
                                     break_on_hyphens=False).replace(_GLUE, " ") if text else "")
        out.append("")
    if reply.sources:
        out.append("Sources")
        out += [source_line(s) for s in reply.sources]
    return "\n".join(out).rstrip() + "\n"
