"""Turning a current database back into an older format, to test migrations on it."""

from __future__ import annotations


def undo_owners(conn) -> None:
    """Back to the format before the owners step (every row the base corpus's): no `ws`
    columns, counts and aliases keyed without an owner."""
    conn.execute("DROP INDEX idx_articles_ws")
    for table in ("articles", "article_sources", "entities", "events"):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN ws")
    for table, col, extra in (("entity_aliases", "alias", ", key"), ("entity_labels", "label", ""),
                              ("entity_roles", "role", "")):
        key_column = ", key TEXT" if extra else ""
        conn.execute(f"CREATE TABLE {table}_old (entity_id INTEGER REFERENCES entities(id), "
                     f"{col} TEXT{key_column}, count INTEGER, PRIMARY KEY (entity_id, {col}))")
        conn.execute(f"INSERT INTO {table}_old SELECT entity_id, {col}{extra}, SUM(count) "
                     f"FROM {table} GROUP BY entity_id, {col}")
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {table}_old RENAME TO {table}")
    conn.execute("CREATE INDEX idx_entity_aliases_key ON entity_aliases(key)")
    conn.execute("CREATE TABLE event_aliases_old (event_id INTEGER REFERENCES events(id), "
                 "alias TEXT, key TEXT, PRIMARY KEY (event_id, alias))")
    conn.execute("INSERT OR IGNORE INTO event_aliases_old SELECT event_id, alias, key "
                 "FROM event_aliases")
    conn.execute("DROP TABLE event_aliases")
    conn.execute("ALTER TABLE event_aliases_old RENAME TO event_aliases")
    conn.execute("CREATE INDEX idx_event_aliases_key ON event_aliases(key)")
    conn.execute("CREATE TABLE article_keys_old (key TEXT PRIMARY KEY, "
                 "article_id INTEGER REFERENCES articles(id))")
    conn.execute("INSERT OR IGNORE INTO article_keys_old SELECT key, article_id FROM article_keys")
    conn.execute("DROP TABLE article_keys")
    conn.execute("ALTER TABLE article_keys_old RENAME TO article_keys")


def undo_compact_format(conn) -> None:
    """Back to the format before schema step 7: sentence text in its row, float32 vectors,
    the FTS tables as step 2 made them (and so before every later step)."""
    import numpy as np

    from bot.index import vectors

    undo_owners(conn)

    conn.execute("UPDATE sentences SET text = (SELECT t.text FROM sentence_texts t "
                 "WHERE t.id = sentences.id)")
    conn.executemany("UPDATE sentences SET embedding = ? WHERE id = ?",
                     [(np.asarray(vectors.decode(b), np.float32).tobytes(), sid) for sid, b in
                      conn.execute("SELECT id, embedding FROM sentences WHERE embedding "
                                   "IS NOT NULL").fetchall()])
    for sql in ("DROP TABLE sentences_fts", "DROP VIEW sentence_texts",
                "ALTER TABLE sentences DROP COLUMN start", "ALTER TABLE sentences DROP COLUMN length",
                "ALTER TABLE articles DROP COLUMN pruned_at",
                "CREATE VIRTUAL TABLE sentences_fts USING fts5(text, content='sentences', "
                "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
                "INSERT INTO sentences_fts(sentences_fts) VALUES ('rebuild')"):
        conn.execute(sql)
