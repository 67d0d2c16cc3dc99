"""From a feed item to an Article: its identity keys, and its full text when the feed has a teaser.

An item is known by three keys. Its GUID says "same item" even when the
publisher edits the headline or bumps the date; its link says the same when the
GUID changes; a hash of its text catches a re-post under a new GUID and link.
GUIDs that are not URIs ("1234") are only unique within one feed, so they are
scoped by the feed's URL.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yarl import URL

from bot.feeds.fetch import PAGE_ACCEPT, FetchError, SafeFetcher
from bot.feeds.worker import ITEM_SECONDS, FeedWorker, JobTimeout, WorkerCrashed
from bot.index.dedup import content_hash
from bot.ingest.model import Article, Rejected
from bot.ingest.pipeline import articles_from_html, articles_from_text
from bot.redact import redact_url
from bot.text_hygiene import clean_text

if TYPE_CHECKING:  # pragma: no cover
    from bot.feeds.parse import FeedItem

log = logging.getLogger(__name__)

#: Texts shorter than this are not hashed: two different teasers can read "Read more".
HASH_MIN_WORDS = 20
#: GUIDs and links longer than this are keyed by their hash, so a key stays a small index entry.
KEY_MAX_CHARS = 1000
#: Longest link an item may cite (the same limit as for URLs a user gives).
LINK_MAX_CHARS = 2048
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid")


def normalize_link(url: str) -> str:
    """The link as an identity: lower-case host, no fragment, no tracking parameters.

    Never raises: a link yarl cannot take apart is its own identity, stripped."""
    text = clean_text(url if isinstance(url, str) else "").strip()
    try:
        u = URL(text)
        if not u.is_absolute():
            return text
        query = [(k, v) for k, v in u.query.items() if not k.lower().startswith(_TRACKING)]
        u = u.with_fragment(None).with_query(query)
        return str(u.with_scheme(u.scheme.lower()).with_host((u.host or "").lower()))
    except (ValueError, TypeError, UnicodeError):
        return text


def link_problem(link: str) -> str | None:
    """Why `link` cannot be cited and fetched as an http(s) address, or None if it can."""
    text = link.strip()
    if len(text) > LINK_MAX_CHARS:
        return f"longer than {LINK_MAX_CHARS} characters"
    try:
        u = URL(text)
        if u.scheme.lower() not in ("http", "https"):
            return (f"{u.scheme}: links are not web pages" if u.scheme
                    else "not an absolute http(s) address")
        if not u.raw_host:
            return "it names no host"
        u.with_host(u.host or "")  # validates the host name: no spaces, no stray characters
    except (ValueError, TypeError, UnicodeError) as exc:
        return str(exc)[:160] or type(exc).__name__
    return None


def item_keys(item: FeedItem, feed_url: str) -> list[str]:
    """Every key this item is known by; any one of them matching means "seen before".

    Never raises, and the same item always gets the same keys; items that differ in
    GUID, link and text share none."""
    keys = []
    if item.guid:
        is_uri = ":" in item.guid  # "tag:...", "urn:...", "https://...": unique on its own
        keys.append("guid:" + _bounded(item.guid if is_uri else f"{feed_url}#{item.guid}"))
    if item.link:
        keys.append("url:" + _bounded(normalize_link(item.link)))
    if len(item.text.split()) >= HASH_MIN_WORDS:
        keys.append("text:" + content_hash(item.text))
    if not keys:  # no GUID, no link, a short text: title and text exactly are all it has
        keys.append("item:" + _sha1(f"{feed_url}\n{item.title}\n{item.text}"))
    return keys


def rejected_key(item: FeedItem, feed_url: str) -> str:
    """The key a rejected item is remembered by: all of it, so the same bad item is not
    tried and reported again, while a corrected one (same GUID, fixed link) is."""
    fields = [feed_url, item.guid, item.link, item.title, item.text]
    return "rejected:" + _sha1(json.dumps(fields))  # JSON: distinct fields, distinct text


def _bounded(key: str) -> str:
    return key if len(key) <= KEY_MAX_CHARS else "sha1:" + _sha1(key)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Built:
    """An item made ready for the index: an Article, or why it could not be one."""

    article: Article | None
    reason: str | None = None
    page_fetched: bool = False


async def build_article(item: FeedItem, *, publisher: str, origin: str, keys: list[str],
                        fetcher: SafeFetcher | None, worker: FeedWorker) -> Built:
    """Clean the item's text; for a teaser, fetch and extract its article page first.

    Only the fetch runs on the event loop; extraction and cleaning run in the feed
    worker's child process, within ITEM_SECONDS each. `fetcher=None` means "do not fetch
    pages" (the per-poll page budget is spent). Never raises: whatever goes wrong is
    this item's `reason`.
    """
    if item.problem:
        return Built(None, reason=item.problem)
    page_note = None
    if item.is_teaser and item.link and fetcher is not None:
        try:
            page = await fetcher.fetch(item.link, accept=PAGE_ACCEPT)
            found = await _in_worker(worker, "extracting its article page", _from_page, item,
                                     page.body, page.url, publisher, origin)
            if isinstance(found, Article) and len(found.text.split()) > len(item.text.split()):
                found.keys = keys
                return Built(found, page_fetched=True)
            page_note = found.reason if isinstance(found, Rejected) else "page text was shorter"
        except FetchError as exc:
            page_note = str(exc)
        log.info("article page for %s not used (%s); keeping the feed's text",
                 redact_url(item.link), page_note)
    found = await _in_worker(worker, "cleaning its text", _from_feed_text, item, publisher,
                             origin)
    if isinstance(found, Article):
        found.keys = keys
        return Built(found)
    reason = found.reason if found else "empty item"
    if page_note:
        reason += f"; article page: {page_note}"
    return Built(None, reason=reason)


async def _in_worker(worker: FeedWorker, doing: str, func, *args) -> Article | Rejected | None:
    """`func(*args)` in the worker process; running too long or crashing it rejects the item."""
    origin = args[-1]
    try:
        return await worker.call(func, *args, limit=ITEM_SECONDS)
    except JobTimeout as exc:
        return Rejected(origin, f"{doing} {exc}; the item was skipped")
    except WorkerCrashed as exc:
        return Rejected(origin, f"{doing} failed: {exc}")


def _from_page(item: FeedItem, body: bytes, url: str, publisher: str,
               origin: str) -> Article | Rejected | None:
    """The article extracted from the item's page (in the worker: trafilatura and cleaning)."""
    return _guarded(origin, "extracting the article page", lambda: _first_article(
        articles_from_html(body, url, origin, title=item.title, publisher=publisher,
                           published=item.published)))


def _from_feed_text(item: FeedItem, publisher: str, origin: str) -> Article | Rejected | None:
    """The article made of the feed's own text for the item (in the worker: cleaning)."""
    return _guarded(origin, "cleaning the item's text", lambda: _first_article(
        articles_from_text(item.text, origin=origin, title=item.title, publisher=publisher,
                           published=item.published, url=item.link, split=False)))


def _guarded(origin: str, doing: str, work) -> Article | Rejected | None:
    """A crash in the ingest pipeline rejects this one item (with the error) instead of the poll."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - the per-item guard: the last line of defence
        log.warning("%s of feed item %s failed", doing, redact_url(origin), exc_info=True)
        return Rejected(origin, f"{doing} failed ({type(exc).__name__}: {str(exc)[:160]})")


def _first_article(items) -> Article | Rejected | None:
    """The main story of a page: a feed item is one story, related links are not its own."""
    for item in items:
        return item
    return None
