"""Turning a current database back into an older format, to test migrations on it."""

from __future__ import annotations


def undo_compact_format(conn) -> None:
    """Back to the format before schema step 7: sentence text in its row, float32 vectors,
    the FTS tables as step 2 made them."""
    import numpy as np

    from bot.index import vectors

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
