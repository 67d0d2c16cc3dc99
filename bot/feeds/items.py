"""From a feed item to an Article: its identity keys, and its full text when the feed has a teaser.

An item is known by three keys. Its GUID says "same item" even when the
publisher edits the headline or bumps the date; its link says the same when the
GUID changes; a hash of its text catches a re-post under a new GUID and link.
GUIDs that are not URIs ("1234") are only unique within one feed, so they are
scoped by the feed's URL.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from yarl import URL

from bot.feeds.fetch import PAGE_ACCEPT, FetchError, SafeFetcher
from bot.feeds.parse import FeedItem
from bot.index.dedup import content_hash
from bot.ingest.model import Article, Rejected
from bot.ingest.pipeline import articles_from_html, articles_from_text
from bot.redact import redact_url

log = logging.getLogger(__name__)

#: Texts shorter than this are not hashed: two different teasers can read "Read more".
HASH_MIN_WORDS = 20
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid")


def normalize_link(url: str) -> str:
    """The link as an identity: lower-case host, no fragment, no tracking parameters."""
    try:
        u = URL(url.strip())
    except ValueError:
        return url.strip()
    if not u.is_absolute():
        return url.strip()
    query = [(k, v) for k, v in u.query.items() if not k.lower().startswith(_TRACKING)]
    u = u.with_fragment(None).with_query(query)
    return str(u.with_scheme(u.scheme.lower()).with_host((u.host or "").lower()))


def item_keys(item: FeedItem, feed_url: str) -> list[str]:
    """Every key this item is known by; any one of them matching means "seen before"."""
    keys = []
    if item.guid:
        is_uri = ":" in item.guid  # "tag:...", "urn:...", "https://...": unique on its own
        keys.append("guid:" + (item.guid if is_uri else f"{feed_url}#{item.guid}"))
    if item.link:
        keys.append("url:" + normalize_link(item.link))
    if len(item.text.split()) >= HASH_MIN_WORDS:
        keys.append("text:" + content_hash(item.text))
    if not keys:  # no GUID, no link, a short text: title and text are all it has
        keys.append("text:" + content_hash(f"{item.title}\n{item.text}"))
    return keys


@dataclass
class Built:
    """An item made ready for the index: an Article, or why it could not be one."""

    article: Article | None
    reason: str | None = None
    page_fetched: bool = False


async def build_article(item: FeedItem, *, publisher: str, origin: str, keys: list[str],
                        fetcher: SafeFetcher | None) -> Built:
    """Clean the item's text; for a teaser, fetch and extract its article page first.

    `fetcher=None` means "do not fetch pages" (the per-poll page budget is spent).
    """
    page_note = None
    if item.is_teaser and item.link and fetcher is not None:
        try:
            page = await fetcher.fetch(item.link, accept=PAGE_ACCEPT)
            found = await asyncio.to_thread(
                _first_article, articles_from_html(page.body, page.url, origin, title=item.title,
                                                   publisher=publisher, published=item.published))
            if isinstance(found, Article) and len(found.text.split()) > len(item.text.split()):
                found.keys = keys
                return Built(found, page_fetched=True)
            page_note = found.reason if isinstance(found, Rejected) else "page text was shorter"
        except FetchError as exc:
            page_note = str(exc)
        log.info("article page for %s not used (%s); keeping the feed's text", redact_url(item.link), page_note)
    found = _first_article(articles_from_text(
        item.text, origin=origin, title=item.title, publisher=publisher,
        published=item.published, url=item.link, split=False))
    if isinstance(found, Article):
        found.keys = keys
        return Built(found)
    reason = found.reason if found else "empty item"
    if page_note:
        reason += f"; article page: {page_note}"
    return Built(None, reason=reason)


def _first_article(items) -> Article | Rejected | None:
    """The main story of a page: a feed item is one story, related links are not its own."""
    for item in items:
        return item
    return None
