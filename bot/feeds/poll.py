"""Polling feeds: conditional requests, new items into the index, backoff, pause.

Each feed has its own interval. A poll sends the ETag and Last-Modified it was
given last time, so an unchanged feed costs one 304. A failing feed is retried
after exponentially longer waits and, after `MAX_FAILURES` failures in a row,
paused: `feeds list` shows it as paused with the last error, the log says so
once, and the serving process tells the channel the feed was added from (through
the `notify` callable it passes), instead of the bot retrying forever in silence.

Items are judged one by one: a bad item (a malformed link, no usable text, refused
by the index) is rejected alone, logged with the feed and the item, and counted on
the feed's record (`feeds list`); the other items of the same poll are stored. Only
a failure of the feed as a whole (fetch, unparseable document) counts toward backoff.
Nothing CPU-bound runs on the event loop, which the poll shares with the chat bots:
parsing and cleaning run in the feed worker's child process (bot.feeds.worker), each
within a time limit, and indexing as ingest jobs (bot.jobs) that this process or any
other ingesting one takes, in a worker thread.

Several processes may poll: each feed is polled under a lease in the database (holder,
expiry), renewed while the poll runs, so a feed is polled by one process at a time and
a dead poller's feeds are free again once its lease has run out.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.core import UserError
from bot.feeds.fetch import FetchResult, SafeFetcher
from bot.feeds.items import Built, build_article, item_keys, rejected_key
from bot.feeds.parse import FeedItem, ParsedFeed, parse_feed
from bot.feeds.store import FeedRow, FeedStore, ItemOutcome, SeenItem
from bot.feeds.worker import PARSE_SECONDS, FeedWorker, JobTimeout
from bot.ingest.model import Article
from bot.leases import holder_id, renewing
from bot.redact import redact_url, redact_urls

if TYPE_CHECKING:  # pragma: no cover
    from bot.index.store import AddResult
    from bot.services import Services

log = logging.getLogger(__name__)

#: Consecutive failed polls after which a feed is paused.
MAX_FAILURES = 5
MAX_BACKOFF = timedelta(hours=24)
#: Article pages fetched for teaser items in one poll; the rest keep the feed's text.
MAX_PAGE_FETCHES = 25
PAGE_CONCURRENCY = 4
FEED_CONCURRENCY = 4
#: Feeds are fetched in parallel, but their items reach the index one batch at a time: the
#: models behind Index.add_many are not meant to run in several threads at once.
INDEX_WRITES = threading.Lock()


@dataclass
class Tally:
    """What happened to the items of one fetched feed document."""

    in_feed: int = 0
    stored: int = 0
    duplicates: int = 0
    #: Older than the backfill window (or undated, when adding a feed).
    old: int = 0
    #: Already seen in an earlier poll (same GUID, link or text).
    seen: int = 0
    rejected: int = 0
    pages: int = 0
    #: One line per rejected item: “Title” (link): why.
    reasons: list[str] = field(default_factory=list)

    @property
    def last_reason(self) -> str | None:
        return self.reasons[-1] if self.reasons else None


class PollStatus(StrEnum):
    """How one feed's poll went; only FAILED and PAUSED are failures of the feed."""

    UPDATED = "updated"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"  # will retry after a backoff
    PAUSED = "paused"  # gave up until resumed


@dataclass
class PollOutcome:
    feed_id: int
    url: str
    title: str
    status: PollStatus
    tally: Tally = field(default_factory=Tally)
    error: str | None = None
    warning: str | None = None
    next_poll_at: datetime | None = None
    #: Failed polls in a row, counting this one (0 after a success).
    failures: int = 0
    #: The chat channel the feed was added from, if any (set on a pause, for the notice).
    notify_platform: str | None = None
    notify_channel: str | None = None


#: Told of each feed that became paused in a poll run (serve() posts it to the feed's channel).
Notify = Callable[[PollOutcome], Awaitable[None]]


async def parse_fetched(worker: FeedWorker, result: FetchResult) -> ParsedFeed:
    """Parse a fetched document in the worker process; too slow to parse is refused (UserError)."""
    try:
        return await worker.call(parse_feed, result.body, result.url, result.content_type,
                                 limit=PARSE_SECONDS)
    except JobTimeout as exc:
        raise UserError(f"{result.url}: parsing the feed {exc}; gave up") from None


class FeedPoller:
    """Polls feeds for one set of services; the store, fetcher and worker are passed in."""

    def __init__(self, services: Services, store: FeedStore, fetcher: SafeFetcher,
                 worker: FeedWorker) -> None:
        self.services = services
        self.store = store
        self.fetcher = fetcher
        self.worker = worker

    def interval(self, feed: FeedRow) -> timedelta:
        return timedelta(minutes=feed.poll_minutes or self.services.settings.feed_poll_minutes)

    def window_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.services.settings.feed_backfill_days)

    async def poll(self, feed: FeedRow, now: datetime) -> PollOutcome:
        """Fetch one feed (conditionally) and ingest what is new; never raises for bad feeds."""
        try:
            result = await self.fetcher.fetch(feed.url, etag=feed.etag,
                                              last_modified=feed.last_modified)
            next_poll = now + self.interval(feed)
            if result.not_modified:
                await asyncio.to_thread(
                    self.store.record_success, feed.id, now=now, next_poll_at=next_poll,
                    etag=result.etag or feed.etag,
                    last_modified=result.last_modified or feed.last_modified)
                return PollOutcome(feed.id, feed.url, feed.title, PollStatus.NOT_MODIFIED,
                                   next_poll_at=next_poll)
            parsed = await parse_fetched(self.worker, result)
            tally = await self.ingest(feed, parsed, now, skip_undated=False)
            await asyncio.to_thread(
                self.store.record_success, feed.id, now=now, next_poll_at=next_poll,
                etag=result.etag, last_modified=result.last_modified, title=parsed.title,
                rejected=tally.rejected, item_error=tally.last_reason)
            return PollOutcome(feed.id, feed.url, parsed.title, PollStatus.UPDATED, tally,
                               warning=parsed.warning, next_poll_at=next_poll)
        except UserError as exc:
            return await self._failed(feed, now, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken feed must not stop the others
            log.exception("polling feed %s (%s) failed", feed.id, redact_url(feed.url))
            return await self._failed(feed, now, f"internal error: {type(exc).__name__}: {exc}")

    async def _failed(self, feed: FeedRow, now: datetime, error: str) -> PollOutcome:
        failures = feed.failures + 1
        pause = failures >= MAX_FAILURES
        next_poll = None if pause else now + min(self.interval(feed) * 2 ** (failures - 1),
                                                 MAX_BACKOFF)
        await asyncio.to_thread(self.store.record_failure, feed.id, now=now, error=error[:500],
                                next_poll_at=next_poll, pause=pause)
        if pause:
            log.warning("feed %s (%s) paused after %d failed polls in a row; last error: %s. "
                        "Resume it with `feeds resume %s`.", feed.id, redact_url(feed.url),
                        failures, redact_urls(error), feed.id)
            return PollOutcome(feed.id, feed.url, feed.title, PollStatus.PAUSED, error=error,
                               failures=failures, notify_platform=feed.notify_platform,
                               notify_channel=feed.notify_channel)
        log.info("feed %s (%s) failed (%d in a row), next try %s: %s", feed.id, redact_url(feed.url),
                 failures, next_poll, redact_urls(error))
        return PollOutcome(feed.id, feed.url, feed.title, PollStatus.FAILED, error=error,
                           next_poll_at=next_poll, failures=failures)

    async def ingest(self, feed: FeedRow, parsed: ParsedFeed, now: datetime, *,
                     skip_undated: bool) -> Tally:
        """Store the document's new items, each judged alone; every item is recorded.

        Old, undated-at-add and seen items are only recorded; a rejected item is logged
        (feed and item named) and counted, and never stops the items after it."""
        tally = Tally(in_feed=len(parsed.items))
        fresh, old = await asyncio.to_thread(self._select_new, feed, parsed.items, now,
                                             skip_undated, tally)
        built = await self._build_all(fresh, publisher=parsed.title or feed.title, feed=feed)
        tally.pages = sum(b.page_fetched for b in built)
        articles = [b.article for b in built if b.article is not None]
        for article in articles:  # the feed's owner owns what it brings (bot.workspaces)
            article.workspace = feed.workspace
        results = iter(await self._add_all(articles))
        seen = list(old)
        for (item, keys), b in zip(fresh, built, strict=True):
            outcome, article_id, reason = ItemOutcome.REJECTED, None, b.reason
            if b.article is not None:
                res = next(results)
                if isinstance(res, str):
                    reason = res
                else:  # for a duplicate, article_id is the story already held
                    outcome, article_id = ItemOutcome(res.status), res.article_id
            if outcome == ItemOutcome.STORED:
                tally.stored += 1
            elif outcome == ItemOutcome.DUPLICATE:
                tally.duplicates += 1
            else:
                reason = reason or "rejected"
                tally.rejected += 1
                tally.reasons.append(f"{item.label}: {reason}")
                log.warning("feed %s (%s): item %s rejected: %s", feed.id, redact_url(feed.url),
                            redact_urls(item.label), redact_urls(reason))
                keys = [rejected_key(item, feed.url)]  # a corrected version is tried again
            seen.append(SeenItem(keys=keys, guid=item.guid, link=item.link, title=item.title,
                                 published=item.published, outcome=outcome,
                                 article_id=article_id, reason=reason))
        await asyncio.to_thread(self.store.record_items, feed.id, seen, now=now)
        return tally

    def _select_new(self, feed: FeedRow, items: list[FeedItem], now: datetime,
                    skip_undated: bool, tally: Tally,
                    ) -> tuple[list[tuple[FeedItem, list[str]]], list[SeenItem]]:
        """The items not seen before and inside the window, with their keys; and the old ones."""
        since = self.window_start(now)
        fresh: list[tuple[FeedItem, list[str]]] = []
        old: list[SeenItem] = []
        batch_keys: set[str] = set()
        for item in items:
            keys = item_keys(item, feed.url)
            if batch_keys.intersection(keys) or self.store.seen(
                    [*keys, rejected_key(item, feed.url)], feed.workspace):
                tally.seen += 1
                continue
            batch_keys.update(keys)
            too_old = item.published < since if item.published else skip_undated
            if too_old:
                tally.old += 1
                old.append(SeenItem(keys=keys, guid=item.guid, link=item.link, title=item.title,
                                    published=item.published, outcome=ItemOutcome.OLD))
                continue
            fresh.append((item, keys))
        return fresh, old

    async def _build_all(self, fresh: list[tuple[FeedItem, list[str]]], *, publisher: str,
                         feed: FeedRow) -> list[Built]:
        gate = asyncio.Semaphore(PAGE_CONCURRENCY)
        budget = MAX_PAGE_FETCHES

        async def one(item: FeedItem, keys: list[str]) -> Built:
            nonlocal budget
            fetcher = None
            if item.is_teaser and item.link and not item.problem and budget > 0:
                budget -= 1
                fetcher = self.fetcher
            async with gate:
                return await build_article(item, publisher=publisher, keys=keys, fetcher=fetcher,
                                           worker=self.worker,
                                           origin=item.link or f"{feed.url}#{item.guid}")

        return list(await asyncio.gather(*(one(i, k) for i, k in fresh)))

    async def _add_all(self, articles: list[Article]) -> list[AddResult | str]:
        """Index the articles as jobs (any ingesting process may take them) and wait for each
        one's outcome: an AddResult, or why it was not stored."""
        from bot.jobs.ingest import add_via_jobs

        return await add_via_jobs(self.services, articles)


_RUNNING: set[int] = set()
#: How long a feed's lease lasts without renewal: a poller killed mid-poll holds its feeds
#: this long at most, then any process may poll them. Renewed every quarter of it.
FEED_LEASE = timedelta(minutes=2)


async def poll_due_feeds(services: Services, now: datetime | None = None, *,
                         fetcher: SafeFetcher | None = None,
                         notify: Notify | None = None,
                         lease: timedelta = FEED_LEASE) -> list[PollOutcome]:
    """Poll every active feed whose time has come; what the scheduler runs each minute.

    Each feed is polled under a lease taken in the database (FeedStore.claim), so of
    several processes (or pollers) only one polls a feed at a time; a feed another poller
    holds is left to it and not in the result. A run still in progress for the same
    services makes a new call return at once. `notify` hears of each feed paused in this
    run: a feed pauses once and is not polled while paused, so each pause is told once.
    Parsing and cleaning go to `services.feed_worker`, started the first time a feed has news.
    """
    key = id(services)
    if key in _RUNNING:
        return []
    _RUNNING.add(key)
    try:
        now = now or services.clock()
        store = await asyncio.to_thread(FeedStore.open, services.settings.database)
        try:
            poller = FeedPoller(services, store,
                                fetcher or SafeFetcher.from_settings(services.settings),
                                services.feed_worker)
            due = await asyncio.to_thread(store.due, now)
            gate = asyncio.Semaphore(FEED_CONCURRENCY)
            holder = holder_id()

            async def one(feed: FeedRow) -> PollOutcome | None:
                async with gate:
                    claimed = await asyncio.to_thread(store.claim, feed.id, holder=holder,
                                                      now=now, expires_at=now + lease)
                    if claimed is None:  # polled by another process, or no longer due
                        return None
                    async with holding(store, claimed, holder, now, lease):
                        outcome = await poller.poll(claimed, now)
                if notify is not None and outcome.status == PollStatus.PAUSED:
                    await _tell(notify, outcome)
                return outcome

            done = await asyncio.gather(*(one(f) for f in due))
            return [o for o in done if o is not None]
        finally:
            store.close()
    finally:
        _RUNNING.discard(key)


@asynccontextmanager
async def holding(store: FeedStore, feed: FeedRow, holder: str, now: datetime,
                  lease: timedelta = FEED_LEASE) -> AsyncIterator[None]:
    """Keep a feed's lease while the body runs, then give it back.

    Renewed every quarter of its length, on the caller's clock moved on by the time really
    spent, so a slow poll (or a slow first read, in add_feed) is not taken over."""
    started = time.monotonic()

    def renew() -> bool:
        spent = timedelta(seconds=time.monotonic() - started)
        return store.renew(feed.id, holder=holder, expires_at=now + spent + lease)

    try:
        async with renewing(renew, lease.total_seconds() / 4,
                            f"feed {feed.id} ({redact_url(feed.url)})"):
            yield
    finally:
        await asyncio.to_thread(store.release, feed.id, holder=holder)


async def _tell(notify: Notify, outcome: PollOutcome) -> None:
    """A notice that cannot be posted is logged; it must not stop the other feeds' polls."""
    try:
        await notify(outcome)
    except Exception:  # noqa: BLE001 - the pause itself is recorded and shown in `feeds list`
        log.exception("could not tell %s:%s that feed %s was paused", outcome.notify_platform,
                      outcome.notify_channel, outcome.feed_id)


def register_feed_jobs(scheduler, services: Services, *, every_minutes: int = 1,
                       notify: Notify | None = None) -> None:
    """Add the feed poller to an APScheduler 3.x AsyncIOScheduler (one job, never overlapping).

    `notify` is passed to each poll run, to tell chat channels of feeds that got paused."""
    scheduler.add_job(poll_due_feeds, "interval", minutes=every_minutes, args=[services],
                      kwargs={"notify": notify}, id="feeds:poll", name="poll due feeds",
                      replace_existing=True, max_instances=1, coalesce=True,
                      misfire_grace_time=60)
