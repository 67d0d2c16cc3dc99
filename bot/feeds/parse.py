"""RSS and Atom from bytes the bot fetched itself, with XML entities refused first.

feedparser is given a `BytesIO`, never a string: given a string it may treat it
as a URL or a file name and open it. Before feedparser sees anything, the bytes
are decoded once to clean UTF-8 (bot.feeds.decode), then defusedxml parses them
and refuses entity declarations and external references, so a "billion laughs"
document is rejected at its first `<!ENTITY` instead of expanding to gigabytes.

Parsing is total: any bytes give a ParsedFeed or a FeedRefused (the document as a
whole is unusable), never another exception. Each entry becomes a FeedItem on its
own; an entry that cannot be read becomes a FeedItem carrying its `problem`, so one
bad entry is reported by itself and never costs the others.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import defusedxml
import defusedxml.ElementTree as safe_etree
import feedparser
import lxml.html
from lxml.etree import LxmlError

from bot.core import UserError
from bot.feeds.decode import decode_document
from bot.feeds.items import link_problem
from bot.text_hygiene import clean_text

log = logging.getLogger(__name__)

#: Fewer words than this in the feed's own text: a teaser, so the article page is fetched.
TEASER_WORDS = 80
#: Longest title and author kept; a feed may put a whole article in its <title>.
TITLE_MAX_CHARS = 300
AUTHOR_MAX_CHARS = 200
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "tr", "section", "article", "pre", "figcaption", "ul", "ol", "table", "hr"}
_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_FEED_LINK = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")


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
    #: Why this entry cannot become an article (bad link, nothing in it, unreadable); None if fine.
    problem: str | None = None

    @property
    def is_teaser(self) -> bool:
        return len(self.text.split()) < TEASER_WORDS

    @property
    def label(self) -> str:
        """How a message names the item: its title, else its link or GUID, shortened."""
        name = f"“{self.title[:80]}”" if self.title else ""
        where = self.link or self.guid or ""
        where = where if len(where) <= 120 else where[:119] + "…"
        if name and where:
            return f"{name} ({where})"
        return name or where or "an untitled item"


@dataclass
class ParsedFeed:
    title: str
    site_url: str | None
    items: list[FeedItem] = field(default_factory=list)
    #: Set when the XML was malformed or badly encoded but feedparser still recovered entries.
    warning: str | None = None


def parse_feed(data: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse fetched bytes as RSS/Atom; refuse entities, HTML pages and non-feeds.

    Raises only FeedRefused; a broken entry is an item with a `problem`, not an error.
    """
    decoded = decode_document(data, content_type)
    xml_error = _refuse_entities(decoded.data, url)
    # Malformed: refuse declarations the parser did not reach, also as the raw bytes spell
    # them (UTF-16/32 text has its ASCII characters as the same bytes with NULs between).
    if xml_error and (_ENTITY_DECL.search(data) or _ENTITY_DECL.search(data.replace(b"\0", b""))):
        raise FeedRefused(f"refused: {url} declares XML entities (and is malformed); "
                          "it was not parsed")
    mime = (content_type or "").split(";")[0].strip() or "application/xml"
    headers = {"content-location": url, "content-type": f"{mime}; charset=utf-8"}
    try:
        parsed = feedparser.parse(io.BytesIO(decoded.data), response_headers=headers,
                                  resolve_relative_uris=True, sanitize_html=True)
    except Exception as exc:  # noqa: BLE001 - the last line: a parser bug is this document's failure
        log.warning("feedparser failed on %s", url, exc_info=True)
        raise FeedRefused(f"{url} could not be parsed as a feed "
                          f"({type(exc).__name__}: {str(exc)[:160]})") from None
    version = _str(parsed.get("version"))
    entries = parsed.get("entries") or []
    if not isinstance(entries, list):
        entries = []
    if not version and not entries:
        raise FeedRefused(_not_a_feed(data, url, xml_error))
    meta = parsed.get("feed") or {}
    if not isinstance(meta, dict):
        meta = {}
    title = _line(meta.get("title"), TITLE_MAX_CHARS) or _host(url)
    items = [_guarded_item(entry, n) for n, entry in enumerate(entries, 1)]
    usable = sum(item.problem is None for item in items)
    warnings = [decoded.warning] if decoded.warning else []
    if xml_error:
        if not usable:
            raise FeedRefused(f"{url} is not a valid RSS or Atom feed: {xml_error}")
        warnings.append(f"the feed's XML is malformed ({xml_error}); recovered {usable} items")
    site = _str(meta.get("link")).strip() or None
    return ParsedFeed(title=title, site_url=site, items=items,
                      warning="; ".join(warnings) or None)


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
    except (SyntaxError, ValueError, LookupError, RecursionError) as exc:
        # ParseError is a SyntaxError. The parser stopped before the end: look for
        # declarations it did not reach.
        if _ENTITY_DECL.search(data):
            raise FeedRefused(f"refused: {url} declares XML entities (and is malformed); "
                              "it was not parsed") from None
        return str(exc)[:300] or type(exc).__name__
    return None


def _not_a_feed(data: bytes, url: str, xml_error: str | None) -> str:
    head = data[:4096].lower()
    if b"<html" in head or b"<!doctype html" in head:
        link = _FEED_LINK.search(data[:200_000])
        href = _HREF.search(link.group(0)) if link else None
        if href:
            found = clean_text(href.group(1).decode("utf-8", "replace"))[:300]
            return f"{url} is a web page, not a feed; it links to a feed: {found}"
        return f"{url} is a web page, not an RSS or Atom feed (for one article use `ingest`)"
    if xml_error:
        return f"{url} is not a valid RSS or Atom feed: {xml_error}"
    return f"{url} is not an RSS or Atom feed"


def _guarded_item(entry: Any, position: int) -> FeedItem:
    """`_item`, with any surprise turned into this entry's problem (the last line of defence)."""
    try:
        return _item(entry)
    except Exception as exc:  # noqa: BLE001 - one unreadable entry must not cost the others
        log.warning("feed entry %d could not be read", position, exc_info=True)
        guid = link = title = ""
        if isinstance(entry, dict):
            guid, link = _str(entry.get("id")).strip(), _str(entry.get("link")).strip()
            title = " ".join(clean_text(_str(entry.get("title"))).split())[:TITLE_MAX_CHARS]
        return FeedItem(guid=clean_text(guid)[:2048] or None, link=clean_text(link)[:2048] or None,
                        title=title or f"entry {position}", text="",
                        problem=f"the entry could not be read ({type(exc).__name__}: "
                                f"{str(exc)[:160]})")


def _item(entry: Any) -> FeedItem:
    if not isinstance(entry, dict):
        raise TypeError(f"an entry is a {type(entry).__name__}, not a mapping")
    contents = entry.get("content")
    bodies = [_str(c.get("value")) for c in contents if isinstance(c, dict)] \
        if isinstance(contents, list) else []
    bodies.append(_str(entry.get("summary")))
    text = max((html_to_text(b) for b in bodies), key=len, default="")
    title = _line(entry.get("title"), TITLE_MAX_CHARS)
    link = clean_text(_str(entry.get("link"))).strip() or None
    guid = clean_text(_str(entry.get("id"))).strip() or None
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    item = FeedItem(guid=guid, link=link, title=title, text=text, published=_utc(stamp),
                    author=_line(entry.get("author"), AUTHOR_MAX_CHARS) or None)
    if not (title or text):
        item.problem = "the entry has neither a title nor any text"
    elif not (link or guid or text):
        item.problem = "the entry has only a title: no text, link or GUID"
    elif link and (why := link_problem(link)):
        item.problem = f"its link is not a usable web address ({why})"
    return item


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, one paragraph a line, as clean Unicode; never raises."""
    html = clean_text(html) if isinstance(html, str) else ""
    if not html.strip():
        return ""
    if "<" not in html:
        return _squeeze_lines(html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        for el in root.iter():
            if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
                el.tail = "\n" + (el.tail or "")
        text = root.text_content()
    except (LxmlError, ValueError, TypeError, RecursionError, MemoryError):
        text = ""
    if not str(text).strip():  # unparseable, or nested past libxml2's depth limit: strip tags
        text = _TAG.sub(" ", html)
    # Character references in the HTML may have named controls or bidi overrides.
    return _squeeze_lines(clean_text(str(text)))


def _squeeze_lines(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _line(value: object, limit: int) -> str:
    """A one-line plain-text field (title, author) from whatever the entry holds."""
    text = " ".join(html_to_text(_str(value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _str(value: object) -> str:
    """feedparser's values are strings, but a hostile feed can make a field anything."""
    return value if isinstance(value, str) else ""


def _utc(stamp: object) -> datetime | None:
    if not stamp:
        return None
    try:
        fields: tuple[Any, ...] = tuple(stamp)[:6]  # type: ignore[arg-type]  # struct_time or junk
        year, month, day, hour, minute, second = (int(v) for v in fields)
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _host(url: str) -> str:
    m = re.match(r"https?://([^/:]+)", url)
    return m.group(1) if m else url
