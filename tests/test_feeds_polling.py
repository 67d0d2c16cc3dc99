"""Adding and polling feeds on loopback, into a real index: backfill, 304, changed-but-same,
teasers, backoff and pause, and refusals that leave nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import UserError
from bot.feeds.poll import poll_due_feeds, register_feed_jobs
from bot.feeds.service import (add_feed, ingest_url, list_feeds, list_text, poll_text, remove_feed,
                               resume_feed)
from bot.feeds.store import FeedStore
from test_feeds_support import (BILLION_LAUGHS, BROKEN, FEED_NOW, STORIES, Page,  # noqa: F401
                                article_page, atom, connect_guard, fetcher, make_fetcher, resolver,
                                rss, server, svc)

NOW = FEED_NOW
RSS_TYPE = "application/rss+xml"


def story(key: str, *, guid: str | None = None, link: str | None = None,
          date: datetime | None = None, **changes) -> dict:
    title, text = STORIES[key]
    item = {"title": title, "text": text, "guid": guid or key,
            "link": link or f"http://news.test/{key}", "date": date}
    item.update(changes)
    return item


def marlow_items() -> list[dict]:
    return [story("bridge", date=NOW - timedelta(hours=1)),
            story("buses", date=NOW - timedelta(days=1)),
            story("orchestra", date=NOW - timedelta(days=2)),
            story("mill", date=NOW - timedelta(days=10)),
            story("piers", date=NOW - timedelta(days=20)),
            story("market")]  # undated: cannot show it is recent, so not backfilled


def titles(services) -> set[str]:
    return {a.title for a in services.index.articles_added_since(None)}


async def test_adding_a_feed_backfills_only_recent_items(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("Marlow Daily", marlow_items()), RSS_TYPE, etag='"v1"')
    added = await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    assert added.text().split("\n") == [
        "Added feed 1: “Marlow Daily” (6 items in the feed).",
        "Ingested 3 new stories from the last 3 days.",
        "Skipped 3 older or undated items: only new items from now on.",
    ]
    assert titles(svc) == {STORIES[k][0] for k in ("bridge", "buses", "orchestra")}
    bridge = next(a for a in svc.index.articles_added_since(None) if "Harbor" in a.title)
    assert bridge.publisher == "Marlow Daily"
    assert bridge.url == "http://news.test/bridge"
    assert bridge.published == NOW - timedelta(hours=1)
    assert "Mayor Elena Fischer cut the ribbon at dawn" in bridge.text
    assert svc.index.search("Ashby") == []  # 10 days old: not backfilled


async def test_list_shows_status_counts_and_last_success(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("Marlow Daily", marlow_items()), RSS_TYPE)
    await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    text = list_text(await list_feeds(svc.settings), svc.settings.feed_poll_minutes)
    assert text.split("\n") == [
        "1. Marlow Daily — active, every 30 min",
        f"  {server.url('/rss')}",
        "  6 items seen, 3 stored · last success 2026-11-23 12:00 UTC · last error none",
    ]


async def test_an_unchanged_feed_costs_one_304(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("Marlow Daily", marlow_items()), RSS_TYPE, etag='"v1"')
    await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    assert await poll_due_feeds(svc, NOW + timedelta(minutes=29), fetcher=fetcher) == []
    [outcome] = await poll_due_feeds(svc, NOW + timedelta(minutes=30), fetcher=fetcher)
    assert outcome.status == "not_modified"
    assert server.requests[-1].headers["If-None-Match"] == '"v1"'
    assert outcome.next_poll_at == NOW + timedelta(minutes=60)
    assert len(titles(svc)) == 3


async def test_changed_but_same_items_are_not_stored_twice(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("Marlow Daily", marlow_items()), RSS_TYPE)
    await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    bridge_title, bridge_text = STORIES["bridge"]
    buses_title, _ = STORIES["buses"]
    changed = [
        # same GUID; new date, edited headline and a reworded sentence
        story("bridge", date=NOW + timedelta(minutes=20),
              title=bridge_title.replace("repairs", "repair work"),
              text=bridge_text.replace("at dawn", "early in the morning")),
        # new GUID, same link
        story("buses", guid="buses-v2", date=NOW + timedelta(minutes=25),
              title=buses_title + " (updated)"),
        # new GUID and link, same text
        story("orchestra", guid="orch-v2", link="http://news.test/arts/orchestra-2",
              date=NOW + timedelta(minutes=5)),
        story("museum", date=NOW + timedelta(minutes=10)),
    ]
    server.pages["/rss"] = Page(rss("Marlow Daily", changed), RSS_TYPE)
    [outcome] = await poll_due_feeds(svc, NOW + timedelta(minutes=31), fetcher=fetcher)
    assert outcome.status == "updated"
    assert (outcome.tally.stored, outcome.tally.seen, outcome.tally.duplicates) == (1, 3, 0)
    assert titles(svc) == {STORIES[k][0] for k in ("bridge", "buses", "orchestra", "museum")}
    [feed] = await list_feeds(svc.settings)
    assert (feed.item_count, feed.stored_count) == (7, 4)


async def test_the_same_story_from_a_second_feed_is_merged_not_repeated(svc, server, fetcher):
    server.pages["/a"] = Page(rss("Marlow Daily", [story("drought", date=NOW)]), RSS_TYPE)
    title, text = STORIES["drought"]
    reworded = text.replace("on its website", "online")
    server.pages["/b"] = Page(rss("Valley Courier", [story("drought", guid="vc-77",
                                                           link="http://other.test/d", date=NOW,
                                                           text=reworded)]), RSS_TYPE)
    await add_feed(svc, server.url("/a"), fetcher=fetcher)
    added = await add_feed(svc, server.url("/b"), fetcher=fetcher)
    assert ("Ingested 0 new stories from the last 3 days; 1 already held, now also credited to "
            "this feed.") in added.text()
    [row] = svc.index.articles_added_since(None)
    assert {s.publisher for s in row.sources} == {"Marlow Daily", "Valley Courier"}


async def test_atom_feeds_are_followed_too(svc, server, fetcher):
    server.pages["/atom"] = Page(atom("Northvale Arts", [
        story("orchestra", guid="urn:uuid:o1", date=NOW - timedelta(hours=3))]),
        "application/atom+xml")
    added = await add_feed(svc, server.url("/atom"), fetcher=fetcher)
    assert added.text().startswith("Added feed 1: “Northvale Arts” (1 item in the feed).")
    assert titles(svc) == {STORIES["orchestra"][0]}


async def test_teaser_items_get_their_article_page_extracted(svc, server, fetcher, resolver,
                                                             connect_guard):
    robots_title, robots_text = STORIES["robots"]
    drought_title, drought_text = STORIES["drought"]
    server.pages["/articles/robots"] = Page(article_page(robots_title, robots_text))
    items = [
        story("robots", link=server.url("/articles/robots"), date=NOW,
              text=robots_text.split(". ")[0] + "."),
        # a teaser whose link leads to a private address: the page is refused, the teaser kept
        story("drought", link="http://internal.test/drought", date=NOW,
              text=drought_text.split(", as")[0] + "."),
    ]
    server.pages["/rss"] = Page(rss("Valley Teasers", items), RSS_TYPE)
    added = await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    assert "Ingested 2 new stories" in added.text()
    rows = {a.title: a for a in svc.index.articles_added_since(None)}
    robots = rows[robots_title]
    assert "spare parts donated by a local garage" in robots.text  # only on the page
    assert "newsletter" not in robots.text  # page furniture cleaned away
    assert robots.publisher == "Valley Teasers"
    assert server.hits["/articles/robots"] == 1
    assert rows[drought_title].text == "Five towns in the Keller Valley will limit garden " \
                                       "watering to two evenings a week from Friday."
    assert "internal.test" in resolver.calls
    assert all(c[0] == "127.0.0.1" for c in connect_guard.connects)


async def test_a_failing_feed_backs_off_then_pauses_and_says_so(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("Marlow Daily", marlow_items()[:1]), RSS_TYPE)
    await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    server.pages["/rss"] = Page("down for maintenance", "text/plain", status=503)
    when = NOW + timedelta(minutes=30)
    gaps = []
    for _ in range(4):
        [outcome] = await poll_due_feeds(svc, when, fetcher=fetcher)
        assert outcome.status == "failed"
        gaps.append(outcome.next_poll_at - when)
        assert await poll_due_feeds(svc, outcome.next_poll_at - timedelta(seconds=1),
                                    fetcher=fetcher) == []
        when = outcome.next_poll_at
    assert gaps == [timedelta(minutes=m) for m in (30, 60, 120, 240)]
    [outcome] = await poll_due_feeds(svc, when, fetcher=fetcher)
    assert outcome.status == "paused"
    hits = server.hits["/rss"]
    assert await poll_due_feeds(svc, when + timedelta(days=30), fetcher=fetcher) == []
    assert server.hits["/rss"] == hits  # paused: not retried in silence
    text = list_text(await list_feeds(svc.settings), 30)
    assert text.split("\n")[0] == ("1. Marlow Daily — PAUSED after 5 failed polls in a row — "
                                   "resume with `feeds resume 1`")
    assert "answered HTTP 503 Service Unavailable" in text
    await resume_feed(svc.settings, "1")
    server.pages["/rss"] = Page(rss("Marlow Daily", marlow_items()[:1]), RSS_TYPE)
    [outcome] = await poll_due_feeds(svc, when + timedelta(days=30), fetcher=fetcher)
    assert outcome.status == "updated"
    [feed] = await list_feeds(svc.settings)
    assert (feed.status, feed.failures) == ("active", 0)


async def test_each_feed_has_its_own_interval(svc, server, fetcher):
    server.pages["/a"] = Page(rss("A", [story("bridge", date=NOW)]), RSS_TYPE)
    server.pages["/b"] = Page(rss("B", [story("buses", date=NOW)]), RSS_TYPE)
    await add_feed(svc, server.url("/a"), fetcher=fetcher)
    await add_feed(svc, server.url("/b"), fetcher=fetcher, poll_minutes=5)
    due = await poll_due_feeds(svc, NOW + timedelta(minutes=6), fetcher=fetcher)
    assert [o.title for o in due] == ["B"]


@pytest.mark.parametrize("path, page, message", [
    ("/broken", Page(BROKEN, RSS_TYPE), "/broken is not a valid RSS or Atom feed: "),
    ("/lol", Page(BILLION_LAUGHS, RSS_TYPE), "refused: http://news.test:{port}/lol declares XML "
                                             "entities or external references"),
    ("/big", Page(b"<rss>" + b" " * (6 * 1024 * 1024), RSS_TYPE), "over the 5.0 MiB limit"),
    ("/go", Page(status=302, headers={"Location": "http://internal.test/rss"}),
     "redirected to internal.test, which resolves to 10.0.0.5, a private address"),
    ("/page", Page("<!doctype html><html><body><p>Hi.</p></body></html>"),
     "is a web page, not an RSS or Atom feed"),
])
async def test_refused_feeds_are_not_added(svc, server, fetcher, path, page, message):
    server.pages[path] = page
    with pytest.raises(UserError) as err:
        await add_feed(svc, server.url(path), fetcher=fetcher)
    assert message.format(port=server.port) in str(err.value)
    assert await list_feeds(svc.settings) == []
    assert titles(svc) == set()


async def test_adding_the_same_feed_twice_is_refused(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("Marlow Daily", []), RSS_TYPE)
    await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    with pytest.raises(UserError, match="Already following that feed as 1"):
        await add_feed(svc, server.url("/rss"), fetcher=fetcher)


async def test_remove_by_number_or_url(svc, server, fetcher):
    server.pages["/a"] = Page(rss("A", [story("bridge", date=NOW)]), RSS_TYPE)
    server.pages["/b"] = Page(rss("B", []), RSS_TYPE)
    await add_feed(svc, server.url("/a"), fetcher=fetcher)
    await add_feed(svc, server.url("/b"), fetcher=fetcher)
    assert (await remove_feed(svc.settings, "1")).title == "A"
    assert (await remove_feed(svc.settings, server.url("/b"))).title == "B"
    with pytest.raises(UserError, match="No feed '7'. `feeds list` shows each feed's number."):
        await remove_feed(svc.settings, "7")
    assert await list_feeds(svc.settings) == []
    assert titles(svc) == {STORIES["bridge"][0]}  # stories stay
    with FeedStore.open(svc.settings.database) as store:  # and its seen items went with it
        assert store.db.execute("SELECT COUNT(*) FROM feed_item_keys").fetchone()[0] == 0


async def test_ingest_one_article_url(svc, server, fetcher):
    title, text = STORIES["museum"]
    server.pages["/story"] = Page(article_page(title, text, publisher="Port Alder Post"))
    done = await ingest_url(svc, server.url("/story"), fetcher=fetcher)
    assert done.text() == (f"Ingested “{title}” — Port Alder Post, 2026-11-22 as article "
                           f"{done.article_id}.")
    again = await ingest_url(svc, server.url("/story") + "?utm_source=chat", fetcher=fetcher)
    assert again.text().startswith(f"Already held: “{title}”")
    assert again.article_id == done.article_id
    [row] = svc.index.articles_added_since(None)
    assert "four thousand donors" in row.text and "newsletter" not in row.text


async def test_ingest_url_that_is_a_feed_says_so(svc, server, fetcher):
    server.pages["/rss"] = Page(rss("A", []), RSS_TYPE)
    with pytest.raises(UserError, match=r"is a feed, not an article page: use `feeds add "):
        await ingest_url(svc, server.url("/rss"), fetcher=fetcher)


async def test_ingest_url_refuses_private_addresses(svc, fetcher, connect_guard):
    with pytest.raises(UserError, match="^refused: internal.test resolves to 10.0.0.5, "
                                        "a private address$"):
        await ingest_url(svc, "http://internal.test/story", fetcher=fetcher)
    assert connect_guard.connects == []


async def test_the_scheduler_job_runs_the_real_poll(svc, server, fetcher, connect_guard):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    server.pages["/rss"] = Page(rss("Marlow Daily", []), RSS_TYPE)
    await add_feed(svc, server.url("/rss", host="127.0.0.1"), fetcher=fetcher)
    scheduler = AsyncIOScheduler(timezone=UTC)
    register_feed_jobs(scheduler, svc)
    job = scheduler.get_job("feeds:poll")
    assert job.trigger.interval == timedelta(minutes=1) and job.max_instances == 1
    svc.clock = lambda: NOW + timedelta(minutes=31)
    hits = server.total_hits
    outcomes = await job.func(*job.args)  # what the scheduler runs each minute
    # The job builds its fetcher from settings, whose policy allows no loopback address.
    assert poll_text(outcomes) == ("1. Marlow Daily: failed, will retry 2026-11-23 13:01 UTC: "
                                   "refused: 127.0.0.1 is a loopback address")
    assert server.total_hits == hits


async def test_ingest_url_that_is_not_a_page_says_so(svc, server, fetcher):
    server.pages["/doc.pdf"] = Page(b"%PDF-1.7 ...", "application/pdf")
    with pytest.raises(UserError, match=r"doc.pdf is application/pdf, not a web page"):
        await ingest_url(svc, server.url("/doc.pdf"), fetcher=fetcher)
