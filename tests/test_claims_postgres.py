"""The claims of several processes on a real PostgreSQL server: ingest jobs (FOR UPDATE SKIP
LOCKED) go to concurrent takers disjointly without waiting on each other, a dead holder's
job lease expires, and the feed lease UPDATE gives a feed to one of two racing pollers.

The jobs table is created with its PostgreSQL step (bot.jobs.store.PG_V1), the feeds'
lease columns with theirs (bot.feeds.store.PG_V4); once the PostgreSQL backend lands they
are migrated by it and the stores run these same statements through its adapter."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.store import PG_V4
from bot.jobs.store import PG_V1, claim_statement
from pg_server import postgres_server, postgres_url  # noqa: F401

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def pg(sql: str) -> str:
    return sql.replace("?", "%s")


def iso(dt: datetime) -> str:
    return dt.isoformat()


@pytest.fixture
def queue(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for statement in PG_V1:
            conn.execute(statement)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO jobs(kind, payload, max_attempts, run_after, created_at) "
                            "VALUES ('url', '{}', 3, %s, %s)", [(iso(T0), iso(T0))] * 60)
    return postgres_url


def claim(conn, holder: str, now: datetime, lease: timedelta, limit: int,
          skip_locked: bool = True) -> list[int]:
    rows = conn.execute(pg(claim_statement(skip_locked=skip_locked)),
                        [holder, iso(now + lease), iso(now), iso(now), limit]).fetchall()
    return sorted(r[0] for r in rows)


def test_concurrent_takers_get_disjoint_jobs(queue):
    import psycopg

    taken: dict[str, list[int]] = {"a": [], "b": []}

    def taker(name: str) -> None:
        with psycopg.connect(queue, autocommit=True) as conn:
            while ids := claim(conn, name, T0, timedelta(minutes=1), 3):
                taken[name] += ids

    threads = [threading.Thread(target=taker, args=(n,)) for n in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(taken["a"]) & set(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == list(range(1, 61))


def test_skip_locked_passes_over_rows_another_transaction_is_taking(queue):
    import psycopg

    with psycopg.connect(queue) as a, psycopg.connect(queue) as b:
        first = claim(a, "a", T0, timedelta(minutes=1), 5)  # a's transaction stays open
        b.execute("SET lock_timeout = '2s'")
        second = claim(b, "b", T0, timedelta(minutes=1), 5)
        assert first == [1, 2, 3, 4, 5] and second == [6, 7, 8, 9, 10]
        b.commit()
        # Without SKIP LOCKED the second taker picks the same rows and waits for a's lock.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            claim(b, "b", T0, timedelta(minutes=1), 5, skip_locked=False)
        b.rollback()
        a.commit()


def test_a_dead_holders_job_is_taken_again_after_its_lease(queue):
    import psycopg

    with psycopg.connect(queue, autocommit=True) as dead:
        assert claim(dead, "dead", T0, timedelta(seconds=60), 1) == [1]
    # The holder is gone (its connection closed without finishing the job).
    with psycopg.connect(queue, autocommit=True) as conn:
        conn.execute("UPDATE jobs SET status = 'done' WHERE id > 1")
        assert claim(conn, "next", T0 + timedelta(seconds=59), timedelta(seconds=60), 5) == []
        assert claim(conn, "next", T0 + timedelta(seconds=60), timedelta(seconds=60), 5) == [1]
        assert conn.execute("SELECT holder, attempts FROM jobs WHERE id = 1").fetchone() == \
            ("next", 2)


def test_the_feed_lease_update_gives_a_feed_to_one_of_two_racing_pollers(postgres_url):
    """FeedStore.claim's UPDATE on PostgreSQL: the second poller waits for the first's
    transaction, re-checks the WHERE on the row the first wrote, and gets nothing."""
    import psycopg

    from bot.feeds.store import CLAIM_FEED

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE feeds (id BIGSERIAL PRIMARY KEY, status TEXT NOT NULL "
                     "DEFAULT 'active', next_poll_at TEXT)")  # the columns the claim reads
        for statement in PG_V4:
            conn.execute(statement)
        conn.execute("INSERT INTO feeds DEFAULT VALUES")
    lease = [iso(T0 + timedelta(minutes=2)), 1, iso(T0), iso(T0)]
    with psycopg.connect(postgres_url) as a, psycopg.connect(postgres_url) as b:
        assert a.execute(pg(CLAIM_FEED), ["a", *lease]).rowcount == 1  # not committed yet
        got: list[int] = []
        racer = threading.Thread(target=lambda: got.append(
            b.execute(pg(CLAIM_FEED), ["b", *lease]).rowcount))
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # waiting on a's row lock
        a.commit()
        racer.join(10)
        b.commit()
        assert got == [0]
        # Once a's lease has expired, b takes the feed.
        later = [iso(T0 + timedelta(minutes=5)), 1, iso(T0 + timedelta(minutes=3)),
                 iso(T0 + timedelta(minutes=3))]
        assert b.execute(pg(CLAIM_FEED), ["b", *later]).rowcount == 1
        b.commit()
        assert b.execute("SELECT lease_holder FROM feeds").fetchone() == ("b",)
