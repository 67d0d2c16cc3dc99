"""One bad feed item costs only itself, and a pathological feed never stalls the event loop.

Through the loopback feed server into a real index: a feed with five good stories and
one bad item stores the five, names the bad one (log line, poll result, `feeds list`)
and stays healthy; polling it again doubles nothing and never pauses it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest

from bot.feeds.poll import MAX_FAILURES, PollStatus, poll_due_feeds
from bot.feeds.service import add_feed, feed_json, list_feeds, list_text, poll_text
from bot.ingest.pipeline import articles_from_text
from test_feeds_support import (FEED_NOW, STORIES, Page, connect_guard, fetcher,  # noqa: F401
                                resolver, rss, server, svc)

NOW = FEED_NOW
RSS_TYPE = "application/rss+xml"
GOOD = ("bridge", "buses", "orchestra", "drought", "robots")


def good_items() -> list[dict]:
    return [{"title": STORIES[k][0], "text": STORIES[k][1], "guid": k,
             "link": f"http://news.test/{k}", "date": NOW - timedelta(hours=1)} for k in GOOD]


def bad_item(link: str) -> dict:
    title, text = STORIES["mill"]
    return {"title": title, "text": text, "guid": "mill", "link": link,
            "date": NOW - timedelta(hours=1)}


def stored_titles(services) -> list[str]:
    return sorted(a.title for a in services.index.articles_added_since(None))


@pytest.mark.parametrize("link, why", [
    ("https://news.exampl e/a", "cannot contain ' '"),
    ("http://news.test:99999/a", "Port out of range"),
    ("javascript:alert(1)", "javascript: links are not web pages"),
])
async def test_a_bad_item_is_rejected_alone_and_the_feed_stays_healthy(
        svc, server, fetcher, caplog, link, why):
    server.pages["/rss"] = Page(rss("Marlow Daily", []), RSS_TYPE)
    feed_url = server.url("/rss")
    await add_feed(svc, feed_url, fetcher=fetcher)
    items = good_items()
    items.insert(2, bad_item(link))
    server.pages["/rss"] = Page(rss("Marlow Daily", items), RSS_TYPE)

    caplog.set_level(logging.WARNING, logger="bot.feeds")
    [outcome] = await poll_due_feeds(svc, NOW + timedelta(minutes=30), fetcher=fetcher)
    assert outcome.status == PollStatus.UPDATED and outcome.error is None
    assert (outcome.tally.stored, outcome.tally.rejected) == (5, 1)
    assert stored_titles(svc) == sorted(STORIES[k][0] for k in GOOD)
    mill = STORIES["mill"][0]
    [reason] = outcome.tally.reasons
    assert reason.startswith(f"“{mill}”") and "its link is not a usable web address" in reason
    assert why in reason
    assert poll_text([outcome]).startswith(
        f"1. Marlow Daily: 5 new stories, 1 item rejected: “{mill}”")
    [line] = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert line.startswith(f"feed 1 ({feed_url}): item “{mill}”") and why in line

    [feed] = await list_feeds(svc.settings)
    assert (feed.status, feed.failures, feed.last_error) == ("active", 0, None)
    assert (feed.item_count, feed.stored_count, feed.last_poll_rejected) == (6, 5, 1)
    listed = list_text([feed], 30).split("\n")
    assert listed[0] == "1. Marlow Daily — active, every 30 min"
    assert listed[3].startswith("  last poll rejected 1 item · last item error "
                                f"2026-11-23 12:30 UTC: “{mill}”")
    assert feed_json(feed)["last_poll_rejected"] == 1
    assert mill in feed_json(feed)["last_item_error"]

    # The next polls double nothing, report nothing new, and never pause the feed.
    when = NOW + timedelta(minutes=60)
    for _ in range(MAX_FAILURES + 1):
        [again] = await poll_due_feeds(svc, when, fetcher=fetcher)
        assert again.status == PollStatus.UPDATED
        assert (again.tally.stored, again.tally.seen, again.tally.rejected) == (0, 6, 0)
        when = again.next_poll_at
    [feed] = await list_feeds(svc.settings)
    assert (feed.status, feed.failures, feed.item_count, feed.stored_count) == ("active", 0, 6, 5)
    assert feed.last_poll_rejected == 0 and mill in feed.last_item_error  # kept until the next
    assert stored_titles(svc) == sorted(STORIES[k][0] for k in GOOD)

    # The publisher corrects the link (same GUID): now the item is stored.
    items[2] = bad_item("http://news.test/mill")
    server.pages["/rss"] = Page(rss("Marlow Daily", items), RSS_TYPE)
    [fixed] = await poll_due_feeds(svc, when, fetcher=fetcher)
    assert (fixed.tally.stored, fixed.tally.seen, fixed.tally.rejected) == (1, 5, 0)
    assert stored_titles(svc) == sorted(STORIES[k][0] for k in (*GOOD, "mill"))


async def test_adding_a_feed_with_a_bad_item_says_which_and_why(svc, server, fetcher):
    items = good_items()
    items.append(bad_item("https://news.exampl e/a"))
    items.append({"title": "", "text": "", "guid": "empty", "date": NOW})
    server.pages["/rss"] = Page(rss("Marlow Daily", items), RSS_TYPE)
    added = await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    lines = added.text().split("\n")
    assert lines[:2] == ["Added feed 1: “Marlow Daily” (7 items in the feed).",
                         "Ingested 5 new stories from the last 3 days."]
    assert lines[2].startswith(f"Rejected 2 items: “{STORIES['mill'][0]}” "
                               "(https://news.exampl e/a): its link is not a usable web address")
    assert lines[2].endswith("empty: the entry has neither a title nor any text")
    assert added.as_json()["rejected"] == 2
    [feed] = await list_feeds(svc.settings)
    assert (feed.failures, feed.last_poll_rejected, feed.stored_count) == (0, 2, 5)


async def test_a_feed_in_an_odd_encoding_with_forbidden_characters_is_read(svc, server, fetcher):
    """Declared in a codec Python lacks, served with a bogus charset, with NUL, an escape
    character and references to forbidden characters: every story arrives, cleaned."""
    title, text = STORIES["museum"]
    doc = rss("Port Alder Post", [{"title": title, "text": text, "guid": "m",
                                   "link": "http://news.test/m", "date": NOW}])
    doc = doc.replace('encoding="utf-8"', 'encoding="x-no-such-codec"')
    doc = doc.replace("two hundred hand", "two hundred&#0; hand\x00\x1b")
    doc = doc.replace("<title>Port Alder Post</title>", "<title>Port Alder Post&#xD800;</title>")
    server.pages["/rss"] = Page(doc.encode(), "application/rss+xml",
                                headers={"Content-Type": "application/rss+xml; charset=bogus"})
    added = await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    assert "Ingested 1 new story" in added.text()
    [row] = svc.index.articles_added_since(None)
    assert "two hundred hand drawn sea charts" in row.text
    assert row.publisher == "Port Alder Post\ufffd"


# --- the event loop stays free ------------------------------------------------------------------

PATHOLOGICAL_LINE = "(" + "/" * 800


def _clean(text: str) -> None:
    list(articles_from_text(text, origin="probe", title="probe", split=False))


async def test_the_event_loop_keeps_running_while_a_pathological_feed_is_processed(
        svc, server, fetcher):
    """Cleaning happens in the feed worker's process: the loop is never held by it.

    Baseline from this run: how long cleaning the pathological text takes when called
    directly (what the loop would have been blocked for). The text grows until that is
    at least half a second, or the feed would pass the size cap. While the feed is
    added, a heartbeat coroutine ticks every 5 ms; the loop must keep ticking, and its
    longest pause must be well under the cleaning time.
    """
    lines, cost = 1, 0.0
    while True:
        text = "\n".join([PATHOLOGICAL_LINE] * lines)
        started = time.perf_counter()
        await asyncio.to_thread(_clean, text)
        cost = time.perf_counter() - started
        if cost >= 0.5 or len(text) * 2 > 1_500_000:
            break
        lines *= 2
    items = [{"title": f"Slashes {n}", "text": text, "guid": f"s{n}",
              "link": f"http://news.test/s{n}", "date": NOW} for n in range(2)]
    server.pages["/rss"] = Page(rss("Slashes", items), RSS_TYPE)

    ticks: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    beat = asyncio.create_task(heartbeat())
    started = time.perf_counter()
    added = await add_feed(svc, server.url("/rss"), fetcher=fetcher)
    ticks.append(time.perf_counter())
    done.set()
    await beat
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    print(f"cleaning one item directly: {cost:.2f} s; adding the feed: "
          f"{time.perf_counter() - started:.2f} s; {len(ticks)} loop ticks, longest pause "
          f"{max(gaps):.3f} s")
    # nothing in the slashes survives cleaning: no article, and the item says why
    assert "Ingested 0 new stories" in added.text() and "Rejected" in added.text()
    assert svc.index.is_empty()
    assert len(ticks) >= 20
    if cost >= 0.5:  # on the loop, it would have stopped for `cost` at least twice over
        assert max(gaps) < cost / 2
