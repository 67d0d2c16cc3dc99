"""The digest log: one claim per channel and local date, whoever asks and however often.

Each test runs on SQLite and on PostgreSQL (the `database` fixture of conftest.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.digests.delivery import DigestStatus, PartStatus
from bot.digests.store import STEPS, DigestStore
from bot.index.db import connect, migrate

T0 = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)
STALE = timedelta(minutes=30)


def claim(store, now=T0, owner="a", day="2026-07-15", **kw):
    return store.claim("slack", "C1", day, owner=owner, now=now, trigger="schedule",
                       stale_after=STALE, max_attempts=kw.pop("max_attempts", 4), **kw)


def test_second_claim_for_the_same_day_is_refused_and_another_day_is_not(database):
    store = DigestStore(database)
    first = claim(store)
    assert first is not None and first.attempts == 1
    assert claim(store, owner="b") is None
    assert claim(store, owner="b", day="2026-07-16") is not None


def test_threads_with_separate_connections_race_and_exactly_one_wins(database):
    path = database
    DigestStore(path).close()  # migrate once, as a running bot would have
    stores = [DigestStore(path) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    wins = []

    def race(i):
        barrier.wait()
        if claim(stores[i], owner=f"p{i}") is not None:
            wins.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_sent_digest_is_never_claimed_again_even_when_old(database):
    store = DigestStore(database)
    c = claim(store)
    assert store.mark_sent(c, message_id="m1", now=T0, period=(T0 - timedelta(days=1), T0),
                           told_articles=[1, 2], shown_sentences=[(10, 1)])
    assert claim(store, owner="b", now=T0 + timedelta(hours=5)) is None
    row = store.digest("slack", "C1", "2026-07-15")
    assert (row.status, row.message_id) == ("sent", "m1")
    told = store.told("slack", "C1")
    assert told.article_ids == {1, 2} and told.sentence_ids == {10}


def test_a_claim_left_by_a_crashed_process_is_taken_over_only_when_stale(database):
    store = DigestStore(database)
    crashed = claim(store, owner="crashed")
    assert claim(store, owner="b", now=T0 + timedelta(minutes=10)) is None
    took = claim(store, owner="b", now=T0 + STALE + timedelta(seconds=1))
    assert took is not None and took.attempts == 2
    # The crashed owner waking up cannot record over the new owner.
    assert not store.mark_sent(crashed, message_id="late", now=T0, period=None)
    assert store.mark_sent(took, message_id="m2", now=T0, period=None)
    assert store.digest("slack", "C1", "2026-07-15").message_id == "m2"


def test_failed_digest_is_reclaimed_after_its_backoff_and_not_after_the_last_attempt(database):
    store = DigestStore(database)
    c = claim(store, max_attempts=2)
    store.mark_failed(c, error="ConnectionError: 503", next_attempt_at=T0 + timedelta(minutes=2))
    assert claim(store, owner="b", now=T0 + timedelta(minutes=1), max_attempts=2) is None
    again = claim(store, owner="b", now=T0 + timedelta(minutes=2), max_attempts=2)
    assert again is not None and again.attempts == 2
    store.mark_failed(again, error="ConnectionError: 503", next_attempt_at=None)
    assert claim(store, owner="c", now=T0 + timedelta(hours=1), max_attempts=2) is None
    row = store.digest("slack", "C1", "2026-07-15")
    assert (row.status, row.attempts, row.error) == ("failed", 2, "ConnectionError: 503")
    # A person asking explicitly (`digest now`) may try once more.
    assert claim(store, owner="d", now=T0 + timedelta(hours=1), max_attempts=2,
                 force_failed=True) is not None


def test_an_uncertain_digest_is_looked_at_again_only_when_due_or_asked_for(database):
    store = DigestStore(database)
    c = claim(store)
    assert store.mark_part(c, 1, PartStatus.UNCERTAIN, now=T0)
    assert store.mark_failed(c, error="no answer", next_attempt_at=T0 + timedelta(minutes=2),
                             uncertain=True)
    assert claim(store, owner="b", now=T0 + timedelta(minutes=1)) is None
    again = claim(store, owner="b", now=T0 + timedelta(minutes=2))
    assert again is not None and again.started_at == T0  # history is searched from here
    # What may have arrived stays recorded for the new owner to look for.
    assert store.parts(c.digest_id)[1].status is PartStatus.UNCERTAIN
    assert store.mark_failed(again, error="still unknown", next_attempt_at=None, uncertain=True)
    assert claim(store, owner="c", now=T0 + timedelta(hours=5)) is None
    assert claim(store, owner="d", now=T0 + timedelta(hours=5), force_failed=True) is not None


def test_a_living_owner_renews_its_lease_and_a_lost_claim_records_nothing(database):
    store = DigestStore(database)
    c = claim(store)
    assert store.renew(c, T0 + timedelta(minutes=25))
    assert claim(store, owner="b", now=T0 + STALE + timedelta(minutes=1)) is None
    took = claim(store, owner="b", now=T0 + timedelta(minutes=25) + STALE)
    assert took is not None
    assert not store.renew(c, T0 + timedelta(hours=1))
    assert not store.mark_part(c, 1, PartStatus.SENDING, now=T0 + timedelta(hours=1))
    assert store.parts(c.digest_id) == {}
    assert store.mark_part(took, 1, PartStatus.SENT, now=T0, message_id="m1")
    assert store.digest("slack", "C1", "2026-07-15").status is DigestStatus.SENDING


def test_a_version_one_log_is_migrated_with_its_rows_and_what_they_told(tmp_path):
    path = tmp_path / "db.sqlite"
    db = connect(path)
    migrate(db, "digests", STEPS[:1])
    db.execute("INSERT INTO digest_log (id, platform, channel_id, local_date, status, trigger, "
               "owner, claimed_at, message_id, sent_at) VALUES (7, 'slack', 'C1', '2026-07-14', "
               "'sent', 'schedule', 'old', ?, 'm7', ?)", [T0.isoformat(), T0.isoformat()])
    db.execute("INSERT INTO digest_told (digest_id, article_id, sentence_id, shown) "
               "VALUES (7, 70, 700, 1)")
    db.conn.close()
    store = DigestStore(path)
    row = store.digest("slack", "C1", "2026-07-14")
    assert (row.status, row.message_id, row.started_at) == (DigestStatus.SENT, "m7", T0)
    assert store.told("slack", "C1").sentence_ids == {700}
    c = claim(store)  # the new statuses and parts work on the migrated file
    assert store.mark_part(c, 1, PartStatus.SENDING, now=T0)
