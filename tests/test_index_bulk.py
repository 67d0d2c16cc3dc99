"""The bulk path (bot.index.bulk) writes what ingest writes, and dedup still judges its copies."""

from __future__ import annotations

from datetime import UTC, datetime
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core import Reply
from bot.index import bulk
from bot.index.store import Index
from bot.ingest.model import Article

STORY = (
    "Ukrainian President Volodymyr Zelenskyy met European leaders in Brussels on Tuesday to "
    "press for new air defence systems after a week of heavy Russian strikes on the power grid.\n"
    "Zelenskyy said the country needed at least ten more Patriot batteries before winter.\n"
    "European Commission President Ursula von der Leyen promised an answer within days.\n"
    "Officials said a package worth two billion euros was being prepared for approval.\n"
    "Engineers in Kharkiv worked through the night to restore electricity to hospitals.\n"
    "The talks in Brussels also covered the grain corridor through the Black Sea.\n"
    "Von der Leyen said the people of Ukraine would not face the winter alone.\n"
    "A summit in Budapest between the American and Russian presidents is planned for next month."
)


def _template_article() -> Article:
    return Article("Zelenskyy presses Brussels for Patriot batteries", STORY, publisher="Wire",
                   published=datetime(2025, 10, 1, 12, tzinfo=UTC), origin="wire/1",
                   date_source="metadata")


async def _ask(services, text: str) -> Reply:
    registry = services.registry
    return await registry.dispatch(registry.parse(text, platform="test"), services)


def _stored(index: Index, article_id: int) -> dict:
    """What a reader of the index sees of one article: text, sentences, mentions, events."""
    c = index.conn
    return {
        "text": c.execute("SELECT text FROM articles WHERE id = ?", [article_id]).fetchone()[0],
        "sentences": [s.text for s in index.sentences([article_id])],
        "mentions": sorted(c.execute(
            "SELECT e.name, s.position, m.surface FROM mentions m JOIN entities e "
            "ON e.id = m.entity_id JOIN sentences s ON s.id = m.sentence_id "
            "WHERE m.article_id = ?", [article_id]).fetchall()),
        "events": sorted(r[0] for r in c.execute(
            "SELECT e.name FROM event_articles ea JOIN events e ON e.id = ea.event_id "
            "WHERE ea.article_id = ?", [article_id])),
    }


def test_a_copy_is_stored_exactly_as_ingest_stores_the_same_article(services, tmp_path: Path):
    index = services.index
    template = bulk.analyse(index, [_template_article()])[0]
    copy = bulk.vary(template, 4, exact=True)
    result = bulk.write(index, copy)
    assert result.status == "stored"

    ingested = Index(tmp_path / "ingest.db", index.settings, encoder=index.encoder, nlp=index.nlp)
    try:
        same = ingested.add_many([copy.article])[0]
        assert same.status == "stored"
        expected = _stored(ingested, same.article_id)
    finally:
        ingested.close()
    got = _stored(index, result.article_id)
    assert got == expected
    assert got["mentions"] and got["events"]  # the comparison compared something


async def test_a_varied_copy_is_found_by_latest_who_and_full_text(services):
    index = services.index
    template = bulk.analyse(index, [_template_article()])[0]
    copy = bulk.vary(template, 3)
    assert copy.article.text != STORY and copy.article.origin == "scale/3"
    assert len(copy.sentences) < len(template.sentences)  # sentences were dropped
    result = bulk.write(index, copy)
    assert result.status == "stored"

    assert result.article_id in index.search("Zelenskyy Brussels")
    latest = await _ask(services, "latest on Zelenskyy")
    assert latest.kind == "answer", latest.text
    assert "scale/3" in {s.origin for s in latest.sources}
    who = await _ask(services, "who is Zelenskyy")
    assert who.kind == "answer", who.text
    assert "Volodymyr Zelenskyy" in who.text


def test_dedup_merges_an_unchanged_copy_and_keeps_a_reworded_one(services):
    index = services.index
    template = bulk.analyse(index, [_template_article()])[0]
    first = bulk.write(index, bulk.vary(template, 10, exact=True))
    again = bulk.write(index, bulk.vary(template, 11, exact=True))
    assert first.status == "stored"
    assert again.status == "duplicate" and again.article_id == first.article_id
    sources = index.conn.execute("SELECT origin FROM article_sources WHERE article_id = ? "
                                 "ORDER BY id", [first.article_id]).fetchall()
    assert [r[0] for r in sources] == ["scale/10", "scale/11"]
    assert index.article_count() == 1


def test_vary_refuses_an_article_that_was_not_analysed(services):
    template = services.index._fingerprint(_template_article())
    with pytest.raises(ValueError, match="analysed"):
        bulk.vary(template, 1)


def _tables(index: Index) -> dict:
    """Every count and name the index derives from its articles, without row ids."""
    c = index.conn
    return {
        "entities": sorted(c.execute("SELECT name, type, key FROM entities").fetchall()),
        "aliases": sorted(c.execute("SELECT e.key, a.alias, a.count FROM entity_aliases a "
                                    "JOIN entities e ON e.id = a.entity_id").fetchall()),
        "labels": sorted(c.execute("SELECT e.key, l.label, l.count FROM entity_labels l "
                                   "JOIN entities e ON e.id = l.entity_id").fetchall()),
        "events": sorted(c.execute("SELECT e.name, ea.mentions, a.origin FROM event_articles ea "
                                   "JOIN events e ON e.id = ea.event_id "
                                   "JOIN articles a ON a.id = ea.article_id").fetchall()),
        "about": sorted(c.execute("SELECT a.origin, ab.kind, ab.in_title, ab.in_lead, "
                                  "ab.sentences, ab.about FROM aboutness ab "
                                  "JOIN articles a ON a.id = ab.article_id").fetchall()),
        "speeches": c.execute("SELECT COUNT(*) FROM speeches").fetchone()[0],
        "sources": sorted(c.execute("SELECT s.origin, a.origin FROM article_sources s "
                                    "JOIN articles a ON a.id = s.article_id").fetchall()),
    }


def test_a_batch_writes_what_one_copy_at_a_time_writes(services, tmp_path: Path):
    index = services.index
    template = bulk.analyse(index, [_template_article()])[0]
    copies = [bulk.vary(template, n, exact=n % 4 == 3) for n in range(12)]
    results = bulk.write_many(index, copies)
    assert [r.status for r in results].count("duplicate") >= 2  # exact re-publications 7 and 11 merged

    single = Index(tmp_path / "single.db", index.settings, encoder=index.encoder, nlp=index.nlp)
    try:
        for p in copies:
            bulk.write(single, p)
        assert _tables(index) == _tables(single)
    finally:
        single.close()
    # the stored counts are the mentions' counts, not a recount that drifted
    c = index.conn
    assert c.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == \
        c.execute("SELECT SUM(count) FROM entity_aliases").fetchone()[0] > 0


def test_a_failing_batch_writes_nothing(services):
    index = services.index
    template = bulk.analyse(index, [_template_article()])[0]
    broken = bulk.vary(template, 2)
    broken.sentences = broken.sentences[:-1]  # one vector too many: the write must fail
    broken.mentions = [*(broken.mentions or []), replace(broken.mentions[0], sentence=99)]
    with pytest.raises(IndexError):
        bulk.write_many(index, [bulk.vary(template, 1), broken])
    assert index.article_count() == 0
