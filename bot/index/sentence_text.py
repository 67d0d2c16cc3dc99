"""Where a sentence's text lives: as (start, length) into its article's text.

Sentences are exact substrings of the article (see summarizer.sentences), so they
are stored as offsets and read with `substr`; a sentence that cannot be located
(none today) keeps its own text. `TEXT_SQL` is the one expression every reader uses;
the view `sentence_texts` gives FTS5 the same text as its external content.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from bot.index.backend import Backend

#: A sentence's text, for a query over `sentences s JOIN articles a ON a.id = s.article_id`.
TEXT_SQL = "CASE WHEN s.length IS NULL THEN s.text ELSE substr(a.text, s.start + 1, s.length) END"

#: What a reader selects after (id, article_id, position) to build a Sentence: own text,
#: start, length, publication time, vector.
SENTENCE_COLUMNS = "s.text, s.start, s.length, a.published, s.embedding"

VIEW_SQL = ("CREATE VIEW sentence_texts AS SELECT s.id AS id, s.article_id AS article_id, "
            f"s.position AS position, {TEXT_SQL} AS text "
            "FROM sentences s JOIN articles a ON a.id = s.article_id")


def offsets(text: str, sentences: Sequence[str]) -> list[tuple[int, int] | None]:
    """(start, length) of each sentence in `text`, searched in reading order; None when a
    sentence is not found verbatim (it is then stored as text)."""
    out: list[tuple[int, int] | None] = []
    cursor = 0
    for s in sentences:
        at = text.find(s, cursor)
        if at < 0:
            at = text.find(s)
        if at < 0 or not s:
            out.append(None)
            continue
        out.append((at, len(s)))
        cursor = at + len(s)
    return out


def article_texts(conn: sqlite3.Connection, article_ids: Iterable[int]) -> dict[int, str]:
    """{article id: text}, read in chunks under SQLite's parameter limit."""
    ids = sorted(article_ids)
    out: dict[int, str] = {}
    for at in range(0, len(ids), 500):
        chunk = ids[at:at + 500]
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(f"SELECT id, text FROM articles WHERE id IN ({marks})", chunk))
    return out


def _has_offsets(conn: sqlite3.Connection) -> bool:
    if getattr(conn, "backend", None) is Backend.POSTGRES:
        return True  # its schema starts where SQLite's step 7 ends
    return any(r[1] == "length" for r in conn.execute("PRAGMA table_info(sentences)"))


def article_sentences(conn: sqlite3.Connection, article_id: int,
                      before: int | None = None) -> list[tuple[int, str]]:
    """(id, text) of an article's sentences in reading order (the first `before` only).

    Also used by migration steps that ran before offsets existed, hence the check."""
    expr = TEXT_SQL if _has_offsets(conn) else "s.text"
    where = "" if before is None else f" AND s.position < {int(before)}"
    return [(r[0], r[1]) for r in conn.execute(
        f"SELECT s.id, {expr} FROM sentences s JOIN articles a ON a.id = s.article_id "
        f"WHERE s.article_id = ?{where} ORDER BY s.position", [article_id])]
