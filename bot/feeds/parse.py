"""RSS and Atom from bytes the bot fetched itself, with XML entities refused first.

feedparser is given a `BytesIO`, never a string: given a string it may treat it
as a URL or a file name and open it. Before feedparser sees anything,
defusedxml parses the bytes and refuses entity declarations and external
references, so a "billion laughs" document is rejected at its first
`<!ENTITY` instead of expanding to gigabytes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import struct_time
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as safe_etree
import feedparser
import lxml.html
from lxml.etree import ParserError

from bot.core import UserError

#: Fewer words than this in the feed's own text: a teaser, so the article page is fetched.
TEASER_WORDS = 80
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "tr", "section", "article", "pre", "figcaption", "ul", "ol", "table", "hr"}
_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_FEED_LINK = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)


class FeedRefused(UserError):
    """The document is dangerous (entities) or not a feed; nothing from it is used."""


@dataclass
class FeedItem:
    """One entry of a feed, as plain text."""

    guid: str | None
    link: str | None
    title: str
    #: Plain text of the entry's fullest body (content, else summary); paragraphs split by "\n".
    text: str
    published: datetime | None = None
    author: str | None = None

    @property
    def is_teaser(self) -> bool:
        return len(self.text.split()) < TEASER_WORDS


@dataclass
class ParsedFeed:
    title: str
    site_url: str | None
    items: list[FeedItem] = field(default_factory=list)
    #: Set when the XML was malformed but feedparser still recovered entries.
    warning: str | None = None


def parse_feed(data: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse fetched bytes as RSS/Atom; refuse entities, HTML pages and non-feeds."""
    xml_error = _refuse_entities(data, url)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers,
                              resolve_relative_uris=True, sanitize_html=True)
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        raise FeedRefused(_not_a_feed(data, url, xml_error))
    meta = parsed.get("feed") or {}
    title = _plain(meta.get("title") or "") or _host(url)
    items = [item for entry in entries if (item := _item(entry))]
    warning = None
    if xml_error:
        if not items:
            raise FeedRefused(f"{url} is not a valid RSS or Atom feed: {xml_error}")
        warning = f"the feed's XML is malformed ({xml_error}); recovered {len(items)} items"
    return ParsedFeed(title=title, site_url=meta.get("link") or None, items=items,
                      warning=warning)


def _refuse_entities(data: bytes, url: str) -> str | None:
    """Refuse entity declarations and external references; return an XML syntax error or None."""
    try:
        safe_etree.fromstring(data, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    except defusedxml.DTDForbidden:
        raise FeedRefused(f"refused: {url} declares a DTD, which the bot does not process") from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise FeedRefused(f"refused: {url} declares XML entities or external references "
                          "(a known attack, e.g. \"billion laughs\"); it was not parsed") from None
    except ParseError as exc:
        # The parser stopped before the end: look for declarations it did not reach, also
        # in UTF-16/32 text (its ASCII characters are the same bytes with NULs between).
        if _ENTITY_DECL.search(data) or _ENTITY_DECL.search(data.replace(b"\0", b"")):
            raise FeedRefused(f"refused: {url} declares XML entities (and is malformed); "
                              "it was not parsed") from None
        return str(exc)
    return None


def _not_a_feed(data: bytes, url: str, xml_error: str | None) -> str:
    head = data[:4096].lower()
    if b"<html" in head or b"<!doctype html" in head:
        link = _FEED_LINK.search(data[:200_000])
        href = _HREF.search(link.group(0)) if link else None
        if href:
            found = href.group(1).decode("utf-8", "replace")
            return f"{url} is a web page, not a feed; it links to a feed: {found}"
        return f"{url} is a web page, not an RSS or Atom feed (for one article use `ingest`)"
    if xml_error:
        return f"{url} is not a valid RSS or Atom feed: {xml_error}"
    return f"{url} is not an RSS or Atom feed"


def _item(entry: dict) -> FeedItem | None:
    bodies = [c.get("value", "") for c in entry.get("content") or []]
    bodies.append(entry.get("summary") or "")
    text = max((html_to_text(b) for b in bodies), key=len, default="")
    title = _plain(entry.get("title") or "")
    link = (entry.get("link") or "").strip() or None
    guid = (entry.get("id") or "").strip() or None
    if not (title or text) or not (link or guid or text):
        return None
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedItem(guid=guid, link=link, title=title, text=text, published=_utc(stamp),
                    author=_plain(entry.get("author") or "") or None)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, one paragraph a line."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return _squeeze_lines(html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ParserError, ValueError):
        return _squeeze_lines(re.sub(r"<[^>]+>", " ", html))
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    return _squeeze_lines(root.text_content())


def _squeeze_lines(text: str) -> str:
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _plain(text: str) -> str:
    return " ".join(html_to_text(text).split())


def _utc(stamp: struct_time | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime(*stamp[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _host(url: str) -> str:
    m = re.match(r"https?://([^/:]+)", url)
    return m.group(1) if m else url
