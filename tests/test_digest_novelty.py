"""What's new: three days of dated articles, one channel, one digest a day.

Day 1 tells two stories; day 2 must not repeat them unless they moved on, and a
story that moved on comes back as "Update:" with only the new sentences.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from digest_fakes import (DAY1, DAY2, DAY3, SUMMIT_BACKGROUND, ManualClock, RecordingPoster,
                          make_services)

from bot.digests.manage import subscribe
from bot.digests.runner import DigestRunner
from bot.digests.store import DigestStore


@pytest.fixture(scope="module")
def three_days(tmp_path_factory, encoder):
    """Ingest day by day and post one digest a day at 20:00 UTC, after that day's news."""
    path = tmp_path_factory.mktemp("novelty") / "bot.db"
    clock = ManualClock(datetime(2026, 7, 12, 12, 0, tzinfo=UTC))
    services = make_services(path, encoder, clock)
    store = DigestStore(path)
    subscribe(store, "slack", "C1", "20:00", "UTC", ["Bangladesh"], False,
              settings=services.settings, now=clock())
    poster = RecordingPoster()
    runner = DigestRunner(services, store, {"slack": poster})
    days = []
    for n, batch in enumerate([DAY1, DAY2, DAY3]):
        for a in batch:
            services.index.add(a)
        clock.set(datetime(2026, 7, 13 + n, 20, 0, 5, tzinfo=UTC))
        outcome = asyncio.run(runner.run_due("slack", "C1"))
        assert outcome.status == "sent", outcome
        days.append(outcome.reply)
    yield days, store, services
    services.index.close()


def headings(reply):
    return [s.heading for s in reply.sections]


def test_day_one_tells_each_story_once_with_all_its_publishers(three_days):
    (day1, _, _), store, services = three_days
    heads = headings(day1)
    assert len(heads) == 2, day1.text
    summit = next(s for s in day1.sections if "Budapest" in s.heading)
    assert "Carried by 2 outlets: Associated Press, Reuters." in summit.body
    assert any("Heatwave" in h for h in heads)


def test_day_two_leaves_out_what_was_told_and_marks_the_new_development(three_days):
    (day1, day2, _), store, services = three_days
    heads = headings(day2)
    assert heads[0].endswith("(following: Bangladesh)"), heads
    update = [s for s in day2.sections if s.heading.startswith("Update:")]
    assert len(update) == 1 and "Budapest" in update[0].heading, day2.text
    assert "put on hold" in update[0].body
    assert SUMMIT_BACKGROUND not in day2.text  # told on day 1: not new
    assert not any("heat" in h.lower() for h in heads), day2.text  # a re-report, nothing new


def test_day_three_updates_the_followed_story_and_stays_quiet_on_repeats(three_days):
    (_, _, day3), store, services = three_days
    heads = headings(day3)
    assert heads[0].startswith("Update: Bangladesh flood death toll"), heads
    assert "At least 40 people have died" in day3.sections[0].body
    assert "60,000" not in day3.sections[0].body  # that was told on day 2
    assert any("European Central Bank" in h for h in heads)
    assert not any("Budapest" in h for h in heads), day3.text


def test_every_sentence_shown_is_a_verbatim_cited_source_sentence(three_days):
    days, store, services = three_days
    for reply in days:
        for section in reply.sections:
            for claim in (c for p in section.paragraphs for c in p if c.refs):
                for n in claim.refs:
                    src = reply.sources[n - 1]
                    stored = services.index.article(src.article_id).text
                    assert claim.text in stored, (claim.text, src.title)
