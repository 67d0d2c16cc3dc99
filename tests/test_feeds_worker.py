"""The feed worker process: results and errors come back, a job past its limit or a dead
child costs only that job, and the next job gets a fresh child."""

from __future__ import annotations

import os
import time

import pytest

from bot.feeds.parse import FeedRefused, parse_feed
from bot.feeds.worker import FeedWorker, JobTimeout, WorkerCrashed, WorkerUnavailable


@pytest.fixture
def worker():
    with FeedWorker() as w:
        yield w


def test_results_and_the_callers_errors_come_back(worker):
    feed = worker.run(parse_feed, b"<rss version='2.0'><channel><title>Marlow</title>"
                      b"<item><title>One</title><description>Text.</description></item>"
                      b"</channel></rss>", "http://news.test/rss", "", limit=60)
    assert feed.title == "Marlow" and [i.title for i in feed.items] == ["One"]
    with pytest.raises(FeedRefused, match="is not a valid RSS or Atom feed: syntax error"):
        worker.run(parse_feed, b"hello", "http://news.test/rss", "", limit=60)
    with pytest.raises(ValueError, match="invalid literal"):
        worker.run(int, "not a number", limit=60)


def test_a_job_past_its_limit_is_ended_and_the_next_one_runs(worker):
    with pytest.raises(JobTimeout, match="took longer than 0.5 s"):
        worker.run(time.sleep, 30, limit=0.5)
    assert worker.run(len, "four", limit=60) == 4


def test_a_child_that_dies_costs_only_its_job(worker):
    with pytest.raises(WorkerCrashed, match=r"died \(exit code 3\)"):
        worker.run(os._exit, 3, limit=60)
    assert worker.run(len, "again", limit=60) == 5


def test_closing_ends_the_child():
    worker = FeedWorker()
    assert worker.run(len, "x", limit=60) == 1
    proc = worker._proc
    worker.close()
    assert proc is not None and proc.poll() is not None


async def test_without_a_child_the_job_runs_in_a_thread_and_says_so(monkeypatch, caplog):
    monkeypatch.setattr("sys.executable", "/nonexistent/python3")
    with FeedWorker() as worker:
        with pytest.raises(WorkerUnavailable, match="could not start"):
            worker.run(len, "abc", limit=5)
        assert await worker.call(len, "abc", limit=5) == 3
    assert "the feed worker process could not start (" in caplog.text
    assert "running len in a thread instead" in caplog.text
