"""Slack's retries and double deliveries are answered once across every `serve` process.

Behind a load balancer, Slack's retry of an event may reach another process than the
original did. Two real Bolt apps (two HTTP servers, two connections, one SQLite file) get
the original and its retries alternately: the user sees one answer. A property checks the
ledger alone over random interleavings of processes and deliveries.
"""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.seen import SeenEvents
from test_slack_flows import (BOT_USER, fake_slack, make_test_registry, mention,  # noqa: F401
                              send_event, start_bot, visible_text)


async def test_a_retry_reaching_another_process_is_not_answered_again(tmp_path, fake_slack):
    registry = make_test_registry()
    first = await start_bot(tmp_path, fake_slack, registry)
    second = await start_bot(tmp_path, fake_slack, registry)
    try:
        event = mention(f"<@{BOT_USER}> echo across processes")
        assert (await send_event(first, event, "EvX"))[0] == 200
        await fake_slack.wait_posts(1)
        for n, target in ((1, second), (2, first), (3, second)):
            assert (await send_event(target, event, "EvX", retry=n))[0] == 200
        await send_event(second, mention(f"<@{BOT_USER}> echo marker", ts="7.0"), "EvY")
        await fake_slack.wait_posts(2)
        await asyncio.sleep(0.2)  # room for a wrong extra answer to arrive; not a speed check
        texts = [visible_text(p) for p in fake_slack.posts]
        assert sum("across processes" in t for t in texts) == 1
        assert sum("marker" in t for t in texts) == 1
    finally:
        for running in (first, second):
            await running.server.close()
            running.bot.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5), st.booleans()),
                min_size=1, max_size=30))
def test_each_event_is_first_seen_exactly_once_whichever_process_gets_it(tmp_path_factory,
                                                                         deliveries):
    """(process, event, carries its client_msg_id): an event's deliveries share an event id
    or a message id; exactly one delivery of each event is told "first time"."""
    path = tmp_path_factory.mktemp("seen") / "briefbot.db"
    processes = [SeenEvents(path) for _ in range(3)]
    try:
        answered: dict[int, int] = {}
        for process, event, with_msg_id in deliveries:
            ids = (f"Ev{event}", f"msg-{event}" if with_msg_id else None)
            if processes[process].first_time(*ids):
                answered[event] = answered.get(event, 0) + 1
        assert answered == {e: 1 for _, e, _ in deliveries}
    finally:
        for p in processes:
            p.close()


def test_ids_are_forgotten_after_the_ttl_and_never_block_an_unseen_event(tmp_path):
    now = [1_000_000.0]
    ledger = SeenEvents(tmp_path / "b.db", ttl=60, clock=lambda: now[0])
    try:
        assert ledger.first_time("Ev1", "m1") and not ledger.first_time("Ev1")
        assert not ledger.first_time("Ev9", "m1")  # the same message under another event id
        assert ledger.first_time() and ledger.first_time(None, "")  # nothing to remember
        now[0] += 61
        assert ledger.first_time("Ev1")  # long after Slack stopped retrying
        assert ledger.db.conn.execute("SELECT COUNT(*) FROM slack_seen_events").fetchone() == (1,)
    finally:
        ledger.close()


def test_three_processes_on_either_backend_answer_each_event_once(database):
    """The ledger on the database every serve process shares: SQLite file or PostgreSQL."""
    processes = [SeenEvents(database) for _ in range(3)]
    try:
        deliveries = [(0, "EvA", "m1"), (1, "EvA", "m1"), (2, "EvB", "m2"), (0, "EvB", None),
                      (1, "EvC", "m1"), (2, "EvD", "m4"), (2, "EvD", "m4"), (0, "EvE", None)]
        answered = [ev for p, ev, msg in deliveries if processes[p].first_time(ev, msg)]
        # EvC is the m1 message again under another event id (a DM that also @mentions)
        assert answered == ["EvA", "EvB", "EvD", "EvE"]
    finally:
        for p in processes:
            p.close()
