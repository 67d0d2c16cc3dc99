"""Coverage decided honestly on the seed pages: brief only on articles about the topic,
list passing mentions as such, and say "no coverage" when one common word is all we share."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_commands_seeds import ask, assert_every_sentence_is_quoted_from_its_source, cited_sentences
from schema_history import undo_compact_format

from bot.core import ReplyKind
from bot.index.rows import Coverage


@pytest.mark.parametrize("question", ["latest on the World Cup", "latest on World Cup 2026",
                                      "timeline of the World Cup", "latest on Atlantis",
                                      "latest on the Budapest marathon results"])
async def test_one_shared_common_word_is_no_coverage(seeded_services, question):
    # "world", "Budapest", "Atlantic" are in the seeds; "cup", "marathon", "Atlantis" are not
    reply = await ask(seeded_services, question)
    assert reply.kind == ReplyKind.NO_COVERAGE, reply.text
    assert not reply.sources and "No coverage of" in reply.text


@pytest.mark.parametrize("topic", ["NATO", "Karoline Leavitt", "Oval Office"])
async def test_only_passing_mentions_are_listed_as_such(seeded_services, topic):
    reply = await ask(seeded_services, f"latest on {topic}")
    assert reply.kind == ReplyKind.PASSING_MENTIONS, reply.text
    assert reply.title == f"Only passing mentions of {topic}"
    heading = reply.sections[0].heading
    assert heading.startswith(f"No article is about “{topic}”") and "in passing" in heading
    lines = cited_sentences(reply)
    assert lines and len({n for _, n in lines}) == len(lines)  # one mention per article
    surname = topic.split()[-1]
    assert all(surname in sentence for sentence, _ in lines), lines
    assert_every_sentence_is_quoted_from_its_source(seeded_services, reply)


async def test_every_passing_only_name_gets_mentions_not_a_briefing(seeded_services):
    """The class, not the examples: each entity no seed article is about."""
    conn = seeded_services.index.conn
    names = [r[0] for r in conn.execute(
        "SELECT e.name FROM aboutness ab JOIN entities e ON e.id = ab.target_id "
        "WHERE ab.kind = 'entity' AND e.type IN ('PERSON', 'ORG') GROUP BY e.id "
        "HAVING SUM(ab.about) = 0 AND COUNT(*) >= 2")]
    assert len(names) >= 3
    for name in names:
        topic = seeded_services.index.resolve_topic(name)
        if topic.entity is None or topic.entity.name != name:
            continue  # the name means something else first (an event, a better-covered entity)
        reply = await ask(seeded_services, f"latest on {name}")
        assert reply.kind == ReplyKind.PASSING_MENTIONS, (name, reply.text)


async def test_a_briefing_reads_only_articles_about_the_topic(seeded_services):
    topic = seeded_services.index.resolve_topic("Budapest summit")
    assert topic.coverage is Coverage.ABOUT
    reply = await ask(seeded_services, "latest on Budapest summit")
    assert {s.article_id for s in reply.sources} <= set(topic.about_ids)


async def test_who_is_still_answered_for_a_person_mentioned_in_passing(seeded_services):
    reply = await ask(seeded_services, "who is Witkoff")
    assert reply.kind == ReplyKind.ANSWER and reply.title == "Who is Steve Witkoff"


async def test_timeline_entries_are_sentences_not_headings(seeded_services):
    for topic in ("Budapest summit", "Alaska summit", "Zelensky", "Tomahawk"):
        reply = await ask(seeded_services, f"timeline of {topic}")
        for sentence, _ in cited_sentences(reply):
            assert sentence.rstrip("\"'’”)")[-1] in ".!…", sentence  # "The Soundtrack of…"
            assert not re.match(r"[\"“‘']?(?:He|She|They|It)\b", sentence), sentence


async def test_a_briefing_shows_no_subheading(seeded_services):
    reply = await ask(seeded_services, "latest on Budapest summit")
    for sentence, _ in cited_sentences(reply):
        assert sentence.rstrip("\"'’”)")[-1] in ".!…", sentence
    assert "'good and productive call' [" not in reply.text


def test_the_backfill_of_an_existing_database_equals_what_ingest_stores(seeded_db, tmp_path, encoder):
    """A database from before aboutness existed gets it on opening, exactly as if its
    articles had been ingested today."""
    from bot.index.store import Index
    from conftest import make_settings

    path = tmp_path / "old.db"
    shutil.copy(seeded_db, path)
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT * FROM aboutness ORDER BY kind, target_id, article_id").fetchall()
    undo_compact_format(conn)
    conn.execute("DROP TABLE aboutness")
    conn.execute("DROP TABLE article_leads_fts")
    from bot.index.schema import STEPS, _v6_aboutness

    conn.execute("UPDATE schema_versions SET version = ? WHERE component = 'index'",
                 [STEPS.index(_v6_aboutness)])  # the step before aboutness
    conn.commit()
    conn.close()
    index = Index(path, make_settings(path), encoder=encoder)
    try:
        again = index.conn.execute(
            "SELECT * FROM aboutness ORDER BY kind, target_id, article_id").fetchall()
        assert stored and again == stored
        assert index.resolve_topic("Budapest summit").about_ids
    finally:
        index.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_topic_text_resolves_to_disjoint_about_and_passing_articles(seeded_services, text):
    topic = seeded_services.index.resolve_topic(text)
    about, passing = set(topic.about_ids), set(topic.passing_ids)
    assert not about & passing
    assert (about | passing) <= set(topic.article_ids)
    assert topic.coverage is (Coverage.ABOUT if about else
                              Coverage.PASSING if passing else Coverage.NONE)


async def test_one_fact_reported_by_two_sources_is_shown_once_citing_both(services):
    """End to end through ingest and latest: the wire sentence two publishers carried is
    one claim with both citations."""
    from datetime import UTC, datetime

    from bot.ingest.model import Article

    wire = ("A Russian drone crashed and exploded in a cornfield near the Polish village of Osiny "
            "on Wednesday, Polish officials said.")
    pages = [
        ("Drone crashes in eastern Poland", "Daily One", 20, [
            wire, "Poland's defence minister called the Osiny drone crash a provocation against NATO.",
            "Officials said the drone that fell near Osiny had a Chinese engine."]),
        ("Poland investigates Osiny drone crash", "Daily Two", 21, [
            wire.replace("Polish officials said", "officials in Warsaw said"),
            "Polish prosecutors opened an investigation into the Osiny drone crash on Thursday.",
            "Investigators in Osiny collected the remains of the drone and its warhead."]),
    ]
    services.index.add_many([
        Article(title=t, text="\n".join(lines), publisher=pub, origin=f"test/{day}",
                published=datetime(2025, 8, day, 12, tzinfo=UTC), date_source="metadata")
        for t, pub, day, lines in pages])
    for question in ("latest on the Osiny drone crash", "what's new on the drone crash in Osiny"):
        reply = await ask(services, question)
        assert reply.kind == ReplyKind.ANSWER, reply.text
        claims = [c for s in reply.sections for c in s.claims if "cornfield" in c.text]
        assert len(claims) == 1, reply.text
        assert len(claims[0].refs) == 2 and {s.publisher for s in reply.sources} == {"Daily One", "Daily Two"}
