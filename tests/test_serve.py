"""`briefbot serve`: chat, digests and feeds in one process, against a local Slack peer.

The Slack Web API here is the fake peer from test_slack_flows (127.0.0.1 only); the
bot, the scheduler, the SQLite file and the models are the real ones.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from datetime import UTC, datetime

from adapters.serve import serve
from bot.config import Secret
from bot.digests.manage import subscribe
from bot.digests.store import DigestStore
from test_slack_flows import (BOT_TOKEN, SIGNING_SECRET, fake_slack,  # noqa: F401
                              post, signed_headers, slash_body, visible_text)

MORNING = datetime(2025, 10, 18, 10, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


async def test_serve_answers_slack_and_posts_the_digest_missed_while_down(seeded_services,
                                                                          fake_slack):
    svc = seeded_services
    svc.settings = replace(svc.settings, slack_bot_token=Secret(BOT_TOKEN),
                           slack_signing_secret=Secret(SIGNING_SECRET),
                           slack_api_url=fake_slack.url + "api/")
    svc.clock = lambda: MORNING
    # Subscribed yesterday evening for 08:00 UTC; the bot comes up at 10:00, within the grace.
    store = DigestStore(svc.settings.db_path)
    subscribe(store, "slack", "C1", "08:00", "UTC", settings=svc.settings,
              now=datetime(2025, 10, 17, 20, 0, tzinfo=UTC))
    port = free_port()
    task = asyncio.create_task(serve(svc, ["slack"], http=True, host="127.0.0.1", port=port))
    try:
        await wait_listening(port)
        body = slash_body(fake_slack, "/latest", "Budapest summit")
        status, _ = await post(f"http://127.0.0.1:{port}/slack/events", body, signed_headers(body))
        assert status == 200
        posts = await fake_slack.wait_posts(2)
        answer = next(p for p in posts if p["kind"] == "response_url")
        assert "Budapest" in visible_text(answer) and "[1]" in visible_text(answer)
        digest = next(p for p in posts if p["kind"] == "chat.postMessage")
        assert digest["channel"] == "C1" and "[1]" in visible_text(digest)
        await asyncio.sleep(0.5)  # a second catch-up or a scheduler firing must not repeat it
        assert sum(p["kind"] == "chat.postMessage" for p in fake_slack.posts) == 1
        assert [d.status for d in store.history("slack", "C1")] == ["sent"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- roles: answering and ingesting in separate processes ----------------------------------
async def _queue_an_article(svc) -> list[int]:
    """An ingest job, queued through a connection of its own, as another process would."""
    from bot.ingest.model import Article
    from bot.jobs.ingest import article_json
    from bot.jobs.store import JobKind, JobStore
    from bot.services import utcnow

    article = Article(title="Harbour ferry service resumes after storm repairs",
                      text="The harbour ferry resumed service on Monday after storm repairs.\n"
                           "Operators said crossings would run every twenty minutes.",
                      publisher="Test Wire", url="http://news.test/ferry", origin="test/ferry",
                      published=MORNING, date_source="metadata")
    with JobStore.open(svc.settings.db_path) as store:
        return store.enqueue(JobKind.ARTICLE, [{"article": article_json(article)}],
                             now=utcnow(), max_attempts=3)


def _slack_services(svc, fake_slack):
    svc.settings = replace(svc.settings, slack_bot_token=Secret(BOT_TOKEN),
                           slack_signing_secret=Secret(SIGNING_SECRET),
                           slack_api_url=fake_slack.url + "api/")
    svc.clock = lambda: MORNING
    store = DigestStore(svc.settings.db_path)
    subscribe(store, "slack", "C1", "08:00", "UTC", settings=svc.settings,
              now=datetime(2025, 10, 17, 20, 0, tzinfo=UTC))
    return store


async def test_the_answer_role_answers_chat_and_leaves_digests_to_the_ingest_role(
        seeded_services, fake_slack):
    from adapters.serve import Role
    from bot.scheduler import active_scheduler

    svc = seeded_services
    store = _slack_services(svc, fake_slack)
    port = free_port()
    task = asyncio.create_task(serve(svc, ["slack"], http=True, host="127.0.0.1", port=port,
                                     role=Role.ANSWER))
    try:
        await wait_listening(port)
        body = slash_body(fake_slack, "/latest", "Budapest summit")
        status, _ = await post(f"http://127.0.0.1:{port}/slack/events", body, signed_headers(body))
        assert status == 200
        [answer] = await fake_slack.wait_posts(1)
        assert answer["kind"] == "response_url" and "Budapest" in visible_text(answer)
        [queued] = await _queue_an_article(svc)
        await asyncio.sleep(1.5)
        assert active_scheduler(svc) is None  # no digests, no feed polling in this process
        assert not any(p["kind"] == "chat.postMessage" for p in fake_slack.posts)
        assert store.history("slack", "C1") == []
        jobs = await svc.jobs.store()
        assert [j.status for j in jobs.get([queued])] == ["queued"]  # ingest jobs: not here
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_ingest_role_posts_the_digest_and_polls_feeds_without_listening(
        seeded_services, fake_slack):
    from adapters.serve import Role
    from bot.scheduler import active_scheduler

    svc = seeded_services
    store = _slack_services(svc, fake_slack)
    port = free_port()
    task = asyncio.create_task(serve(svc, ["slack"], http=True, host="127.0.0.1", port=port,
                                     role=Role.INGEST))
    try:
        [digest] = await fake_slack.wait_posts(1)
        assert digest["kind"] == "chat.postMessage" and digest["channel"] == "C1"
        assert "[1]" in visible_text(digest)
        for _ in range(200):  # the post is recorded as sent right after Slack accepted it
            if [d.status for d in store.history("slack", "C1")] == ["sent"]:
                break
            await asyncio.sleep(0.05)
        assert [d.status for d in store.history("slack", "C1")] == ["sent"]
        scheduler = active_scheduler(svc)
        assert scheduler is not None and scheduler.aps.get_job("feeds:poll") is not None
        # An ingest job queued by another process (its own runner, not helping) is taken here.
        from bot.jobs.runner import JobRunner

        other = JobRunner(svc)
        try:
            [done] = await asyncio.wait_for(other.wait(await _queue_an_article(svc),
                                                       help=False), 60)
        finally:
            other.close()
        assert done.status == "done" and done.result["outcome"] == "stored"
        assert done.holder == svc.jobs.holder
        try:  # nothing answers Slack's events here: that is the answer role's job
            await asyncio.open_connection("127.0.0.1", port)
            raise AssertionError("the ingest role listens for Slack events")
        except OSError:
            pass
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
