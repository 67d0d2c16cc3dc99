"""PostgreSQL as a user meets it: `briefbot migrate --to`, the same answers afterwards, the
same words found on both backends, and one clear line when the server cannot be used.

Real SQLite files, a real PostgreSQL server on loopback (tests/pg_server.py), the fast
pair of models (the answers compared are whatever the models make of the seeds: equal on
both backends is the claim, not their quality, which test_commands_seeds checks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.index.backend import DatabaseUrl
from bot.index.db import StorageError
from bot.index.store import Index
from bot.ingest.model import Article
from conftest import ROOT

QUESTIONS = ("latest on Budapest summit", "who is Steve Witkoff", "timeline of the Alaska summit",
             "sources for Tomahawk missiles", "what did Zelensky say about Trump",
             "latst on Budapest summit in October 2025", "Gaza ceasefire")


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_migrate_copies_everything_and_the_same_questions_get_the_same_answers(
        tmp_path, postgres_url, fast_env, fast_encoder, monkeypatch, capsys):
    db = tmp_path / "briefbot.db"
    monkeypatch.chdir(ROOT)
    code, _, err = _cli(capsys, "--db", str(db), "ingest", "seeds")
    assert code == 0, err
    code, _, err = _cli(capsys, "--db", str(db), "subscribe", "slack", "C0123ABCD", "08:00",
                        "Europe/Kyiv", "topics:", "Budapest summit")
    assert code == 0, err

    code, out, err = _cli(capsys, "--db", str(db), "migrate", "--to", postgres_url, "--batch", "50")
    assert code == 0, err
    assert "articles: " in err and "sentences: " in err  # progress, table by table
    assert "set BRIEFBOT_DATABASE_URL" in out

    answers = {}
    for where in ("sqlite", "postgresql"):
        if where == "postgresql":
            monkeypatch.setenv("BRIEFBOT_DATABASE_URL", postgres_url)
        args = ["--db", str(db)] if where == "sqlite" else []
        answers[where] = []
        for q in QUESTIONS:
            code, out, err = _cli(capsys, *args, "ask", q, "--json")
            assert code == 0, err
            answers[where].append(json.loads(out))
        code, out, err = _cli(capsys, *args, "entities", "--json")
        answers[where].append(json.loads(out))
        code, out, err = _cli(capsys, *args, "subscriptions")
        assert code == 0 and "C0123ABCD" in out, err
        answers[where].append(out)
    assert answers["sqlite"] == answers["postgresql"]
    assert any(a["kind"] == "answer" for a in answers["postgresql"][:len(QUESTIONS)])

    sqlite_index = Index(db, encoder=fast_encoder)
    pg_index = Index(DatabaseUrl(postgres_url), encoder=fast_encoder)
    try:
        assert pg_index.article_count() == sqlite_index.article_count() > 5
        assert pg_index.stats() == sqlite_index.stats()
    finally:
        sqlite_index.close()
        pg_index.close()

    # a second copy into the same database is refused, naming what it holds
    monkeypatch.delenv("BRIEFBOT_DATABASE_URL")
    code, out, err = _cli(capsys, "--db", str(db), "migrate", "--to", postgres_url)
    assert code == 1 and "is not empty (it holds" in err and "articles" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unreachable_server_is_one_line_without_the_password(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", "postgresql://bob:s3cret@127.0.0.1:1/news")
    code, out, err = _cli(capsys, "ask", "latest on Budapest summit")
    assert code == 1
    assert err.startswith("briefbot: error: cannot connect to postgresql://bob@127.0.0.1:1/news")
    assert len(err.strip().splitlines()) == 1 and "s3cret" not in err + out
    Index(tmp_path / "x.db").close()
    code, _, err = _cli(capsys, "--db", str(tmp_path / "x.db"), "migrate", "--to",
                        "postgresql://bob:s3cret@127.0.0.1:1/news")
    assert code == 1 and "cannot connect" in err and "s3cret" not in err
    # --db names a SQLite file for one command, over the URL in the environment
    code, out, err = _cli(capsys, "--db", str(tmp_path / "x.db"), "ask", "latest on Budapest")
    assert code == 0 and "No coverage" in out, err


def test_a_database_of_another_program_is_refused(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StorageError, match="not a briefbot database.*invoices"):
        Index(DatabaseUrl(postgres_url))


def _story(title: str, text: str, n: int) -> Article:
    return Article(title, text, published=datetime(2025, 10, n, tzinfo=UTC),
                   origin=f"test.jsonl#{n}")


def test_the_same_words_are_found_on_both_backends(database, fast_encoder, blank_nlp):
    """Case and accents folded, words not stemmed, user syntax searched for, never run."""
    index = Index(database, encoder=fast_encoder, nlp=blank_nlp)
    try:
        zurich = index.add(_story("Talks resume in Zürich", "Negotiators met in Zürich on "
                                  "Monday. The talks on the grain corridor resumed after a "
                                  "pause of two weeks, officials said.", 1)).article_id
        lodz = index.add(_story("Floods in Łódź", "Rivers rose across Łódź province overnight. "
                                "Emergency crews evacuated three villages near the river, "
                                "and schools were closed.", 2)).article_id
        assert index.search("zurich") == index.search("ZÜRICH") == [zurich]
        assert index.search("lodz floods") == [lodz]
        assert index.search("talk") == []  # no stemming, as FTS5's unicode61
        # no article has both words: every word, then any word (OR is only a stopword here)
        assert sorted(index.search("talks OR floods")) == sorted([zurich, lodz])
        for hostile in ('"', 'NEAR(talks', "talks*", "-talks", "title:talks", "a' OR 1=1 --",
                        "%", "?", "\\", "(((", "&|!:*"):
            assert isinstance(index.search(hostile), list)
        topic = index.resolve_topic("grain corridor")
        assert topic.article_ids == [zurich]
        assert index.text_sentence_ids("grain corridor", [zurich, lodz])
    finally:
        index.close()


def test_two_writers_at_once_make_one_entity_not_two(database, fast_encoder, blank_nlp):
    """Write transactions are serialised on both backends (an advisory lock on PostgreSQL,
    as BEGIN IMMEDIATE on SQLite): two connections storing articles about a person nobody
    knew yet create that person once."""
    import threading

    Index(database, encoder=fast_encoder, nlp=blank_nlp).close()  # as a running bot has it
    writers = [Index(database, encoder=fast_encoder, nlp=blank_nlp) for _ in range(2)]
    barrier = threading.Barrier(2)
    stored: list[int] = []

    def write(w: int) -> None:
        barrier.wait()
        for n in range(4):
            day = 1 + w * 4 + n
            result = writers[w].add(_story(
                f"Report {day} from the capital", f"President Jane Roe opened session {day} of "
                f"the assembly on day {day}. Delegates from district {day} and region {w} "
                f"argued about budget line {day * 7} for hours.", day))
            stored.append(result.article_id)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        roe = [e for e in writers[0].entities() if e.name == "Jane Roe"]
        assert len(stored) == len(set(stored)) == 8
        assert len(roe) == 1 and sorted(roe[0].article_ids) == sorted(stored)
    finally:
        for w in writers:
            w.close()


def test_a_dropped_connection_fails_one_request_in_one_line_and_the_next_reconnects(
        postgres_url, fast_encoder, blank_nlp):
    """A server restart or an idle timeout must not need a bot restart."""
    import psycopg

    index = Index(DatabaseUrl(postgres_url), encoder=fast_encoder, nlp=blank_nlp)
    try:
        index.add(_story("Talks resume in Zürich", "Negotiators met in Zürich on Monday. "
                         "The talks resumed after a pause, officials said.", 1))
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with pytest.raises(StorageError) as err:
            index.article_count()
        assert str(err.value).startswith(f"the PostgreSQL server at {DatabaseUrl(postgres_url)}")
        assert "\n" not in str(err.value)
        assert index.article_count() == 1
        assert index.search("zurich")
    finally:
        index.close()


def test_a_role_that_may_only_read_answers_and_refuses_ingest_in_one_line(
        postgres_url, fast_encoder, blank_nlp):
    import psycopg

    url = DatabaseUrl(postgres_url)
    owner = Index(url, encoder=fast_encoder, nlp=blank_nlp)
    owner.add(_story("Talks resume in Zürich", "Negotiators met in Zürich on Monday. "
                     "The talks resumed after a pause, officials said.", 1))
    owner.close()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE ROLE reader LOGIN")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    reader_url = DatabaseUrl(postgres_url.replace("postgresql://postgres@",
                                                  "postgresql://reader:pw@"))
    reader = Index(reader_url, encoder=fast_encoder, nlp=blank_nlp)
    try:
        assert reader.search("zurich") and reader.article_count() == 1
        with pytest.raises(StorageError) as err:
            reader.add(_story("Floods in Łódź", "Rivers rose across Łódź province overnight, "
                              "and schools were closed.", 2))
        message = str(err.value)
        assert "permission denied" in message and "\n" not in message and ":pw@" not in message
        assert reader.article_count() == 1
    finally:
        reader.close()
