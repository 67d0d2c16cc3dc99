"""Exactly-once digests on Slack: every scenario of issue 9 against a local Slack peer.

The peer (digest_fakes.SlackPeer) keeps each accepted message, with its metadata,
in the channel's history; the bot side is real: the digest scheduler and runner on
a real SQLite file, SlackPoster over slack_sdk's AsyncWebClient. A process killed
by `kill -9` is simulated by cancelling its task at the moment the peer has
accepted the post, leaving the database as the dead process left it, and starting
a fresh scheduler (another owner) over the same file. Every test asserts what a
user sees: one copy of each part of the digest in the channel, within the grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from digest_fakes import ManualClock, SlackPeer, day_one_db, services_on_copy
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.poster import SlackPoster
from bot.cli import main
from bot.digests.delivery import DigestStatus
from bot.digests.manage import listing
from bot.digests.runner import STALE_AFTER
from bot.digests.store import DigestStore
from bot.scheduler import DigestScheduler

DUE = datetime(2026, 7, 13, 20, 0, tzinfo=UTC)
DAY = "2026-07-13"
CHANNEL = "C1"
GRACE = timedelta(hours=12)


@pytest.fixture
async def peer():
    slack = await SlackPeer().start()
    yield slack
    await slack.close()


@pytest.fixture
def clock():
    return ManualClock(DUE + timedelta(seconds=5))


@pytest.fixture(scope="module")
def day_one(tmp_path_factory, fast_encoder, blank_nlp):
    """A day of news and the channel subscribed for 20:00 UTC (built once, copied per test)."""
    return day_one_db(tmp_path_factory.mktemp("exactly-once") / "bot.db", fast_encoder, "slack",
                      CHANNEL, DUE, blank_nlp)


@pytest.fixture
def services(tmp_path, fast_encoder, blank_nlp, clock, day_one, database):
    """The fast pair: these claims are about delivery, not which sentences are chosen.
    On SQLite, then on PostgreSQL."""
    with services_on_copy(day_one, tmp_path, fast_encoder, clock, blank_nlp,
                          database) as svc:
        yield svc


@pytest.fixture(scope="module")
def day_one_real(tmp_path_factory, encoder):
    """The same day ingested with the real models."""
    return day_one_db(tmp_path_factory.mktemp("exactly-once-real") / "bot.db", encoder, "slack",
                      CHANNEL, DUE)


@pytest.fixture
def real_services(tmp_path, encoder, clock, day_one_real):
    """Real models: which sentences make one story depends on MiniLM grouping them."""
    with services_on_copy(day_one_real, tmp_path, encoder, clock) as svc:
        yield svc


def poster_for(peer: SlackPeer, *, timeout: int = 30, max_blocks: int = 50) -> SlackPoster:
    client = AsyncWebClient(token="xoxb-1-2-test", base_url=peer.url, timeout=timeout)
    return SlackPoster(client, max_blocks=max_blocks)


def scheduler(services, poster, clock) -> DigestScheduler:
    """A 'process': its own store connection and owner; Retry-After waits move the clock."""
    sched = DigestScheduler(services, {"slack": poster})

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    sched.runner.sleep = sleep
    return sched


async def settle(sched: DigestScheduler, clock: ManualClock, outcome, limit: int = 40):
    """Play the scheduler's retry jobs: fire again whenever the outcome asks for a retry."""
    for _ in range(limit):
        if outcome.retry_at is None:
            return outcome
        clock.set(max(clock.now, outcome.retry_at))
        outcome = await sched.fire("slack", CHANNEL, DAY)
    return outcome


async def first_then_settle(sched: DigestScheduler, clock: ManualClock, first_status: str):
    """The scheduled firing (which must end as `first_status`), then its retries."""
    try:
        first = await sched.fire("slack", CHANNEL)
        assert first.status == first_status, first
        return first, await settle(sched, clock, first)
    finally:
        sched.shutdown()


def assert_exactly_once(peer: SlackPeer, services, parts: int = 1) -> None:
    store = DigestStore(services.settings.database)
    try:
        row = store.digest("slack", CHANNEL, DAY)
        copies = peer.copies(CHANNEL)
        assert copies == {(row.id, n): 1 for n in range(1, parts + 1)}, copies
        assert row.status is DigestStatus.SENT
        assert row.sent_at - DUE <= GRACE
        ts = [m["ts"] for m in peer.history[CHANNEL]]
        assert row.message_id == ts[0]
    finally:
        store.close()


async def test_a_process_killed_after_slack_accepted_is_not_reposted_by_its_successor(
        services, peer, clock):
    first = scheduler(services, poster_for(peer), clock)
    peer.script = ["hang"]
    task = asyncio.create_task(first.fire("slack", CHANNEL))
    await asyncio.wait_for(peer.accepted.wait(), 20)
    task.cancel()  # kill -9 between Slack's accept and the claim update
    with contextlib.suppress(asyncio.CancelledError):
        await task
    first.shutdown()
    clock.advance(minutes=10)
    successor = scheduler(services, poster_for(peer), clock)
    try:
        assert (await successor.fire("slack", CHANNEL)).status == "taken"  # not stale yet
        clock.advance(seconds=STALE_AFTER.total_seconds())
        outcome = await successor.fire("slack", CHANNEL, DAY)
    finally:
        successor.shutdown()
    assert outcome.status == "sent"
    assert peer.calls["chat.postMessage"] == 1 and peer.calls["conversations.history"] == 1
    assert_exactly_once(peer, services)


async def test_a_connection_dropped_after_accept_is_resolved_by_history_not_resent(
        services, peer, clock):
    sched = scheduler(services, poster_for(peer), clock)
    peer.script = ["drop"]
    try:
        first = await sched.fire("slack", CHANNEL)
        assert first.status == "uncertain" and first.retry_at == clock.now + timedelta(minutes=2)
        shown = listing(sched.store, sched.store.subscriptions(), clock.now)[0]
        assert "may not have arrived" in shown and "looking for it" in shown
        outcome = await settle(sched, clock, first)
    finally:
        sched.shutdown()
    assert outcome.status == "sent"
    assert peer.calls["chat.postMessage"] == 1  # no SDK retry, no blind resend
    assert_exactly_once(peer, services)


async def test_a_connection_lost_before_slack_posted_is_sent_again_once(services, peer, clock):
    sched = scheduler(services, poster_for(peer), clock)
    peer.script = ["lost"]
    try:
        outcome = await settle(sched, clock, await sched.fire("slack", CHANNEL))
    finally:
        sched.shutdown()
    assert outcome.status == "sent" and peer.calls["chat.postMessage"] == 2
    assert_exactly_once(peer, services)


async def test_an_answer_after_the_client_timeout_is_not_posted_twice(services, peer, clock):
    sched = scheduler(services, poster_for(peer, timeout=1), clock)
    peer.script = ["slow"]  # Slack posts it and answers after 1.5 s; the client gave up at 1 s
    _, outcome = await first_then_settle(sched, clock, "uncertain")
    assert outcome.status == "sent" and peer.calls["chat.postMessage"] == 1
    assert_exactly_once(peer, services)


async def test_a_429_storm_with_long_retry_after_keeps_the_claim_and_posts_once(
        services, peer, clock):
    sched = scheduler(services, poster_for(peer), clock)
    rival = DigestStore(services.settings.database)
    takeovers = []

    async def sleep(seconds: float) -> None:  # while the owner waits, a rival looks in
        assert seconds <= STALE_AFTER.total_seconds() / 3  # every wait is bounded
        clock.advance(seconds=seconds)
        takeovers.append(rival.claim("slack", CHANNEL, DAY, owner="rival", now=clock.now,
                                     trigger="schedule", stale_after=STALE_AFTER,
                                     max_attempts=4))

    sched.runner.sleep = sleep
    peer.script = ["429:590", "429:590", "429:590", "429:3600"]
    try:
        first = await sched.fire("slack", CHANNEL)
        # Three waits of ~10 minutes (lease renewed each time), then a Retry-After of an
        # hour is not slept through: the attempt fails (nothing was posted) and comes back.
        assert first.status == "failed" and first.retry_at >= clock.now + timedelta(hours=1)
        outcome = await settle(sched, clock, first)
    finally:
        sched.shutdown()
        rival.close()
    assert takeovers and not any(takeovers)  # the living owner's claim never went stale
    assert outcome.status == "sent" and peer.calls["chat.postMessage"] == 5
    assert_exactly_once(peer, services)


async def test_a_split_digest_whose_second_part_failed_posts_only_the_rest(real_services, peer,
                                                                           clock):
    services = real_services
    sched = scheduler(services, poster_for(peer, max_blocks=4), clock)
    peer.script = ["ok", "refuse"]
    _, outcome = await first_then_settle(sched, clock, "failed")
    parts = len(peer.history[CHANNEL])
    assert parts >= 2 and outcome.status == "sent"
    assert peer.calls["chat.postMessage"] == parts + 1  # only the refused part twice
    assert_exactly_once(peer, services, parts=parts)
    shown = [json.dumps([b for b in m["blocks"] if b["type"] == "section"])
             for m in peer.history[CHANNEL]]
    for story in ("Budapest", "heatwave"):  # each story told in exactly one of the messages
        assert sum(story in blocks for blocks in shown) == 1, shown


async def test_a_split_digest_killed_after_part_two_was_accepted(services, peer, clock):
    first = scheduler(services, poster_for(peer, max_blocks=4), clock)
    peer.script = ["ok", "hang"]
    task = asyncio.create_task(first.fire("slack", CHANNEL))
    await asyncio.wait_for(peer.accepted.wait(), 20)
    peer.accepted.clear()
    await asyncio.wait_for(peer.accepted.wait(), 20)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    first.shutdown()
    clock.advance(minutes=31)
    successor = scheduler(services, poster_for(peer, max_blocks=4), clock)
    try:
        outcome = await successor.fire("slack", CHANNEL, DAY)
    finally:
        successor.shutdown()
    parts = len(peer.history[CHANNEL])
    assert outcome.status == "sent" and parts >= 2
    assert peer.calls["chat.postMessage"] == parts
    assert_exactly_once(peer, services, parts=parts)


async def test_without_history_scopes_a_doubtful_digest_is_never_resent_and_is_shown(
        services, peer, clock, caplog):
    sched = scheduler(services, poster_for(peer), clock)
    peer.script = ["drop"]
    peer.history_error = "missing_scope"
    try:
        outcome = await settle(sched, clock, await sched.fire("slack", CHANNEL))
        shown = listing(sched.store, sched.store.subscriptions(), clock.now)[0]
    finally:
        sched.shutdown()
    assert outcome.status == "uncertain" and outcome.retry_at is None
    assert peer.calls["chat.postMessage"] == 1 and len(peer.history[CHANNEL]) == 1
    assert (f"last digest of {DAY} may not have arrived: briefbot cannot read this "
            "channel's history") in shown
    assert "channels:history" in shown
    assert "cannot read this channel's history" in caplog.text


async def test_subscriptions_on_the_command_line_shows_a_doubtful_digest(services, peer, clock,
                                                                        capsys, monkeypatch):
    sched = scheduler(services, poster_for(peer), clock)
    peer.script = ["drop"]
    peer.history_error = "not_in_channel"
    try:
        await settle(sched, clock, await sched.fire("slack", CHANNEL))
    finally:
        sched.shutdown()
    capsys.readouterr()
    url = services.settings.database_url  # the CLI reaches PostgreSQL as a user's would
    if url is not None:
        monkeypatch.setenv("BRIEFBOT_DATABASE_URL", url.dsn)
    where = [] if url is not None else ["--db", str(services.settings.db_path)]
    assert main([*where, "subscriptions", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["last_status"] == "uncertain"
    assert "may not have arrived: briefbot cannot read this channel's history" in listed["last"]
    assert len(peer.history[CHANNEL]) == 1
