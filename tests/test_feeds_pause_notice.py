"""A feed paused after repeated failures is announced once, in the channel that added it.

The feed is served on loopback (allowed explicitly in the settings) and fails
every poll; the chat platform is a RecordingPoster, the far side of a Poster.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.notice import channel_notifier
from bot.feeds.poll import MAX_FAILURES, poll_due_feeds, register_feed_jobs
from bot.feeds.service import add_feed, list_feeds, list_text
from bot.feeds.store import STEPS, FeedStore
from bot.index.db import connect, migrate
from digest_fakes import ManualClock, RecordingPoster
from test_feeds_support import STORIES, Page, connect_guard, resolver, rss, server  # noqa: F401

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RSS_TYPE = "application/rss+xml"
DOWN = Page("down for maintenance", "text/plain", status=503)


@pytest.fixture
def services(fast_services):
    """The fast pair: feed commands are about fetching, storing and replies, not entities."""
    return fast_services


@pytest.fixture
def svc(services, connect_guard):
    services.clock = ManualClock(NOW)
    services.settings = replace(services.settings, fetch_allow_networks=("127.0.0.1/32",))
    yield services
    services.feed_worker.close()


def marlow(*keys: str) -> Page:
    return Page(rss("Marlow Daily", [{"title": STORIES[k][0], "text": STORIES[k][1], "guid": k,
                                      "link": f"http://news.test/{k}", "date": NOW}
                                     for k in keys]), RSS_TYPE)


async def add_in_chat(services, url: str, channel: str) -> None:
    req = services.registry.parse(f"feeds add {url}", platform="slack", user_id="U1",
                                  channel_id=channel, can_manage=True)
    reply = await services.registry.dispatch(req, services)
    assert reply.title == "Feed added", reply.text


async def poll_until_paused(services, notify) -> list[str]:
    """Poll at each retry time the feeds give until one pauses; the statuses seen, in order."""
    when, statuses = NOW + timedelta(minutes=30), []
    while "paused" not in statuses:
        outcomes = await poll_due_feeds(services, when, notify=notify)
        statuses += [o.status for o in outcomes]
        when = min(o.next_poll_at or when for o in outcomes)
    return statuses


async def test_a_paused_feed_is_announced_once_in_the_channel_that_added_it(svc, server):
    server.pages["/rss"] = marlow("bridge")
    url = server.url("/rss", host="127.0.0.1")
    await add_in_chat(svc, f"{url}?token=abc123", "C42")
    server.pages["/rss"] = DOWN
    slack = RecordingPoster("slack")
    scheduler = _scheduler()
    register_feed_jobs(scheduler, svc, notify=channel_notifier({"slack": slack}))
    job = scheduler.get_job("feeds:poll")
    svc.clock.advance(minutes=30)
    statuses = []
    for _ in range(MAX_FAILURES + 2):  # what the scheduler runs each minute, at each retry time
        outcomes = await job.func(*job.args, **job.kwargs)
        statuses += [o.status for o in outcomes]
        retry_at = outcomes[0].next_poll_at if outcomes else None
        svc.clock.set(retry_at or svc.clock.now + timedelta(days=1))
    assert statuses == ["failed"] * (MAX_FAILURES - 1) + ["paused"]
    [(channel, notice)] = slack.posts
    assert channel == "C42"
    assert notice.title == "Feed paused"
    assert notice.text.split("\n") == [
        f"Feed 1 “Marlow Daily” ({url}?token=…) was paused after 5 failed polls in a row, "
        "and will not be polled until it is resumed.",
        f"Last error: {url}?token=… answered HTTP 503 Service Unavailable",
        "Resume it with `/feeds resume 1` once the feed works again.",
    ]
    assert "abc123" not in notice.text


async def test_a_feed_added_from_the_cli_pauses_without_a_post(svc, server):
    server.pages["/rss"] = marlow("bridge")
    await add_feed(svc, server.url("/rss", host="127.0.0.1"), added_by="cli")
    server.pages["/rss"] = DOWN
    slack = RecordingPoster("slack")
    assert await poll_until_paused(svc, channel_notifier({"slack": slack})) == \
        ["failed"] * (MAX_FAILURES - 1) + ["paused"]
    assert slack.attempts == 0
    text = list_text(await list_feeds(svc.settings), 30)
    assert text.startswith("1. Marlow Daily — PAUSED after 5 failed polls in a row")


async def test_a_channel_on_a_platform_not_served_here_gets_nothing(svc, server):
    server.pages["/rss"] = marlow("bridge")
    await add_in_chat(svc, server.url("/rss", host="127.0.0.1"), "C42")  # added from Slack
    server.pages["/rss"] = DOWN
    discord = RecordingPoster("discord")
    assert (await poll_until_paused(svc, channel_notifier({"discord": discord})))[-1] == "paused"
    assert discord.attempts == 0


async def test_a_notice_that_cannot_be_posted_does_not_stop_polling(svc, server, caplog):
    server.pages["/down"] = marlow("bridge")
    server.pages["/up"] = marlow("buses")
    await add_in_chat(svc, server.url("/down", host="127.0.0.1"), "C1")
    await add_in_chat(svc, server.url("/up", host="127.0.0.1"), "C2")
    server.pages["/down"] = DOWN
    slack = RecordingPoster("slack", fail_next=1)
    # The healthy feed is due at every retry of the failing one; in the run that pauses it,
    # it has a new story.
    notify = channel_notifier({"slack": slack})
    when = NOW + timedelta(minutes=30)
    for _ in range(MAX_FAILURES - 1):
        outcomes = await poll_due_feeds(svc, when, notify=notify)
        when = next(o.next_poll_at for o in outcomes if o.feed_id == 1)
    server.pages["/up"] = marlow("buses", "museum")
    with caplog.at_level(logging.ERROR, logger="bot.feeds.poll"):
        outcomes = await poll_due_feeds(svc, when, notify=notify)
    assert sorted((o.feed_id, o.status, o.tally.stored) for o in outcomes) == \
        [(1, "paused", 0), (2, "updated", 1)]
    assert STORIES["museum"][0] in {a.title for a in svc.index.articles_added_since(None)}
    assert "could not tell slack:C1 that feed 1 was paused" in caplog.text
    assert (slack.attempts, slack.posts) == (1, [])  # the failed post is not retried


async def test_a_database_from_before_pause_notices_gets_the_channel_columns(tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    migrate(db, "feeds", STEPS[:1])  # the schema as it was before feeds knew their channel
    db.execute("INSERT INTO feeds(url, title, added_at, added_by) VALUES "
               "('https://old.example/rss', 'Old Gazette', '2026-01-01T00:00:00+00:00', 'cli')")
    db.conn.close()
    with FeedStore.open(path) as store:
        [old] = store.all()
        new = store.add("https://new.example/rss", title="New Courier", site_url=None,
                        added_by="slack:U1", now=NOW, notify_platform="slack",
                        notify_channel="C42")
        assert (old.notify_platform, old.notify_channel) == (None, None)
        assert (new.notify_platform, new.notify_channel) == ("slack", "C42")
        lines = list_text(store.all(), 30).split("\n")
        assert [x for x in lines if not x.startswith(" ")] == [
            "1. Old Gazette — active, every 30 min", "2. New Courier — active, every 30 min"]
        assert lines[-1] == "  problems are reported in slack channel C42"


def _scheduler():
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(timezone=UTC)
