"""Feed leases: of several pollers on one database, one polls a feed at a time, and a
poller killed with SIGKILL holds its feeds only until its lease runs out."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from bot.feeds.poll import poll_due_feeds
from bot.feeds.store import FeedStore
from conftest import _services_for, backend_env
from test_feeds_support import (FEED_NOW, STORIES, fetcher, kill_once_fetching, resolver, rss, server,  # noqa: F401
                                svc, connect_guard)

NOW = FEED_NOW + timedelta(minutes=1)
CHILD = Path(__file__).with_name("multiproc_child.py")
KEYS = list(STORIES)


def feed_doc(n: int) -> str:
    """Feed n carries two of the stories, dated an hour ago (inside the backfill window)."""
    items = []
    for key in (KEYS[(2 * n) % len(KEYS)], KEYS[(2 * n + 1) % len(KEYS)]):
        title, text = STORIES[key]
        items.append({"title": f"{title} ({n})", "text": f"Feed {n} reports. {text}",
                      "guid": f"{n}-{key}", "link": f"http://news.test/{n}/{key}",
                      "date": FEED_NOW - timedelta(hours=1)})
    return rss(f"Feed {n}", items)


def slow_page(body: str, seconds: float, content_type: str = "application/rss+xml"):
    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(seconds)
        return web.Response(body=body.encode(), content_type=content_type)
    return handle


def poller(now, lease_seconds: float, env: dict[str, str]) -> subprocess.Popen:
    """A poller in a process of its own (tests/multiproc_child.py), started and ready:
    it polls once a line is written to its stdin."""
    child = subprocess.Popen([sys.executable, str(CHILD), "poll", now.isoformat(),
                              str(lease_seconds)], env=env, text=True, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = child.stdout.readline().strip()
    assert line == "ready", child.stderr.read()
    return child


def add_feeds(path: Path, urls: list[str]) -> None:
    with FeedStore.open(path) as store:
        for url in urls:
            store.add(url, title="", site_url=None, added_by="test", now=FEED_NOW)


async def test_two_pollers_on_one_file_poll_each_feed_once(svc, server, fetcher, blank_nlp,
                                                           fast_encoder):
    from summarizer.embeddings import EncoderBackend

    feeds = 6
    for n in range(feeds):
        server.pages[f"/f{n}"] = slow_page(feed_doc(n), 0.3)
    add_feeds(svc.settings.database, [server.url(f"/f{n}") for n in range(feeds)])
    other = _services_for(svc.settings.database, fast_encoder, blank_nlp,
                          encoder=EncoderBackend.HASHING)
    try:
        first, second = await asyncio.gather(poll_due_feeds(svc, NOW, fetcher=fetcher),
                                             poll_due_feeds(other, NOW, fetcher=fetcher))
    finally:
        other.close()
    polled = [o.feed_id for o in first + second]
    assert sorted(polled) == list(range(1, feeds + 1))  # every feed, each by one poller
    assert first and second  # both pollers worked
    assert all(server.hits[f"/f{n}"] == 1 for n in range(feeds))
    tallies = [o.tally for o in first + second]
    assert sum(t.stored + t.duplicates for t in tallies) == 2 * feeds  # every item, once
    assert svc.index.article_count() == sum(t.stored for t in tallies)
    with FeedStore.open(svc.settings.database) as store:
        assert all(f.lease_holder is None for f in store.all())  # leases given back


async def test_a_killed_poller_loses_its_lease_after_expiry(svc, server, fetcher, fast_env,
                                                            monkeypatch):
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=feed_doc(0).encode(), content_type="application/rss+xml")

    server.pages["/f0"] = hang
    add_feeds(svc.settings.database, [server.url("/f0", host="127.0.0.1")])
    env = backend_env(svc.settings)
    child = poller(NOW, 5, env)
    child.stdin.write("go\n")
    child.stdin.flush()
    await kill_once_fetching(child, server, "/f0")  # it holds the lease and is fetching
    with FeedStore.open(svc.settings.database) as store:
        [held] = store.all()
    assert held.lease_holder and held.lease_holder.split(":")[1] == str(child.pid)
    release.set()
    server.pages["/f0"] = slow_page(feed_doc(0), 0)
    # Still inside the dead holder's lease: nobody else polls the feed.
    assert await poll_due_feeds(svc, NOW + timedelta(seconds=4), fetcher=fetcher) == []
    # Expired: another process takes it over and ingests the items, once.
    [outcome] = await poll_due_feeds(svc, NOW + timedelta(seconds=6), fetcher=fetcher)
    assert outcome.tally.stored == 2
    assert svc.index.article_count() == 2
    assert await poll_due_feeds(svc, NOW + timedelta(hours=1), fetcher=fetcher) != []
    assert svc.index.article_count() == 2  # polled again: nothing ingested twice


async def test_a_slow_poll_keeps_its_lease(svc, server, fetcher, blank_nlp, fast_encoder):
    from summarizer.embeddings import EncoderBackend

    server.pages["/f0"] = slow_page(feed_doc(0), 0.9)  # inside the fetcher's 1 s deadline
    add_feeds(svc.settings.database, [server.url("/f0")])
    other = _services_for(svc.settings.database, fast_encoder, blank_nlp,
                          encoder=EncoderBackend.HASHING)
    lease = timedelta(seconds=0.4)
    try:
        slow = asyncio.create_task(poll_due_feeds(svc, NOW, fetcher=fetcher, lease=lease))
        await asyncio.sleep(0.6)
        # Past the first lease's end, but the poll renews it while it runs: not taken over.
        assert await poll_due_feeds(other, NOW + timedelta(seconds=0.6), fetcher=fetcher,
                                    lease=lease) == []
        [outcome] = await slow
    finally:
        other.close()
    assert (outcome.status, outcome.tally.stored) == ("updated", 2)
    assert server.hits["/f0"] == 1


async def test_a_feed_being_added_is_not_polled_by_another_process(svc, server, fetcher,
                                                                    blank_nlp, fast_encoder):
    from bot.feeds.service import add_feed
    from summarizer.embeddings import EncoderBackend
    from test_feeds_support import article_page

    title, text = STORIES["robots"]
    # A teaser item: adding the feed fetches its article page, slowly, while a poller looks.
    teaser = {"title": title, "text": text.split(". ")[0] + ".", "guid": "robots",
              "link": server.url("/articles/robots"), "date": FEED_NOW}
    server.pages["/rss"] = slow_page(rss("Valley Teasers", [teaser]), 0)
    server.pages["/articles/robots"] = slow_page(article_page(title, text), 0.8, "text/html")
    other = _services_for(svc.settings.database, fast_encoder, blank_nlp,
                          encoder=EncoderBackend.HASHING)
    try:
        adding = asyncio.create_task(add_feed(svc, server.url("/rss"), fetcher=fetcher))
        for _ in range(100):
            if server.hits.get("/articles/robots"):
                break
            await asyncio.sleep(0.02)
        assert await poll_due_feeds(other, FEED_NOW, fetcher=fetcher) == []
        added = await adding
    finally:
        other.close()
    assert "Ingested 1 new story" in added.text()
    [article] = svc.index.articles_added_since(None)
    assert article.text.startswith(text.split("\n")[0][:60])  # the page, not the teaser
    assert server.hits["/rss"] == 1  # read once, by the process adding it
    with FeedStore.open(svc.settings.database) as store:
        assert store.get(added.feed.id).lease_holder is None


async def test_two_poller_processes_poll_each_feed_once(svc, server, fast_env):
    feeds = 8
    for n in range(feeds):
        server.pages[f"/f{n}"] = slow_page(feed_doc(n), 0.4)
    add_feeds(svc.settings.database, [server.url(f"/f{n}", host="127.0.0.1")
                                     for n in range(feeds)])
    env = backend_env(svc.settings)
    children = [await asyncio.to_thread(poller, NOW, 60, env) for _ in range(2)]
    try:
        for child in children:  # both start polling at the same moment
            child.stdin.write("go\n")
            child.stdin.flush()
        outs = [(await asyncio.to_thread(c.communicate, None, 300))[0] for c in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    polled = [int(line.split()[1]) for out in outs for line in out.splitlines()]
    assert sorted(polled) == list(range(1, feeds + 1))  # each feed by one of the two
    assert all(server.hits[f"/f{n}"] == 1 for n in range(feeds))
    with FeedStore.open(svc.settings.database) as store:
        rows = store.all()
    assert all(f.lease_holder is None and f.last_success_at for f in rows)
    assert svc.index.article_count() == sum(f.stored_count for f in rows)
