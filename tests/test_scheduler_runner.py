"""The scheduler with a clock you set: catch-up, restarts, racing processes, retries, firing."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from digest_fakes import ManualClock, RecordingPoster, make_services

from bot.digests.manage import listing, subscribe
from bot.digests.store import DigestStore
from bot.scheduler import DigestScheduler

# 08:00 in Kyiv on 15 July 2026 is 05:00 UTC (EEST).
DUE = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return ManualClock(DUE - timedelta(days=1))


@pytest.fixture
def services(tmp_path, encoder, clock):
    svc = make_services(tmp_path / "bot.db", encoder, clock)
    yield svc
    svc.index.close()


def add_subscription(services, channel="C1", time="08:00", tz="Europe/Kyiv", **kw):
    store = DigestStore(services.settings.db_path)
    try:
        return subscribe(store, "slack", channel, time, tz, kw.pop("topics", None),
                         kw.pop("quiet_empty", None), settings=services.settings,
                         now=services.clock(), **kw)
    finally:
        store.close()


def scheduler_for(services, poster) -> DigestScheduler:
    return DigestScheduler(services, {"slack": poster})


async def started(services, poster) -> DigestScheduler:
    sched = scheduler_for(services, poster)
    sched.start()
    await sched.catch_up_task
    return sched


async def test_jobs_are_rebuilt_from_the_table_with_stable_ids_and_local_times(services):
    add_subscription(services, "C1", "08:00", "Europe/Kyiv")
    add_subscription(services, "C2", "07:30", "America/New_York")
    sched = await started(services, RecordingPoster())
    try:
        fires = sched.next_fire_times()
        assert set(fires) == {"digest:slack:C1", "digest:slack:C2"}
        kyiv = fires["digest:slack:C1"].astimezone(ZoneInfo("Europe/Kyiv"))
        assert (kyiv.hour, kyiv.minute) == (8, 0)
        # The table is the truth: a subscription removed elsewhere disappears on resync.
        DigestStore(services.settings.db_path).delete_subscription("slack", "C2")
        sched.sync_jobs()
        assert set(sched.next_fire_times()) == {"digest:slack:C1"}
    finally:
        sched.shutdown()


async def test_a_bot_down_at_eight_posts_the_missed_digest_on_return_once(services, clock):
    add_subscription(services)
    poster = RecordingPoster()
    clock.set(DUE + timedelta(hours=4, minutes=30))  # back at 12:30 Kyiv time
    first = await started(services, poster)
    first.shutdown()
    assert len(poster.posts) == 1
    assert poster.posts[0][0] == "C1"
    clock.advance(minutes=5)  # and restarted again
    second = await started(services, poster)
    second.shutdown()
    assert len(poster.posts) == 1


async def test_a_platform_that_connects_late_gets_its_jobs_and_catch_up(services, clock):
    add_subscription(services)
    clock.set(DUE + timedelta(hours=1))
    sched = DigestScheduler(services, {})  # Discord's poster exists only after login
    sched.start()
    await sched.catch_up_task
    assert sched.next_fire_times() == {}
    poster = RecordingPoster()
    sched.add_poster(poster)
    for _ in range(200):
        if poster.posts:
            break
        await asyncio.sleep(0.05)
    sched.shutdown()
    assert [c for c, _ in poster.posts] == ["C1"]
    assert set(sched.next_fire_times()) == {"digest:slack:C1"}


async def test_no_catch_up_beyond_the_grace_period_or_before_subscribing(services, clock):
    add_subscription(services)
    poster = RecordingPoster()
    clock.set(DUE + timedelta(hours=12, minutes=1))  # grace is 12 hours by default
    sched = await started(services, poster)
    sched.shutdown()
    assert poster.posts == []
    # Next day, 10:00 Kyiv: C9 subscribes for 07:00, which is past; C1's 08:00 is still in grace.
    clock.set(DUE + timedelta(days=1, hours=2))
    add_subscription(services, "C9", "07:00", "Europe/Kyiv")
    sched = await started(services, poster)
    sched.shutdown()
    assert [c for c, _ in poster.posts] == ["C1"]


def test_two_processes_racing_on_one_sqlite_file_post_exactly_once(tmp_path, encoder, clock):
    path = tmp_path / "shared.db"
    services = [make_services(path, encoder, clock) for _ in range(2)]
    add_subscription(services[0])
    clock.set(DUE + timedelta(seconds=1))
    poster = RecordingPoster()
    schedulers = [scheduler_for(s, poster) for s in services]
    barrier = threading.Barrier(2)
    outcomes = []

    def process(sched):
        barrier.wait()
        outcomes.append(asyncio.run(sched.fire("slack", "C1")).status)

    threads = [threading.Thread(target=process, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["sent", "taken"]
    assert len(poster.posts) == 1
    for s in services:
        s.index.close()


async def test_a_failed_send_is_retried_with_backoff_and_reported(services, clock, caplog):
    add_subscription(services)
    poster = RecordingPoster(fail_next=2)
    sched = scheduler_for(services, poster)
    store = sched.store
    clock.set(DUE + timedelta(seconds=2))
    first = await sched.fire("slack", "C1")
    assert first.status == "failed" and first.retry_at == clock.now + timedelta(minutes=2)
    shown = listing(store, store.subscriptions(), clock.now)[0]
    assert "FAILED after 1 attempt(s): ConnectionError: platform answered HTTP 503" in shown
    clock.advance(minutes=1)  # backoff not over yet: nothing happens
    assert (await sched.fire("slack", "C1")).status == "taken"
    clock.advance(minutes=1)
    second = await sched.fire("slack", "C1", "2026-07-15")
    assert second.status == "failed" and second.retry_at == clock.now + timedelta(minutes=10)
    clock.advance(minutes=10)
    third = await sched.fire("slack", "C1", "2026-07-15")
    assert third.status == "sent" and len(poster.posts) == 1 and poster.attempts == 3
    assert "last digest 2026-07-15: sent" in listing(store, store.subscriptions(), clock.now)[0]
    # Once sent, further retries (a duplicate retry job, a restart) post nothing.
    assert (await sched.fire("slack", "C1", "2026-07-15")).status == "taken"
    assert len(poster.posts) == 1


async def test_a_send_that_keeps_failing_is_retried_within_the_grace_then_given_up(
        services, clock, caplog):
    add_subscription(services)
    poster = RecordingPoster(fail_next=99)
    sched = scheduler_for(services, poster)
    clock.set(DUE)
    outcome = await sched.fire("slack", "C1")
    tries = [clock.now]
    while outcome.retry_at is not None:
        clock.set(outcome.retry_at)
        tries.append(clock.now)
        outcome = await sched.fire("slack", "C1", outcome.local_date)
    grace = timedelta(hours=services.settings.digest_grace_hours)
    assert poster.posts == [] and poster.attempts == len(tries) > 4
    assert tries[-1] <= DUE + grace < tries[-1] + timedelta(hours=1)  # hourly, to the end
    assert [b - a for a, b in itertools.pairwise(tries[:4])] == [
        timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30)]
    assert any(r.levelno == logging.ERROR and "giving up" in r.getMessage() for r in caplog.records)
    store = sched.store
    shown = listing(store, store.subscriptions(), clock.now)[0]
    assert f"FAILED after {len(tries)} attempt(s)" in shown and "gave up" in shown


async def test_apscheduler_fires_the_job_and_schedules_the_retry(services, clock):
    """Through the real AsyncIOScheduler: the cron job runs, the send fails, a retry job appears."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock.set(now - timedelta(hours=1))
    add_subscription(services, "C1", f"{now:%H:%M}", "UTC")
    clock.set(now + timedelta(seconds=30))
    poster = RecordingPoster(fail_next=1)
    sched = scheduler_for(services, poster)
    sched.start(catch_up=False)
    try:
        sched.aps.modify_job("digest:slack:C1", next_run_time=datetime.now(UTC))
        for _ in range(300):  # the job runs on this loop; give it turns until it has
            if sched.aps.get_job("digest-retry:slack:C1"):
                break
            await asyncio.sleep(0.05)
        retry = sched.aps.get_job("digest-retry:slack:C1")
        assert poster.attempts == 1 and retry is not None
        assert retry.next_run_time == clock.now + timedelta(minutes=2)
        assert sched.next_fire_times()["digest:slack:C1"] > datetime.now(UTC)
    finally:
        sched.shutdown()


async def test_an_empty_day_says_so_briefly_or_stays_silent_if_the_channel_chose_that(services,
                                                                                       clock):
    add_subscription(services, "LOUD")
    add_subscription(services, "QUIET", quiet_empty=True)
    poster = RecordingPoster()
    clock.set(DUE + timedelta(minutes=1))
    sched = await started(services, poster)
    sched.shutdown()
    assert [c for c, _ in poster.posts] == ["LOUD"]
    assert poster.posts[0][1].text.startswith("Nothing new since")
    assert poster.posts[0][1].kind == "empty"
    store = DigestStore(services.settings.db_path)
    quiet = listing(store, [store.subscription("slack", "QUIET")], clock.now)[0]
    assert "nothing new (kept silent)" in quiet


async def test_a_claim_left_by_a_crashed_process_is_posted_once_it_is_stale(services, clock):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock.set(now - timedelta(hours=1))
    add_subscription(services, "C1", f"{now:%H:%M}", "UTC")
    crashed_at = now + timedelta(seconds=1)
    store = DigestStore(services.settings.db_path)
    assert store.claim("slack", "C1", f"{now:%Y-%m-%d}", owner="crashed", now=crashed_at,
                       trigger="schedule", stale_after=timedelta(minutes=30), max_attempts=4)
    clock.set(now + timedelta(minutes=2))  # restarted two minutes later
    poster = RecordingPoster()
    sched = await started(services, poster)
    try:
        assert poster.posts == []  # it may still be being sent by its owner
        look_again = sched.aps.get_job("digest-retry:slack:C1")
        assert look_again.next_run_time == crashed_at + timedelta(minutes=30, seconds=5)
        clock.set(look_again.next_run_time)
        outcome = await sched.fire("slack", "C1", f"{now:%Y-%m-%d}")
    finally:
        sched.shutdown()
    assert outcome.status == "sent" and len(poster.posts) == 1
