"""Feed and URL operations shared by the CLI and the chat commands.

Each operation returns data plus one text rendering, so `briefbot feeds list`,
`/feeds list` in Discord and Slack, and `--json` all say the same thing.
Refusals (private addresses, entities, non-feeds) raise UserError with the
message the user sees.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.core import UserError
from bot.feeds.fetch import PAGE_ACCEPT, FetchError, SafeFetcher, check_url
from bot.feeds.items import normalize_link
from bot.feeds.poll import (FEED_LEASE, INDEX_WRITES, FeedPoller, PollOutcome, PollStatus, Tally,
                            holding, parse_fetched, poll_due_feeds)
from bot.feeds.store import FeedRow, FeedStore
from bot.index.rows import AddStatus
from bot.feeds.worker import ITEM_SECONDS, JobTimeout, WorkerCrashed
from bot.ingest.model import Article, Rejected
from bot.leases import holder_id
from bot.redact import redact_urls
from bot.ingest.pipeline import articles_from_html, articles_from_text, internal_error

if TYPE_CHECKING:  # pragma: no cover
    from bot.ingest.pipeline import IngestReport
    from bot.services import Services

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_BINARY_TYPES = ("application/pdf", "application/octet-stream", "application/zip",
                 "application/gzip")


def _fetcher(services: Services, fetcher: SafeFetcher | None) -> SafeFetcher:
    return fetcher or SafeFetcher.from_settings(services.settings)


def unwrap_url(text: str) -> str:
    """A URL as chat platforms deliver it: Slack's <url|label>, Discord's <url>."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0]
    return text.strip()


# --- add --------------------------------------------------------------------------------------

@dataclass
class AddedFeed:
    feed: FeedRow
    tally: Tally
    backfill_days: int
    warning: str | None = None

    def text(self) -> str:
        t = self.tally
        lines = [f"Added feed {self.feed.id}: “{self.feed.title}” ({_n(t.in_feed, 'item')} "
                 "in the feed)."]
        got = f"Ingested {_n(t.stored, 'new story', 'new stories')} from the last " \
              f"{_n(self.backfill_days, 'day')}"
        if t.duplicates:
            got += f"; {t.duplicates} already held, now also credited to this feed"
        lines.append(got + ".")
        if t.old:
            lines.append(f"Skipped {_n(t.old, 'older or undated item')}: only new items from "
                         "now on.")
        if t.rejected:
            lines.append(f"Rejected {_n(t.rejected, 'item')}: " + "; ".join(t.reasons[:3])
                         + ("; …" if len(t.reasons) > 3 else ""))
        if self.warning:
            lines.append(f"Note: {self.warning}.")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {**feed_json(self.feed), "in_feed": self.tally.in_feed,
                "ingested": self.tally.stored, "duplicates": self.tally.duplicates,
                "skipped_old": self.tally.old, "rejected": self.tally.rejected}


async def add_feed(services: Services, url: str, *, added_by: str = "",
                   poll_minutes: int | None = None, notify_platform: str | None = None,
                   notify_channel: str | None = None,
                   fetcher: SafeFetcher | None = None, workspace: str = "") -> AddedFeed:
    """Fetch and check the feed, remember it, and backfill only its recent items.

    `poll_minutes` overrides settings.feed_poll_minutes for this feed. `notify_platform`
    and `notify_channel` name the chat channel told if the feed is ever paused. The feed
    and its stories belong to `workspace` ('' the operator's base corpus; bot.workspaces)."""
    url = str(check_url(unwrap_url(url)))
    if poll_minutes is not None and not 1 <= poll_minutes <= 7 * 24 * 60:
        raise UserError("A feed's polling interval must be between 1 minute and 7 days.")
    store = await asyncio.to_thread(FeedStore.open, services.settings.database)
    worker = services.feed_worker
    try:
        same = await asyncio.to_thread(store.by_url, url, workspace)
        existing = same[0] if same else None
        if not existing and workspace:
            if await asyncio.to_thread(store.by_url, url, ""):
                raise UserError(FOLLOWED_FOR_EVERYONE)
        if existing:
            hint = f" It is paused; resume it with `feeds resume {existing.id}`." \
                if existing.paused else ""
            raise UserError(f"Already following that feed as {existing.id} "
                            f"(“{existing.title}”).{hint}")
        fetcher = _fetcher(services, fetcher)
        result = await fetcher.fetch(url)
        parsed = await parse_fetched(worker, result)
        now = services.clock()
        holder = holder_id()  # leased from the start: no poller reads it while we backfill
        feed = await asyncio.to_thread(store.add, url, title=parsed.title,
                                       site_url=parsed.site_url, added_by=added_by, now=now,
                                       poll_minutes=poll_minutes, notify_platform=notify_platform,
                                       notify_channel=notify_channel, holder=holder,
                                       lease_until=now + FEED_LEASE, workspace=workspace)
        poller = FeedPoller(services, store, fetcher, worker)
        async with holding(store, feed, holder, now):
            tally = await poller.ingest(feed, parsed, now, skip_undated=True)
            await asyncio.to_thread(store.record_success, feed.id, now=now,
                                    next_poll_at=now + poller.interval(feed), etag=result.etag,
                                    last_modified=result.last_modified, rejected=tally.rejected,
                                    item_error=tally.last_reason)
        fresh = await asyncio.to_thread(store.get, feed.id)
        return AddedFeed(fresh or feed, tally, services.settings.feed_backfill_days,
                         parsed.warning)
    finally:
        store.close()


# --- list / remove / resume --------------------------------------------------------------------

#: A workspace adding a feed the operator follows for everyone (another workspace's feeds
#: are its own affair: each may follow the same address for itself).
FOLLOWED_FOR_EVERYONE = ("The operator already follows that feed for everyone: its stories "
                         "are in your answers already.")


async def list_feeds(settings: Settings, workspace: str | None = None) -> list[FeedRow]:
    """Every feed (workspace None: the operator's view), or one owner's feeds."""
    def read() -> list[FeedRow]:
        with FeedStore.open(settings.database) as store:
            return store.all(workspace)
    return await asyncio.to_thread(read)


def find_feed(store: FeedStore, url_or_id: str, workspace: str | None = None) -> FeedRow:
    """The feed a user named by its number or URL among `workspace`'s feeds (None: all),
    or a UserError saying it is unknown."""
    ref = unwrap_url(url_or_id)
    if ref.isdigit():
        found = [f for f in [store.get(int(ref))] if f is not None]
    else:
        found = store.by_url(ref, workspace) or _by_normal_url(store, ref, workspace)
    found = [f for f in found if workspace is None or f.workspace == workspace]
    if not found:
        raise UserError(f"No feed {ref[:120]!r}. `feeds list` shows each feed's number.")
    if len(found) > 1:  # the operator, naming an address several workspaces follow
        raise UserError(f"{len(found)} feeds follow that address (numbers "
                        f"{', '.join(str(f.id) for f in found)}): name one by its number.")
    return found[0]


def _by_normal_url(store: FeedStore, url: str, workspace: str | None) -> list[FeedRow]:
    target = normalize_link(url)
    return [f for f in store.all(workspace) if normalize_link(f.url) == target]


async def remove_feed(settings: Settings, url_or_id: str,
                      workspace: str | None = None) -> FeedRow:
    def remove() -> FeedRow:
        with FeedStore.open(settings.database) as store:
            feed = find_feed(store, url_or_id, workspace)
            store.remove(feed.id)
            return feed
    return await asyncio.to_thread(remove)


async def resume_feed(settings: Settings, url_or_id: str,
                      workspace: str | None = None) -> FeedRow:
    def resume() -> FeedRow:
        with FeedStore.open(settings.database) as store:
            feed = find_feed(store, url_or_id, workspace)
            store.resume(feed.id)
            return store.get(feed.id)  # type: ignore[return-value]
    return await asyncio.to_thread(resume)


def removed_text(feed: FeedRow) -> str:
    return (f"Removed feed {feed.id} (“{feed.title or feed.url}”). Its "
            f"{_n(feed.stored_count, 'stored story', 'stored stories')} stay in the index.")


def resumed_text(feed: FeedRow) -> str:
    return (f"Resumed feed {feed.id} (“{feed.title or feed.url}”); it will be polled within "
            "a minute.")


def feed_json(feed: FeedRow) -> dict[str, Any]:
    return {
        "id": feed.id, "url": feed.url, "title": feed.title, "status": feed.status,
        "poll_minutes": feed.poll_minutes, "items": feed.item_count, "stored": feed.stored_count,
        "last_success": _iso(feed.last_success_at), "last_error": feed.last_error,
        "last_error_at": _iso(feed.last_error_at), "failures": feed.failures,
        "next_poll": _iso(feed.next_poll_at), "added_at": _iso(feed.added_at),
        "last_poll_rejected": feed.last_poll_rejected, "last_item_error": feed.last_item_error,
        "last_item_error_at": _iso(feed.last_item_error_at),
        "workspace": feed.workspace,
    }


def describe_feed(feed: FeedRow, default_minutes: int, *, redact: bool = False) -> tuple[str, str]:
    """(heading, body) for one feed in `feeds list`.

    `redact` is for chat, where everyone in the channel reads the list: a private
    feed's URL may carry its key in the query, and fetch errors quote that URL.
    """
    if feed.paused:
        state = (f"PAUSED after {_n(feed.failures, 'failed poll')} in a row — "
                 f"resume with `feeds resume {feed.id}`")
    else:
        state = f"active, every {feed.poll_minutes or default_minutes} min"
        if feed.failures:
            state += f", {_n(feed.failures, 'failure')} in a row, next try {_when(feed.next_poll_at)}"
    shown = redact_urls if redact else str
    error = f"{_when(feed.last_error_at)}: {shown(feed.last_error)}" if feed.last_error else "none"
    body = (f"{shown(feed.url)}\n{_n(feed.item_count, 'item')} seen, {feed.stored_count} stored · "
            f"last success {_when(feed.last_success_at)} · last error {error}")
    if feed.last_poll_rejected or feed.last_item_error:
        item_error = (f"{_when(feed.last_item_error_at)}: {shown(feed.last_item_error)}"
                      if feed.last_item_error else "none")
        body += (f"\nlast poll rejected {_n(feed.last_poll_rejected, 'item')} · "
                 f"last item error {item_error}")
    if feed.notify_channel:
        body += f"\nproblems are reported in {feed.notify_platform} channel {feed.notify_channel}"
    if feed.workspace and not redact:  # the operator's list: whose feed it is
        body += f"\nbelongs to workspace {feed.workspace}"
    return f"{feed.id}. {feed.title or shown(feed.url)} — {state}", body


def list_text(feeds: list[FeedRow], default_minutes: int) -> str:
    if not feeds:
        return "No feeds yet. Add one with `feeds add https://example.com/rss`."
    blocks = []
    for feed in feeds:
        heading, body = describe_feed(feed, default_minutes)
        blocks.append(heading + "\n" + "\n".join("  " + line for line in body.splitlines()))
    return "\n".join(blocks)


# --- single article URLs ------------------------------------------------------------------------

@dataclass
class IngestedUrl:
    url: str
    status: AddStatus
    article_id: int
    title: str
    publisher: str | None
    published: datetime | None
    #: Further stories split out of the same page (aggregator pages): new, and merged.
    others: int = 0
    others_duplicate: int = 0

    def text(self) -> str:
        where = ", ".join(x for x in (self.publisher, _date(self.published)) if x)
        where = f" — {where}" if where else ""
        if self.status is AddStatus.DUPLICATE:
            line = (f"Already held: “{self.title}”{where} is the same story as article "
                    f"{self.article_id}; this source was added to it.")
        else:
            line = f"Ingested “{self.title}”{where} as article {self.article_id}."
        if self.others or self.others_duplicate:
            line += (f" The page also carried {_n(self.others, 'other new story', 'other new stories')}"
                     f" and {_n(self.others_duplicate, 'duplicate')}.")
        return line


async def ingest_url(services: Services, url: str, *,
                     fetcher: SafeFetcher | None = None, workspace: str = "") -> IngestedUrl:
    """Fetch one article page safely, extract it, and add it to the index as `workspace`'s."""
    url = str(check_url(unwrap_url(url)))
    page = await _fetcher(services, fetcher).fetch(url, accept=PAGE_ACCEPT)
    kind = page.content_type.split(";")[0].strip().lower()
    if kind in _FEED_TYPES or kind.endswith(("/rss+xml", "/atom+xml")):
        raise UserError(f"{url} is a feed, not an article page: use `feeds add {url}`.")
    if kind.startswith(("image/", "audio/", "video/", "font/")) or kind in _BINARY_TYPES:
        raise UserError(f"{url} is {kind}, not a web page; only HTML and text articles are read.")
    try:
        items = await services.feed_worker.call(page_items, page.body, page.url, url, kind,
                                                limit=ITEM_SECONDS)
    except (JobTimeout, WorkerCrashed) as exc:
        raise UserError(f"{url}: extracting the article failed ({exc}).") from None
    articles = [i for i in items if isinstance(i, Article)]
    if not articles or not isinstance(items[0], Article):
        reason = items[0].reason if items and isinstance(items[0], Rejected) else "nothing found"
        raise UserError(f"{url}: no article found ({reason}).")
    main = articles[0]
    main.keys = list(dict.fromkeys(["url:" + normalize_link(url), "url:" + normalize_link(page.url)]))
    for article in articles:
        article.workspace = workspace
    def add() -> list:
        with INDEX_WRITES:
            return services.index.add_many(articles)

    results = await asyncio.to_thread(add)
    first = results[0]  # for a duplicate, article_id is the story already held
    rest = [r.status for r in results[1:]]
    return IngestedUrl(url=url, status=first.status, article_id=first.article_id, title=main.title,
                       publisher=main.publisher, published=main.published,
                       others=rest.count(AddStatus.STORED), others_duplicate=rest.count(AddStatus.DUPLICATE))


def page_items(body: bytes, url: str, origin: str, kind: str) -> list[Article | Rejected]:
    """The stories of a fetched page (in the feed worker: extraction and cleaning are CPU work)."""
    if kind == "text/plain":
        return list(articles_from_text(body.decode("utf-8", "replace"), origin=origin, url=url))
    return list(articles_from_html(body, url, origin))


def ingest_urls(urls: list[str], services: Services, report: IngestReport) -> IngestReport:
    """`briefbot ingest URL...`: each URL is one page of the ingest report; refusals are rejections."""

    async def run() -> None:
        for url in urls:
            try:
                done = await ingest_url(services, url)
            except (UserError, FetchError) as exc:
                report.rejected.append({"path": url, "reason": str(exc)})
                continue
            except Exception as exc:  # noqa: BLE001 - a bug costs this URL, not the ones after it
                report.rejected.append({"path": url, "reason": internal_error(url, exc).reason})
                continue
            report.pages += 1
            if done.status is AddStatus.DUPLICATE:
                report.duplicates += 1
            else:
                report.stored += 1
            report.stored += done.others  # stories split out of the page count like a file's
            report.duplicates += done.others_duplicate

    asyncio.run(run())
    return report


# --- polling, for `briefbot feeds poll` ------------------------------------------------------

async def poll_now(services: Services, *, fetcher: SafeFetcher | None = None) -> list[PollOutcome]:
    return await poll_due_feeds(services, services.clock(), fetcher=fetcher)


def outcome_json(o: PollOutcome) -> dict[str, Any]:
    return {"id": o.feed_id, "url": o.url, "title": o.title, "status": o.status,
            "stored": o.tally.stored, "duplicates": o.tally.duplicates, "seen": o.tally.seen,
            "old": o.tally.old, "rejected": o.tally.rejected,
            "rejected_items": o.tally.reasons, "error": o.error,
            "next_poll": _iso(o.next_poll_at)}


def poll_text(outcomes: list[PollOutcome]) -> str:
    if not outcomes:
        return "No feed is due for polling."
    lines = []
    for o in outcomes:
        if o.status == PollStatus.UPDATED:
            what = f"{_n(o.tally.stored, 'new story', 'new stories')}"
            if o.tally.duplicates:
                what += f", {_n(o.tally.duplicates, 'duplicate')} merged"
            if o.tally.rejected:
                what += f", {_n(o.tally.rejected, 'item')} rejected: " + "; ".join(o.tally.reasons[:3])
        elif o.status == PollStatus.NOT_MODIFIED:
            what = "not modified"
        elif o.status == PollStatus.PAUSED:
            what = f"PAUSED after repeated failures: {o.error}"
        else:
            what = f"failed, will retry {_when(o.next_poll_at)}: {o.error}"
        lines.append(f"{o.feed_id}. {o.title or o.url}: {what}")
    return "\n".join(lines)


# --- formatting -------------------------------------------------------------------------------

def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if dt else "never"


def _date(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d") if dt else ""


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None
