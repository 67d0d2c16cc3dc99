"""Retention and the compact format: old articles keep their facts, the file gives space back,
and files written by the previous format are converted. Real SQLite files, real models."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlite_utils

from bot.cli import main
from bot.index import schema, vectors
from bot.index.db import connect, migrate
from bot.index.store import Index

from tests.test_commands_seeds import ask, assert_every_sentence_is_quoted_from_its_source

#: The seed pages of August 2025 (the Alaska summit) are older than this; October's are not.
SEPTEMBER = datetime(2025, 9, 1, tzinfo=UTC)


def _august_ids(index: Index) -> list[int]:
    dates = index.publication_dates(range(1, 1000))
    return sorted(a for a, d in dates.items() if d and d < SEPTEMBER)


def _source_ids(reply) -> set[int]:
    return {s.article_id for s in reply.sources}


async def test_old_articles_lose_their_text_but_who_timeline_and_sources_still_find_them(
        seeded_services_each_backend):
    """On SQLite and on PostgreSQL."""
    seeded_services = seeded_services_each_backend
    index = seeded_services.index
    old = _august_ids(index)
    assert old and len(old) < index.article_count()
    before = {q: await ask(seeded_services, q) for q in
              ("sources Alaska summit", "who is Steve Witkoff", "timeline of the Alaska summit")}
    kept_sentences = len(index.sentences([a for a in range(1, 1000) if a not in old]))

    done = index.prune(now=SEPTEMBER, retention_days=1)

    assert done.articles == len(old) and done.sentences > 0
    for article_id in old:
        sentences = index.sentences([article_id])
        assert len(sentences) == 1 and sentences[0].position == 0  # only the lead is left
        assert index.article(article_id).text == sentences[0].text
    assert len(index.sentences([a for a in range(1, 1000) if a not in old])) == kept_sentences
    assert index.prune(now=SEPTEMBER, retention_days=1).articles == 0  # nothing twice

    sources = await ask(seeded_services, "sources Alaska summit")
    assert _source_ids(sources) == _source_ids(before["sources Alaska summit"])
    who = await ask(seeded_services, "who is Steve Witkoff")
    assert who.kind == before["who is Steve Witkoff"].kind == "answer"
    assert _source_ids(who) & set(old)
    timeline = await ask(seeded_services, "timeline of the Alaska summit")
    assert timeline.kind == "answer", timeline.text
    assert _source_ids(timeline) & set(old), timeline.text
    assert_every_sentence_is_quoted_from_its_source(seeded_services, timeline)


async def test_pruned_space_is_given_back_to_the_disk(seeded_services):
    index = seeded_services.index
    index.maintain()  # the seeded copy becomes incremental, as a new file is
    size = index.file_bytes()
    done = index.prune(now=datetime(2030, 1, 1, tzinfo=UTC), retention_days=30)
    assert done.articles == index.article_count()
    # given back by the pruning itself, in incremental steps, with no VACUUM
    assert done.bytes_reclaimed > 0
    assert index.file_bytes() < 0.75 * size
    assert (await ask(seeded_services, "who is Steve Witkoff")).kind == "answer"


def test_maintain_command_prunes_and_reports_json(seeded_services, capsys):
    path = seeded_services.index.path
    seeded_services.index.close()
    with sqlite3.connect(path) as c:  # as a file made before incremental vacuum
        c.execute("PRAGMA auto_vacuum=NONE")
        c.execute("VACUUM")
        assert c.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    assert main(["--db", str(path), "maintain", "--retention-days", "36500", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pruned_articles"] == 0 and report["vacuumed"] is True
    assert main(["--db", str(path), "maintain", "--json"]) == 0  # converted once only
    assert json.loads(capsys.readouterr().out)["vacuumed"] is False
    assert main(["--db", str(path), "maintain", "--retention-days", "-3"]) == 1
    assert "--retention-days -3" in capsys.readouterr().err
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on


def test_a_file_of_the_previous_format_is_converted(tmp_path):
    """Schema 6 kept sentence text twice and float32 vectors: opening it converts both."""
    path = tmp_path / "old.db"
    db = connect(path)
    migrate(db, schema.COMPONENT, schema.STEPS[:6])
    text = "Rescuers reached the village at dawn. Forty homes were lost.\nThe road is open."
    c = db.conn
    aid = c.execute("INSERT INTO articles(title, text, origin, date_source, added_at, "
                    "content_hash) VALUES ('Flood', ?, 'x', 'unknown', '2025-01-01', 'h')",
                    [text]).lastrowid
    c.execute("INSERT INTO articles_fts(rowid, title, text) VALUES (?, 'Flood', ?)", [aid, text])
    rng = np.random.default_rng(7)
    originals = []
    for pos, sent in enumerate(["Rescuers reached the village at dawn.", "Forty homes were lost.",
                                "The road is open."]):
        vec = rng.normal(size=384).astype(np.float32)
        vec /= np.linalg.norm(vec)
        originals.append(vec)
        sid = c.execute("INSERT INTO sentences(article_id, position, text, embedding) "
                        "VALUES (?, ?, ?, ?)", [aid, pos, sent, vec.tobytes()]).lastrowid
        c.execute("INSERT INTO sentences_fts(rowid, text) VALUES (?, ?)", [sid, sent])
    db.close()

    index = Index(path)
    got = index.sentences([aid])
    assert [s.text for s in got] == ["Rescuers reached the village at dawn.",
                                    "Forty homes were lost.", "The road is open."]
    for s, vec in zip(got, originals, strict=True):
        assert s.embedding is not None and s.embedding.dtype == np.float32
        assert float(s.embedding @ vec) / float(np.linalg.norm(s.embedding)) > 0.999
    assert index.text_sentence_ids("homes", [aid]) == {got[1].id}
    index.close()
    raw = sqlite_utils.Database(sqlite3.connect(path))
    assert raw.execute("SELECT COUNT(*) FROM sentences WHERE text != ''").fetchone()[0] == 0
    assert {len(b) for (b,) in raw.execute("SELECT embedding FROM sentences")} == {388}


def test_vector_codec_keeps_direction_and_none():
    rng = np.random.default_rng(1)
    for _ in range(50):
        v = rng.normal(size=384).astype(np.float32)
        back = vectors.decode(vectors.encode(v))
        assert back is not None and back.dtype == np.float32
        assert float(v @ back) / (np.linalg.norm(v) * np.linalg.norm(back)) > 0.999
        assert abs(float(np.linalg.norm(back)) - float(np.linalg.norm(v))) < 1e-4 * np.linalg.norm(v)
    assert vectors.encode(None) is None and vectors.decode(None) is None
    assert vectors.encode(np.zeros(384, np.float32)) is not None
    assert vectors.encode(np.array([np.nan] * 4, np.float32)) is None
    assert len(vectors.encode(np.ones(384, np.float32)) or b"") == 388
    blobs = [vectors.encode(rng.normal(size=384)), None, vectors.encode(rng.normal(size=384))]
    many = vectors.decode_many(blobs)
    assert many[1] is None
    for blob, got in zip(blobs, many, strict=True):
        if blob is not None:
            assert np.array_equal(got, vectors.decode(blob))


async def test_the_serving_scheduler_applies_the_retention_setting(seeded_services):
    from bot.scheduler import DigestScheduler, retention_job

    from tests.conftest import make_settings

    index = seeded_services.index
    services = dataclasses.replace(
        seeded_services, settings=make_settings(Path(index.path), retention_days=1))
    sched = DigestScheduler(services, {})
    sched.start(catch_up=False)
    try:
        assert sched.aps.get_job("retention") is not None
        await retention_job(sched.key)  # what the hourly job runs
    finally:
        sched.shutdown()
    articles = [a.id for a in index.articles_added_since(None)]
    assert len(index.sentences(articles)) == len(articles)  # the seeds are from 2025: leads only
