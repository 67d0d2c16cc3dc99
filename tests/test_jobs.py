"""Ingest jobs: taken by one process each, retried with backoff a bounded number of times,
taken again when their holder dies, and outcomes reported back to whoever queued them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.ingest.model import Article
from bot.jobs.ingest import add_via_jobs, article_json, ingest_url_job
from bot.jobs.runner import MAX_ATTEMPTS, backoff
from bot.jobs.store import JobKind, JobStatus, JobStore
from digest_fakes import ManualClock
from test_feeds_support import STORIES, article_page, kill_once_fetching, server  # noqa: F401

CHILD = Path(__file__).with_name("multiproc_child.py")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def articles(n: int) -> list[Article]:
    keys = list(STORIES)
    return [Article(title=f"{STORIES[keys[i % len(keys)]][0]} — part {i}",
                    text=f"Dispatch number {i} from the desk of correspondent {i * 7}. "
                         + STORIES[keys[i % len(keys)]][1].replace("\n", f" Note {i}.\n"),
                    publisher="Test Wire", url=f"http://news.test/wire/{i}",
                    origin=f"test/wire-{i}", date_source="metadata",
                    published=T0 - timedelta(hours=i)) for i in range(n)]


def test_two_connections_never_take_the_same_job(database):
    """On SQLite the write lock serialises the takers; on PostgreSQL FOR UPDATE SKIP LOCKED
    lets them pass over each other's rows."""
    path = database
    with JobStore.open(path) as store:
        ids = store.enqueue(JobKind.URL, [{"url": f"http://x.test/{i}"} for i in range(60)],
                            now=T0, max_attempts=3)
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def taker(name: str) -> None:
        with JobStore.open(path) as store:
            while jobs := store.claim(holder=name, now=T0, expires_at=T0 + timedelta(minutes=1),
                                      limit=3):
                taken[name] += [j.id for j in jobs]

    threads = [threading.Thread(target=taker, args=(n,)) for n in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(taken["a"]) & set(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == ids


async def test_feed_items_as_jobs_report_stored_and_duplicate(fast_services_each_backend):
    fast_services = fast_services_each_backend
    batch = articles(3)
    first = await add_via_jobs(fast_services, batch)
    assert [r.status for r in first] == ["stored"] * 3
    again = await add_via_jobs(fast_services, batch[:1])
    assert again[0].status == "duplicate" and again[0].article_id == first[0].article_id
    assert fast_services.index.article_count() == 3


async def test_a_failing_job_is_retried_with_backoff_then_failed(fast_services_each_backend):
    fast_services = fast_services_each_backend
    runner = fast_services.jobs
    runner.clock = ManualClock(T0)
    # A job whose payload no handler can read (as a damaged row would be): it fails each time.
    [job_id] = await runner.enqueue(JobKind.ARTICLE, [{"not an article": 1}])
    store = await runner.store()
    seen = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await runner.run_once() == 1
        [job] = store.get([job_id])
        seen.append((job.status, job.attempts))
        assert "KeyError" in (job.error or "")
        if attempt < MAX_ATTEMPTS:
            assert await runner.run_once() == 0  # waiting out its backoff
            runner.clock.advance(seconds=backoff(attempt).total_seconds() - 0.5)
            assert await runner.run_once() == 0
            runner.clock.advance(seconds=0.5)
    assert seen == [(JobStatus.QUEUED, 1), (JobStatus.QUEUED, 2), (JobStatus.FAILED, 3)]
    assert backoff(1) < backoff(2)
    runner.clock.advance(days=1)
    assert await runner.run_once() == 0  # failed for good: never taken again
    [failed] = await runner.wait([job_id])  # a waiter is told, with the last error
    assert failed.status is JobStatus.FAILED and failed.error.startswith("KeyError")


async def test_chat_ingest_waits_on_its_job_and_answers_with_what_was_stored(fast_services,
                                                                             server):
    title, text = STORIES["bridge"]
    server.pages["/story"] = _page(article_page(title, text))
    from dataclasses import replace
    fast_services.settings = replace(fast_services.settings,
                                     fetch_allow_networks=("127.0.0.1/32",))
    done = await ingest_url_job(fast_services, server.url("/story", host="127.0.0.1"))
    assert done.text().startswith(f"Ingested “{title}”")
    store = await fast_services.jobs.store()
    assert store.counts() == {JobStatus.DONE: 1}


def _page(html: str):
    from test_feeds_support import Page

    return Page(html, "text/html; charset=utf-8")


def _child(mode: str, *args: str, db: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), mode, *args],
                            env={**os.environ, "BRIEFBOT_DB": str(db), **env},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


async def test_two_worker_processes_share_the_jobs_and_run_each_once(fast_services, fast_env):
    runner = fast_services.jobs
    ids = await runner.enqueue(JobKind.ARTICLE, [{"article": article_json(a)}
                                                 for a in articles(24)])
    children = [_child("drain", db=fast_services.settings.db_path) for _ in range(2)]
    try:
        for c in children:
            assert (await asyncio.to_thread(c.stdout.readline)).strip() == "ready", c.stderr.read()
        for c in children:  # both start taking at the same moment
            c.stdin.write("go\n")
            c.stdin.flush()
        outs = [(await asyncio.to_thread(c.communicate, None, 300))[0] for c in children]
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
    took = [int(o.split()[-1]) for o in outs]
    assert sum(took) == 24
    store = await runner.store()
    jobs = store.get(ids)
    assert {j.status for j in jobs} == {JobStatus.DONE}
    assert {j.attempts for j in jobs} == {1}  # none taken twice
    assert sorted(j.result["outcome"] for j in jobs).count("stored") == \
        fast_services.index.article_count()


async def test_a_killed_holders_job_is_taken_again_after_its_lease(fast_services, fast_env,
                                                                   server):
    title, text = STORIES["buses"]
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=article_page(title, text).encode(), content_type="text/html")

    server.pages["/story"] = hang
    url = server.url("/story", host="127.0.0.1")
    runner = fast_services.jobs
    [job_id] = await runner.enqueue(JobKind.URL, [{"url": url}])
    child = _child("work", "2", db=fast_services.settings.db_path,
                   BRIEFBOT_FETCH_ALLOW_NETWORKS="127.0.0.1/32")
    await kill_once_fetching(child, server, "/story")
    store = await runner.store()
    [held] = store.get([job_id])
    assert held.status is JobStatus.RUNNING and held.attempts == 1
    release.set()
    server.pages["/story"] = _page(article_page(title, text))
    from dataclasses import replace
    fast_services.settings = replace(fast_services.settings,
                                     fetch_allow_networks=("127.0.0.1/32",))
    [done] = await asyncio.wait_for(runner.wait([job_id]), 60)  # takes it once the lease ends
    assert done.status is JobStatus.DONE and done.attempts == 2
    assert done.result["outcome"] == "stored"
    assert fast_services.index.article_count() == 1


def test_finished_jobs_drop_their_payload_and_are_forgotten_after_a_while(tmp_path):
    with JobStore.open(tmp_path / "jobs.db") as store:
        a, b = store.enqueue(JobKind.ARTICLE, [{"article": {"title": "x"}}] * 2, now=T0,
                             max_attempts=3)
        taken = store.claim(holder="h", now=T0, expires_at=T0 + timedelta(minutes=1), limit=2)
        assert [j.id for j in taken] == [a, b]
        store.finish(a, holder="h", now=T0, result={"outcome": "stored", "article_id": 1})
        [done] = store.get([a])
        assert (done.payload, done.holder, done.result) == ({}, "h", {"outcome": "stored",
                                                                      "article_id": 1})
        store.finish(b, holder="h", now=T0 + timedelta(days=2), result={"outcome": "duplicate",
                                                                          "article_id": 1})
        assert store.prune(T0 + timedelta(days=1)) == 1
        assert [j.id for j in store.get([a, b])] == [b]


async def test_a_batch_keeps_the_leases_of_its_unfinished_jobs(fast_services, server):
    from dataclasses import replace

    from bot.jobs.runner import JobRunner

    title, text = STORIES["orchestra"]

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2.5)
        return web.Response(body=article_page(title, text).encode(), content_type="text/html")

    server.pages["/story"] = slow
    fast_services.settings = replace(fast_services.settings,
                                     fetch_allow_networks=("127.0.0.1/32",))
    runner = JobRunner(fast_services, lease=timedelta(seconds=0.8))
    other = JobRunner(fast_services, lease=timedelta(seconds=0.8))
    try:
        # One batch: an article (done at once), then a URL whose page takes 2.5 s.
        article_job, = await runner.enqueue(JobKind.ARTICLE,
                                            [{"article": article_json(articles(1)[0])}])
        url_job, = await runner.enqueue(JobKind.URL, [{"url": server.url("/story",
                                                                         host="127.0.0.1")}])
        working = asyncio.create_task(runner.run_once())
        for _ in range(500):  # the article is done; the URL's page is being fetched
            if server.hits.get("/story"):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.2)  # past its first lease: renewed, so not taken by another
        assert await other.run_once() == 0
        assert await working == 2
        store = await runner.store()
        assert [(j.status, j.attempts) for j in store.get([article_job, url_job])] == \
            [(JobStatus.DONE, 1), (JobStatus.DONE, 1)]
    finally:
        runner.close()
        other.close()
