"""Retention: old articles give back their text, sentences and vectors, not their facts.

An article published (else added) before the cutoff keeps its metadata (title, url,
publisher, dates, sources), its mention, event and aboutness rows (so `who`, `timeline`,
`sources` and the digests still count and list it) and ONE sentence: its lead, with its
vector, which is what a timeline cites for it. Everything else of it goes: the other
sentences and their full-text rows, the body text (articles.text becomes the lead) and
its near-duplicate bands (with no text left there is nothing to compare). Mentions that
pointed at a dropped sentence keep their article but lose the sentence.

The space comes back incrementally (`auto_vacuum=INCREMENTAL`), `RECLAIM_PAGES` pages
per step, so no step holds the write lock for long.
"""

from __future__ import annotations

import sqlite3
from bot.index.dialect import dialect
from bot.index.sentence_text import TEXT_SQL

#: Free pages given back to the file system per incremental step (4 KiB each).
RECLAIM_PAGES = 1024
#: FTS5 merge work per retention batch (pages written; negative: merge every level).
MERGE_PAGES = 256


def due(conn: sqlite3.Connection, cutoff: str, limit: int) -> list[int]:
    """Up to `limit` unpruned articles dated (published, else added) before `cutoff`."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM articles WHERE pruned_at IS NULL AND COALESCE(published, added_at) < ? "
        "ORDER BY id LIMIT ?", [cutoff, int(limit)])]


def prune_article(conn: sqlite3.Connection, article_id: int, now: str) -> int:
    """Drop one article's body; returns the sentences dropped. Runs in the caller's transaction."""
    row = conn.execute("SELECT title, text FROM articles WHERE id = ?", [article_id]).fetchone()
    if row is None:
        return 0
    title, old_text = row
    sentences = conn.execute(
        f"SELECT s.id, {TEXT_SQL} FROM sentences s JOIN articles a ON a.id = s.article_id "
        "WHERE s.article_id = ? ORDER BY s.position", [article_id]).fetchall()
    lead = sentences[0] if sentences else None
    dropped = sentences[1:]
    ids = [(sid,) for sid, _ in dropped]
    fts = dialect(conn)
    fts.fts_drop(conn, "sentences_fts", dropped)
    conn.executemany("DELETE FROM speeches WHERE sentence_id = ?", ids)
    for table in ("mentions", "event_mentions", "place_mentions"):
        conn.executemany(f"UPDATE {table} SET sentence_id = NULL WHERE sentence_id = ?", ids)
    conn.executemany("DELETE FROM sentences WHERE id = ?", ids)
    new_text = lead[1] if lead else ""
    fts.fts_drop(conn, "articles_fts", [(article_id, title, old_text)])
    conn.execute("UPDATE articles SET text = ?, pruned_at = ? WHERE id = ?",
                 [new_text, now, article_id])
    fts.fts_add(conn, "articles_fts", [(article_id, title, new_text)])
    if lead:  # the lead is now the whole text: same words, so its FTS row stays valid
        conn.execute("UPDATE sentences SET text = '', start = 0, length = ? WHERE id = ?",
                     [len(new_text), lead[0]])
    conn.execute("DELETE FROM minhash_bands WHERE article_id = ?", [article_id])
    return len(dropped)


def merge_fts(conn: sqlite3.Connection, pages: int = MERGE_PAGES) -> None:
    """Bounded FTS5 merge work: deleted rows leave tombstones that free their space only
    when segments merge. Runs in the caller's transaction."""
    dialect(conn).merge_fts(conn, pages)


def reclaim(conn: sqlite3.Connection, max_pages: int = RECLAIM_PAGES) -> int:
    """Give up to `max_pages` free pages back to the file system; returns the bytes.

    Only for files in auto_vacuum=INCREMENTAL (new files are; `Index.maintain` converts
    older ones with one VACUUM). Runs outside any transaction, as a short write of its own."""
    return dialect(conn).reclaim(conn, max_pages)
