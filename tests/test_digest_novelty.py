"""What's new: three days of dated articles, one channel, one digest a day.

Day 1 tells two stories; day 2 must not repeat them unless they moved on, and a
story that moved on comes back as "Update:" with only the new sentences.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from digest_fakes import ManualClock, RecordingPoster, make_services

from bot.digests.manage import subscribe
from bot.digests.runner import DigestRunner
from bot.digests.store import DigestStore
from bot.ingest.model import Article


def article(title, publisher, day, hour, *paragraphs):
    return Article(title=title, text="\n".join(paragraphs), publisher=publisher,
                   published=datetime(2026, 7, day, hour, 0, tzinfo=UTC),
                   url=f"https://news.example/{publisher.lower().replace(' ', '-')}/{day}/{hour}",
                   origin=f"test/{publisher.lower()}-{day}-{hour}", date_source="metadata")


SUMMIT_BACKGROUND = ("Donald Trump and Vladimir Putin agreed during a two-hour phone call to meet "
                     "in Budapest to discuss ending the war in Ukraine.")

DAY1 = [
    article("Trump and Putin agree to hold summit in Budapest", "Reuters", 13, 9,
            SUMMIT_BACKGROUND,
            "Hungarian Prime Minister Viktor Orban said his government would host the talks "
            "and offered security guarantees for both delegations.",
            "No date has been set for the meeting, officials in Washington said."),
    article("Budapest chosen as venue for Trump-Putin meeting", "Associated Press", 13, 11,
            "The leaders of the United States and Russia will meet in the Hungarian capital, "
            "the Kremlin confirmed after a lengthy telephone conversation on Thursday.",
            "Kremlin aide Yuri Ushakov said preparations for the Budapest meeting would begin "
            "at the level of foreign ministers.",
            "Ukrainian President Volodymyr Zelensky is due in Washington on Friday."),
    article("Heatwave grips southern Europe as temperatures pass 44C", "BBC", 13, 8,
            "Spain, Italy and Greece issued red alerts on Sunday as a heatwave pushed "
            "temperatures above 44C in several cities.",
            "Firefighters in Greece battled dozens of wildfires near Athens, and the Acropolis "
            "was closed to visitors in the afternoon.",
            "Doctors urged elderly people to stay indoors during the hottest hours."),
]

DAY2 = [
    article("Budapest summit put on hold, White House says", "Reuters", 14, 10,
            "The White House said on Monday that the planned summit in Budapest had been put "
            "on hold after Russia rejected a ceasefire along the current front line.",
            SUMMIT_BACKGROUND,
            "Secretary of State Marco Rubio and Foreign Minister Sergei Lavrov cancelled a "
            "preparatory meeting that had been due this week."),
    article("Floods in Bangladesh force thousands from their homes", "The Guardian", 14, 7,
            "Monsoon floods in northern Bangladesh have forced more than 60,000 people from "
            "their homes, the disaster ministry said on Monday.",
            "Rivers in Sylhet and Sunamganj rose above danger levels after three days of "
            "torrential rain.",
            "Army units were deployed to evacuate villages cut off by the water."),
    article("Southern Europe swelters in heatwave", "Euronews", 14, 6,
            "Spain, Italy and Greece put out red alerts on Sunday as the heatwave pushed "
            "temperatures past 44C in several cities.",
            "Firefighters in Greece fought dozens of wildfires near Athens, and the Acropolis "
            "was shut to visitors in the afternoon."),
]

DAY3 = [
    article("Bangladesh flood death toll rises to 40", "Reuters", 15, 9,
            "At least 40 people have died in the floods in northern Bangladesh, officials said "
            "on Tuesday, as the waters began to recede in Sylhet.",
            "Monsoon floods in northern Bangladesh forced more than 60,000 people from their "
            "homes, the disaster ministry said.",
            "The government announced emergency food aid for 200,000 families."),
    article("European Central Bank raises interest rates to fight inflation", "Financial Times",
            15, 12,
            "The European Central Bank raised its main interest rate by a quarter point on "
            "Tuesday, its first increase in two years.",
            "ECB President Christine Lagarde said inflation in the eurozone remained too high "
            "for too long.",
            "Markets had widely expected the move, and the euro rose slightly against the "
            "dollar."),
    article("White House puts Budapest meeting on hold", "CNN", 15, 8,
            "The White House said the planned summit in Budapest had been put on hold after "
            "Russia refused a ceasefire along the current front line.",
            "Rubio and Lavrov called off a preparatory meeting that had been due this week."),
]


@pytest.fixture(scope="module")
def three_days(tmp_path_factory, encoder):
    """Ingest day by day and post one digest a day at 08:00 UTC+0 (the evening before's news)."""
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
        import asyncio

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
    assert "Reuters" in summit.body and "Associated Press" in summit.body
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
            quoted = section.body.split("\nSources:")[0]
            for part in [p for p in quoted.split("]") if p.strip()]:
                text, _, n = part.rpartition("[")
                src = reply.sources[int(n) - 1]
                stored = services.index.article(src.article_id).text
                assert text.strip() in stored, (text, src.title)
