"""Rendering a Reply for a terminal: the CLI's answers look like the chat ones."""

from __future__ import annotations

import textwrap

from bot.core import Reply, Source


def source_line(s: Source) -> str:
    when = s.published.strftime("%d %b %Y") if s.published else "date unknown"
    where = s.url or s.origin or ""
    who = s.publisher or "publisher unknown"
    line = f"[{s.n}] {s.title} — {who}, {when}"
    return f"{line}\n    {where}" if where else line


def render(reply: Reply, *, width: int = 88) -> str:
    out: list[str] = []
    if reply.title:
        out += [reply.title, "=" * min(len(reply.title), width)]
    for section in reply.sections:
        if section.heading:
            out.append(section.heading)
        for para in section.body.split("\n"):
            out.append(textwrap.fill(para, width=width, break_long_words=False,
                                     break_on_hyphens=False) if para else "")
        out.append("")
    if reply.sources:
        out.append("Sources")
        out += [source_line(s) for s in reply.sources]
    return "\n".join(out).rstrip() + "\n"
