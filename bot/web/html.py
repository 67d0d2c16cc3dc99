"""HTML for the status pages: every string from articles, feeds or users is escaped here.

There are no templates with holes a value can fall out of: pages are built from small
functions that escape every argument, and a link is only ever made from an http(s) URL
that bot.links accepts, labelled with that URL's own host name. No script is sent, so the page's
Content-Security-Policy can forbid every script.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from bot.core import Claim, Reply, Source
from bot.links import defuse, domain_of, safe_link, source_view
from bot.text_hygiene import clean_line, clean_text

STYLESHEET = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin-left:auto;display:flex;gap:.4em}
header input{width:22em;padding:.3em .5em}
main{max-width:60em;margin:1.2em auto;padding:0 1.2em}
section.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.8em 1.1em;margin:0 0 1.1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin:.2em 0 .5em}h3{font-size:1em;margin:.9em 0 .3em}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25em .5em;border-bottom:1px solid #eceef2;vertical-align:top}
.num{font-size:1.6em;font-weight:700}.stats{display:flex;gap:2em;flex-wrap:wrap}
.ok{color:#17663a}.bad{color:#a11d1d}.muted{color:#667085}
a.ref{text-decoration:none;font-size:.85em}
ol.sources li{margin:.2em 0}.domain{color:#667085;font-size:.9em}
img.chart{max-width:100%;height:auto;border:1px solid #eceef2}
"""


def text(value: object) -> str:
    """Untrusted text as inert HTML: valid Unicode, escaped, quotes included."""
    return escape(clean_text(str(value)), quote=True)


def line(value: object) -> str:
    return escape(clean_line(str(value)), quote=True)


def link(url: str | None) -> str:
    """An outbound link labelled with its own host; plain text if it is no safe http(s) URL."""
    safe = safe_link(url)
    if safe is None:
        return line(defuse(url or ""))
    shown = line(domain_of(safe))
    return (f'<a href="{escape(safe, quote=True)}" rel="noopener noreferrer nofollow" '
            f'referrerpolicy="no-referrer">{shown}</a>')


def internal(path: str, label: str, **query: str) -> str:
    """A link inside this app; only our own paths, with the query encoded."""
    href = path + ("?" + urlencode(query) if query else "")
    return f'<a href="{escape(href, quote=True)}">{line(label)}</a>'


def when(dt: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    return escape(dt.strftime(fmt)) if dt else '<span class="muted">never</span>'


def page(title: str, body: str, *, query: str = "") -> str:
    """The whole document: navigation, a search box answering like `ask`, the body."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{line(title)} · briefbot</title>'
        '<link rel="stylesheet" href="/static/style.css">'
        '<link rel="icon" href="/static/icon.svg" type="image/svg+xml"></head><body>'
        '<header><a href="/">briefbot</a><a href="/feeds">Feeds</a>'
        '<form action="/search" method="get" role="search">'
        f'<input type="search" name="q" aria-label="Ask" value="{line(query)}" '
        'placeholder="latest on Budapest summit" maxlength="300">'
        '<button type="submit">Ask</button></form></header>'
        f'<main><h1>{line(title)}</h1>{body}</main></body></html>')


ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<rect width="16" height="16" rx="3" fill="#1d2330"/>'
        '<path d="M4 4h8M4 8h8M4 12h5" stroke="#fff" stroke-width="2"/></svg>')


def card(title: str, inner: str) -> str:
    return f'<section class="card"><h2>{line(title)}</h2>{inner}</section>'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """`rows` hold HTML already made safe by this module's functions."""
    head = "".join(f"<th>{line(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def claim(c: Claim) -> str:
    """A sentence and its citation marks, each mark linking to its source below."""
    marks = "".join(f'<a class="ref" href="#src-{n}">[{n}]</a>' for n in c.refs)
    return text(c.text) + (" " + marks if marks else "")


def source(s: Source) -> str:
    """`Title — Publisher, date · host`: the rule of bot.links decides what is shown and
    linked, as on Discord, Slack and the CLI; here the link is always its real host."""
    view = source_view(s)
    parts = [f"<cite>{line(view.title)}</cite>",
             " — " + ", ".join([line(view.publisher or "publisher unknown"),
                                line(view.when or "date unknown")])]
    if view.url:
        parts.append(f' · <span class="domain">{link(view.url)}</span>')
    elif view.origin:
        parts.append(f' · <span class="domain">{line(view.origin)}</span>')
    return f'<li id="src-{s.n}" value="{s.n}">{"".join(parts)}</li>'


def reply(r: Reply, *, heading_level: int = 3) -> str:
    """A command's reply as HTML (its title is the caller's card title): the same
    sections and sources the chat shows."""
    sub = f"h{heading_level}"
    out: list[str] = []
    for section in r.sections:
        if section.heading:
            out.append(f"<{sub}>{line(section.heading)}</{sub}>")
        for paragraph in section.paragraphs:
            if paragraph:
                out.append("<p>" + " ".join(claim(c) for c in paragraph) + "</p>")
    if r.sources:
        out.append('<h4>Sources</h4><ol class="sources">'
                   + "".join(source(s) for s in r.sources) + "</ol>")
    return "".join(out)
