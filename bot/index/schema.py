"""The index's tables, as ordered migration steps (see bot.index.db.migrate).

Never edit a released step: append a new one. Each step runs in its own
transaction, so reopening a database applies only what it lacks.
"""

from __future__ import annotations

import sqlite_utils

from bot.index import speakers, vectors
from bot.index.sentence_text import VIEW_SQL, offsets

COMPONENT = "index"


def _v1_tables(db: sqlite_utils.Database) -> None:
    db.table("articles").create({
        "id": int, "title": str, "text": str, "publisher": str, "published": str, "url": str,
        "origin": str, "date_source": str, "added_at": str, "content_hash": str,
    }, pk="id", not_null={"title", "text", "origin", "date_source", "added_at", "content_hash"})
    db.table("articles").create_index(["content_hash"])
    db.table("articles").create_index(["added_at"])
    db.table("articles").create_index(["published"])

    db.table("article_sources").create({
        "id": int, "article_id": int, "publisher": str, "url": str, "origin": str, "title": str,
        "added_at": str,
    }, pk="id", foreign_keys=[("article_id", "articles", "id")], not_null={"article_id"})
    db.table("article_sources").create_index(["article_id"])

    db.table("article_keys").create({"key": str, "article_id": int}, pk="key",
                              foreign_keys=[("article_id", "articles", "id")])

    # LSH buckets of each article's MinHash signature: one row per band.
    db.table("minhash_bands").create({"band": int, "bucket": int, "article_id": int},
                               foreign_keys=[("article_id", "articles", "id")])
    db.table("minhash_bands").create_index(["band", "bucket"])

    db.table("sentences").create({
        "id": int, "article_id": int, "position": int, "text": str, "embedding": bytes,
    }, pk="id", foreign_keys=[("article_id", "articles", "id")], not_null={"article_id", "text"})
    db.table("sentences").create_index(["article_id", "position"], unique=True)

    db.table("entities").create({
        "id": int, "name": str, "type": str, "key": str, "surname": str,
    }, pk="id", not_null={"name", "type", "key"})
    db.table("entities").create_index(["key"])
    db.table("entities").create_index(["surname"])

    db.table("entity_aliases").create({"entity_id": int, "alias": str, "key": str, "count": int},
                                pk=("entity_id", "alias"),
                                foreign_keys=[("entity_id", "entities", "id")])
    db.table("entity_aliases").create_index(["key"])

    db.table("entity_labels").create({"entity_id": int, "label": str, "count": int},
                               pk=("entity_id", "label"),
                               foreign_keys=[("entity_id", "entities", "id")])

    db.table("entity_roles").create({"entity_id": int, "role": str, "count": int},
                              pk=("entity_id", "role"),
                              foreign_keys=[("entity_id", "entities", "id")])

    db.table("mentions").create({
        "id": int, "entity_id": int, "article_id": int, "sentence_id": int, "surface": str,
    }, pk="id", foreign_keys=[("entity_id", "entities", "id"), ("article_id", "articles", "id"),
                              ("sentence_id", "sentences", "id")])
    db.table("mentions").create_index(["entity_id", "article_id"])
    db.table("mentions").create_index(["article_id"])
    db.table("mentions").create_index(["sentence_id"])

    db.table("events").create({
        "id": int, "name": str, "kind": str, "place": str, "key": str, "region": str,
        "first_seen": str, "last_seen": str,
    }, pk="id", not_null={"name", "kind", "key"})
    db.table("events").create_index(["key"])

    db.table("event_aliases").create({"event_id": int, "alias": str, "key": str},
                               pk=("event_id", "alias"),
                               foreign_keys=[("event_id", "events", "id")])
    db.table("event_aliases").create_index(["key"])

    # One row per phrase that named the event: names and places are recounted from these.
    db.table("event_mentions").create({
        "id": int, "event_id": int, "article_id": int, "sentence_id": int, "kind": str,
        "place": str, "place_kind": str, "phrase": str,
    }, pk="id", foreign_keys=[("event_id", "events", "id"), ("article_id", "articles", "id")])
    db.table("event_mentions").create_index(["event_id"])

    db.table("event_articles").create({"event_id": int, "article_id": int, "mentions": int},
                                pk=("event_id", "article_id"),
                                foreign_keys=[("event_id", "events", "id"),
                                              ("article_id", "articles", "id")])
    db.table("event_articles").create_index(["article_id"])


def _v1_fts(db: sqlite_utils.Database) -> None:
    # External-content FTS5 tables, filled by the writer in the same transaction as the rows.
    db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5("
               "title, text, content='articles', content_rowid='id', "
               "tokenize='unicode61 remove_diacritics 2')")
    db.execute("CREATE VIRTUAL TABLE sentences_fts USING fts5("
               "text, content='sentences', content_rowid='id', "
               "tokenize='unicode61 remove_diacritics 2')")


def _v3_name_skeletons(db: sqlite_utils.Database) -> None:
    # Spelling-blind person keys so "Moammar Gadhafi" meets "Muammar Gaddafi".
    db.execute("ALTER TABLE entities ADD COLUMN skeleton TEXT")
    db.table("entities").create_index(["skeleton"])


def _v4_place_mentions(db: sqlite_utils.Database) -> None:
    # Weak event evidence ("Trump went to Alaska with Putin"), kept so that an event first
    # named by a later article can still be linked to the earlier ones.
    db.table("place_mentions").create({
        "id": int, "article_id": int, "sentence_id": int, "place": str, "place_kind": str,
        "region": str, "phrase": str,
    }, pk="id", foreign_keys=[("article_id", "articles", "id")])
    db.table("place_mentions").create_index(["region"])


def _v6_aboutness(db: sqlite_utils.Database) -> None:
    # What each article is about (per entity and event: in the headline, in the lead, share
    # of its sentences), decided at ingest; the lead's text for free-text topics. Existing
    # databases are backfilled here, in the step's own transaction.
    from bot.index.aboutness import refresh_article

    db.table("aboutness").create({
        "article_id": int, "kind": str, "target_id": int, "in_title": int, "in_lead": int,
        "sentences": int, "share": float, "prominence": float, "about": int,
    }, pk=("kind", "target_id", "article_id"), foreign_keys=[("article_id", "articles", "id")],
        not_null={"in_title", "in_lead", "sentences", "share", "prominence", "about"})
    db.table("aboutness").create_index(["article_id"])
    db.execute("CREATE VIRTUAL TABLE article_leads_fts USING fts5("
               "lead, tokenize='unicode61 remove_diacritics 2')")
    for (article_id,) in db.execute("SELECT id FROM articles ORDER BY id").fetchall():
        refresh_article(db.conn, article_id)


def _v7_compact(db: sqlite_utils.Database) -> None:
    # Each text stored once: a sentence becomes (start, length) into its article's text,
    # read through the `sentence_texts` view, which is also the external content of a
    # sentences_fts without positions (only "which sentences match" is ever asked).
    # articles_fts keeps step 2's full detail: without positions FTS5's bm25 re-reads and
    # re-tokenises each matching article's text, and a ranked search over 35,743 articles
    # took a median 65 ms instead of 8.6 ms (bench/scale.py), for 4.6% less file.
    # Vectors become int8 (bot.index.vectors). `pruned_at` marks articles whose text and
    # sentences retention has dropped. Existing rows are converted here, article by article.
    c = db.conn
    c.execute("ALTER TABLE sentences ADD COLUMN start INTEGER")
    c.execute("ALTER TABLE sentences ADD COLUMN length INTEGER")
    c.execute("ALTER TABLE articles ADD COLUMN pruned_at TEXT")
    c.execute("DROP TABLE sentences_fts")
    for (article_id,) in c.execute("SELECT id FROM articles ORDER BY id").fetchall():
        text = c.execute("SELECT text FROM articles WHERE id = ?", [article_id]).fetchone()[0]
        rows = c.execute("SELECT id, text, embedding FROM sentences WHERE article_id = ? "
                         "ORDER BY position", [article_id]).fetchall()
        spans = offsets(text, [r[1] for r in rows])
        c.executemany("UPDATE sentences SET start = ?, length = ?, text = ?, embedding = ? "
                      "WHERE id = ?",
                      [(span[0] if span else None, span[1] if span else None,
                        "" if span else stext,
                        vectors.encode(vectors.decode_float32(emb)) if emb else None, sid)
                       for (sid, stext, emb), span in zip(rows, spans)])
    c.execute(VIEW_SQL)
    c.execute("CREATE VIRTUAL TABLE sentences_fts USING fts5("
              "text, content='sentence_texts', content_rowid='id', detail=none, "
              "tokenize='unicode61 remove_diacritics 2')")
    c.execute("INSERT INTO sentences_fts(sentences_fts) VALUES ('rebuild')")


#: The count tables keyed by owner in step 9: (table, its own column, extra columns).
_OWNED_COUNTS = (("entity_aliases", "entity_id", "alias", ("key",)),
                 ("entity_labels", "entity_id", "label", ()),
                 ("entity_roles", "entity_id", "role", ()))


def _v9_owners(db: sqlite_utils.Database) -> None:
    # Workspaces kept apart (issue 12): every article, source, entity and event belongs to
    # an owner ('' the operator's base corpus, else "discord:<guild>" / "slack:<team>"), and
    # the per-entity counts and per-event aliases are kept per owner, so one workspace's
    # articles never change what another sees. Existing rows become base. SQLite cannot
    # alter a primary key: those tables are created anew, copied, dropped and renamed.
    c = db.conn
    for table in ("articles", "article_sources", "entities", "events"):
        c.execute(f"ALTER TABLE {table} ADD COLUMN ws TEXT NOT NULL DEFAULT ''")
    # ws is the last column, after the text: checking an owner from the row reads the whole
    # text. The index answers "is article N in scope" alone; queries that a date or hash
    # index must drive keep it out (Scope.sql(by_index=False)).
    c.execute("CREATE INDEX idx_articles_ws ON articles(ws, id)")
    for table, owner, col, extra in _OWNED_COUNTS:
        parent = "entities"
        more = "".join(f", {x} TEXT" for x in extra)
        c.execute(f"CREATE TABLE {table}_v8 ({owner} INTEGER NOT NULL REFERENCES {parent}(id), "
                  f"ws TEXT NOT NULL DEFAULT '', {col} TEXT NOT NULL{more}, "
                  f"count INTEGER NOT NULL, PRIMARY KEY ({owner}, ws, {col}))")
        cols = ", ".join([owner, col, *extra, "count"])
        c.execute(f"INSERT INTO {table}_v8({cols}) SELECT {cols} FROM {table}")
        c.execute(f"DROP TABLE {table}")
        c.execute(f"ALTER TABLE {table}_v8 RENAME TO {table}")
    c.execute("CREATE INDEX idx_entity_aliases_key ON entity_aliases(key, ws)")
    c.execute("CREATE TABLE event_aliases_v8 (event_id INTEGER NOT NULL REFERENCES events(id), "
              "ws TEXT NOT NULL DEFAULT '', alias TEXT NOT NULL, key TEXT, "
              "PRIMARY KEY (event_id, ws, alias))")
    c.execute("INSERT INTO event_aliases_v8(event_id, alias, key) "
              "SELECT event_id, alias, key FROM event_aliases")
    c.execute("DROP TABLE event_aliases")
    c.execute("ALTER TABLE event_aliases_v8 RENAME TO event_aliases")
    c.execute("CREATE INDEX idx_event_aliases_key ON event_aliases(key, ws)")
    # a key names one article per owner: B's feed item must not hide A's copy of it
    c.execute("CREATE TABLE article_keys_v8 (key TEXT NOT NULL, ws TEXT NOT NULL DEFAULT '', "
              "article_id INTEGER REFERENCES articles(id), PRIMARY KEY (key, ws))")
    c.execute("INSERT INTO article_keys_v8(key, article_id) SELECT key, article_id "
              "FROM article_keys")
    c.execute("DROP TABLE article_keys")
    c.execute("ALTER TABLE article_keys_v8 RENAME TO article_keys")


STEPS = [_v1_tables, _v1_fts, _v3_name_skeletons, _v4_place_mentions,
         speakers.create_and_backfill, _v6_aboutness, _v7_compact, speakers.refind_all,
         _v9_owners]
