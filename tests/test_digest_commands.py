"""The digest and subscription commands as a user meets them, through the one registry."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime

import pytest
from digest_fakes import DAY1, ManualClock, RecordingPoster, article, make_services

from bot.digests.store import DigestStore
from bot.scheduler import DigestScheduler
from summarizer.filters import junk_reason
from summarizer.lexical import dangles

SUMMER = datetime(2026, 7, 13, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return ManualClock(SUMMER)


@pytest.fixture
def services(tmp_path, fast_encoder, blank_nlp, clock):
    """The fast pair: subscribing, previewing and posting, not which stories a digest tells."""
    svc = make_services(tmp_path / "bot.db", fast_encoder, clock, blank_nlp)
    yield svc
    svc.index.close()


@pytest.fixture
def real_services(tmp_path, encoder, clock):
    """The real models: which stories a digest tells, and how it groups them."""
    svc = make_services(tmp_path / "bot.db", encoder, clock)
    yield svc
    svc.index.close()


async def ask(services, text, *, platform="slack", channel="C1", can_manage=True,
              is_direct=False):
    req = services.registry.parse(text, platform=platform, user_id="U1", channel_id=channel,
                                  can_manage=can_manage, is_direct=is_direct,
                                  extra={"team_id": "T1"})
    return await services.registry.dispatch(req, services)


@pytest.mark.parametrize("args, message", [
    ("25:00 Europe/Kyiv", "25:00 is not a time; use HH:MM (24-hour), e.g. 08:00"),
    ("8am", "8am is not a time; use HH:MM (24-hour), e.g. 08:00"),
    ("08:00 Europe/Kiev2", "Europe/Kiev2 is not an IANA time zone"),
    ("08:00 Kyiv", "Kyiv is not an IANA time zone; did you mean Europe/Kyiv?"),
    ("08:00 Europe/Kyiv tomorrow", "“tomorrow” is not understood"),
])
async def test_bad_times_and_zones_are_named_and_nothing_is_saved(services, args, message):
    reply = await ask(services, f"subscribe {args}")
    assert reply.kind == "error" and message in reply.text
    assert DigestStore(services.settings.db_path).subscriptions() == []


async def test_subscribing_needs_manage_channels(services):
    reply = await ask(services, "subscribe 08:00 Europe/Kyiv", can_manage=False)
    assert reply.kind == "forbidden" and "Manage Channels" in reply.text


async def test_subscribe_list_and_unsubscribe(services, clock):
    reply = await ask(services, "subscribe 08:00 Europe/Kyiv topics: Budapest summit, Zelensky")
    assert "08:00 Europe/Kyiv" in reply.text and "05:00 UTC" in reply.text  # summer: EEST
    assert "following Budapest summit, Zelensky" in reply.text
    clock.set(datetime(2026, 1, 13, 12, 0, tzinfo=UTC))
    listed = await ask(services, "subscriptions")
    assert listed.ephemeral and "slack:C1" in listed.text and "06:00 UTC" in listed.text  # EET
    assert "no digest yet" in listed.text
    # Changing only the time keeps the topics.
    reply = await ask(services, "subscribe 07:30 quiet")
    assert "07:30 Europe/Kyiv" in reply.text and "Budapest summit" in reply.text
    assert "silent on empty days" in reply.text
    assert "no daily digest to stop" not in (await ask(services, "unsubscribe")).text
    assert "no daily digest to stop" in (await ask(services, "unsubscribe")).text
    assert "No daily digests yet" in (await ask(services, "subscriptions")).text


async def test_another_workspace_does_not_see_this_ones_subscriptions(services):
    await ask(services, "subscribe 08:00 UTC")
    req = services.registry.parse("subscriptions", platform="slack", channel_id="C9",
                                  extra={"team_id": "T2"})
    assert "No daily digests yet" in (await services.registry.dispatch(req, services)).text


async def test_preview_is_only_for_the_caller_and_records_nothing(services):
    for a in DAY1:
        services.index.add(a)
    reply = await ask(services, "digest preview")
    assert reply.ephemeral and reply.title.startswith("Preview")
    assert "Budapest" in reply.text
    assert DigestStore(services.settings.db_path).history("slack", "C1") == []


@contextlib.contextmanager
def serving(services, poster):
    """A running scheduler with the platform's poster, as `briefbot serve` has."""
    for a in DAY1:
        services.index.add(a)
    scheduler = DigestScheduler(services, {"slack": poster})
    scheduler.start(catch_up=False)
    try:
        yield scheduler
    finally:
        scheduler.shutdown()


async def test_digest_now_posts_through_the_running_scheduler_once_per_day(services):
    poster = RecordingPoster()
    with serving(services, poster):
        first = await ask(services, "digest now")
        again = await ask(services, "digest now")  # a double click, a platform retry
    assert first.ephemeral and "Posted" in first.text
    assert len(poster.posts) == 1 and "Budapest" in poster.texts("C1")[0]
    assert "already posted on request today" in again.text
    row = DigestStore(services.settings.db_path).history("slack", "C1")[0]
    assert (row.status, row.slot, row.message_id) == ("sent", "now", "msg-1")


async def test_digest_now_from_the_command_worker_thread_posts_on_the_serving_loop(services):
    """Adapters run commands in a worker thread with its own loop; posting must not."""
    poster = RecordingPoster()
    req = services.registry.parse("digest now", platform="slack", channel_id="C1")
    with serving(services, poster):
        reply = await asyncio.to_thread(
            lambda: asyncio.run(services.registry.dispatch(req, services)))
    assert "Posted" in reply.text
    assert poster.loops == [asyncio.get_running_loop()]


async def test_digest_now_without_a_platform_connection_answers_with_the_digest(services):
    for a in DAY1:
        services.index.add(a)
    reply = await ask(services, "digest now", platform="console", channel="cli")
    assert not reply.ephemeral and "Heatwave" in reply.text
    assert "already" in (await ask(services, "digest now", platform="console", channel="cli")).text


def carried(section) -> tuple[int, set[str]]:
    """What a card's note line tells a reader: how many outlets, and the ones it names."""
    (note,) = section.paragraphs[-1]
    assert not note.refs, "the outlet count is briefbot's own words, not a quote"
    m = re.fullmatch(r"Carried by (\d+) outlets?: (.+?)(?: and \d+ more)?\.", note.text)
    assert m, note.text
    return int(m.group(1)), set(m.group(2).split(", "))


async def test_plain_digest_is_the_periods_top_stories_as_cards(real_services, clock):
    services = real_services
    for a in DAY1:
        services.index.add(a)
    clock.set(datetime(2026, 7, 13, 20, 0, tzinfo=UTC))
    reply = await ask(services, "digest")
    assert reply.title.startswith("Top stories of the last 24 hours")
    # Two publishers outrank one: the summit story comes first.
    assert [s.heading for s in reply.sections] == [
        "Budapest chosen as venue for Trump-Putin meeting",
        "Heatwave grips southern Europe as temperatures pass 44C"]
    for section in reply.sections:
        claims = section.paragraphs[0]
        assert 2 <= len(claims) <= 3 and all(c.refs for c in claims), section.body
    assert carried(reply.sections[0]) == (2, {"Reuters", "Associated Press"})
    assert carried(reply.sections[1]) == (1, {"BBC"})
    assert "Firefighters in Greece battled dozens of wildfires" in reply.sections[1].body
    clock.set(datetime(2026, 9, 1, tzinfo=UTC))  # the corpus is now old
    old = await ask(services, "digest")
    assert "24 hours up to the newest article" in old.title and "13 Jul 2026 11:00" in old.title
    assert "nothing in the last 24 hours" in old.title
    assert len(old.sections) == 2


async def test_a_period_of_only_fragments_says_so_instead_of_showing_them(real_services, clock):
    services = real_services
    services.index.add(article("Live: summit latest", "Reuters", 13, 9,
                               "Live Updates From Budapest",
                               "He said it was over.",
                               "'We will never accept this."))
    clock.set(datetime(2026, 7, 13, 20, 0, tzinfo=UTC))
    reply = await ask(services, "digest")
    assert reply.kind == "empty" and "only headlines or fragments" in reply.text
    assert "He said" not in reply.text and not reply.sources


async def test_unknown_digest_option_is_refused(services):
    reply = await ask(services, "digest tomorrow")
    assert reply.kind == "error" and "`digest now` or `digest preview`" in reply.text


async def test_plain_digest_on_the_seeds_names_the_newest_day_and_cites_it(seeded_services):
    reply = await ask(seeded_services, "digest", platform="console", channel="cli")
    assert reply.title == ("Top stories of 17 Oct 2025, the newest day in the index "
                           "(nothing in the last 24 hours)")
    assert "Putin" in reply.text and "Latin America" not in reply.text
    for section in reply.sections:  # a card: 2-3 whole cited sentences, then the outlets
        claims = section.paragraphs[0]
        assert 2 <= len(claims) <= 3 and all(c.refs for c in claims), section.body
        for claim in claims:
            assert junk_reason(claim.text) is None and not dangles(claim.text), claim.text
        (note,) = section.paragraphs[-1]
        assert not note.refs and note.text.startswith(("Carried by", "From ")), note.text
    assert all(s.published and s.published.date().isoformat() == "2025-10-17"
               for s in reply.sources)
