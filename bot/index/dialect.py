"""What cannot be one SQL for both backends, in one place: full-text search and space upkeep.

Everything else the stores run is portable SQL (PostgreSQL gets it through
`bot.index.pg`). Here each backend implements the same few operations:

- full text: add and drop a document of `articles_fts` (title, text), `sentences_fts`
  (text) or `article_leads_fts` (lead), and find row ids matching an expression,
  optionally inside a row-id range, optionally ranked. Expressions are written once,
  in FTS5's syntax, by bot.index.queries (quoted words, `*` prefixes, AND/OR, brackets,
  `title : (...)`); PostgreSQL translates that small subset into a tsquery.
- upkeep: merging FTS segments, giving free pages back, compacting, the size of the
  database, and a token that changes whenever the data may have (for caches).

Matching is the same on both: SQLite's FTS5 tokenizer (unicode61, remove_diacritics 2)
folds case and accents and splits on anything not a letter or digit; on PostgreSQL the
text is folded and split the same way in Python (`fts_words`, bot.index.text.fold)
before `to_tsvector('simple', ...)`, which then neither stems nor drops stopwords, so the
same words match. Ranking differs: FTS5's bm25 with the title weighted 5 against
PostgreSQL's ts_rank_cd with title weight 1.0 and text 0.2, normalised by length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from bot.index.backend import Backend
from bot.index.text import fold

#: Columns of each full-text table, in the order callers give them.
FTS_COLUMNS = {"articles_fts": ("title", "text"), "sentences_fts": ("text",),
               "article_leads_fts": ("lead",)}
#: FTS5 tables with external content: a row is deleted by giving the text it was indexed with.
_EXTERNAL = {"articles_fts", "sentences_fts"}
#: Most characters of an article's folded text PostgreSQL indexes: a tsvector is limited
#: to 1 MB, which a page of several megabytes would overflow (FTS5 has no such limit).
PG_FTS_CHARS = 300_000


#: A condition on the matching article `a` and its parameters (Scope.sql("a.ws")), or None.
Owned = tuple[str, Sequence[Any]] | None


class Dialect(Protocol):
    backend: Backend
    #: Whether `SELECT ... FOR UPDATE SKIP LOCKED` exists: takers of queued work (jobs)
    #: then pass over each other's rows instead of queueing on one write lock.
    row_locks: bool

    def fts_add(self, conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Index documents: each row is (rowid, *columns of FTS_COLUMNS[table])."""

    def fts_drop(self, conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Unindex documents: each row is (rowid, *the columns they were indexed with)."""

    def fts_ids(self, conn: Any, table: str, expr: str, *, lo: int | None = None,
                hi: int | None = None, ranked: bool = False,
                limit: int | None = None, owned: Owned = None) -> list[int]:
        """Row ids matching `expr` (in [lo, hi] when given); best first when `ranked`.
        `owned` (articles_fts only): a condition on the article `a` and its parameters,
        e.g. Scope.sql("a.ws"), so only articles in a scope are found."""

    def fts_count(self, conn: Any, table: str, expr: str, owned: Owned = None) -> int:
        """How many rows match `expr` (of articles meeting `owned`, when given)."""

    def fts_floor(self, conn: Any, table: str, expr: str, newest: int,
                  owned: Owned = None) -> int | None:
        """The smallest row id among the `newest` highest-numbered matches (None: no match)."""

    def merge_fts(self, conn: Any, pages: int) -> None:
        """Bounded merge work after deletions (inside the caller's transaction)."""

    def optimize_fts(self, conn: Any) -> None:
        """Merge the full-text indexes completely (inside the caller's transaction)."""

    def reclaim(self, conn: Any, max_pages: int) -> int:
        """Give free space back to the file system; the bytes given."""

    def size_bytes(self, conn: Any) -> int:
        """What the database takes on disk."""

    def compact(self, conn: Any) -> bool:
        """Rewrite the database compactly, outside any transaction; True if it rewrote it."""

    def data_state(self, conn: Any) -> object:
        """A value that changes whenever any process may have changed the data."""


# --- SQLite: FTS5 and pragmas ----------------------------------------------------------------

class SqliteDialect:
    backend = Backend.SQLITE
    row_locks = False

    def fts_add(self, conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        cols = FTS_COLUMNS[table]
        conn.executemany(f"INSERT INTO {table}(rowid, {', '.join(cols)}) "
                         f"VALUES (?{', ?' * len(cols)})", rows)

    def fts_drop(self, conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        cols = FTS_COLUMNS[table]
        if table in _EXTERNAL:
            conn.executemany(f"INSERT INTO {table}({table}, rowid, {', '.join(cols)}) "
                             f"VALUES ('delete', ?{', ?' * len(cols)})", rows)
        else:
            conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(r[0],) for r in rows])

    def _match(self, table: str, expr: str, owned: Owned) -> tuple[str, list[Any]]:
        """FROM ... WHERE of the rows matching `expr`, joined to their article if `owned`."""
        if owned is None:
            return f"FROM {table} WHERE {table} MATCH ?", [expr]
        cond, params = owned
        return (f"FROM {table} JOIN articles a ON a.id = {table}.rowid "
                f"WHERE {table} MATCH ? AND {cond}", [expr, *params])

    def fts_ids(self, conn: Any, table: str, expr: str, *, lo: int | None = None,
                hi: int | None = None, ranked: bool = False,
                limit: int | None = None, owned: Owned = None) -> list[int]:
        where, args = self._match(table, expr, owned)
        sql = f"SELECT {table}.rowid {where}"
        if lo is not None:
            sql, args = sql + f" AND {table}.rowid >= ?", [*args, lo]
        if hi is not None:
            sql, args = sql + f" AND {table}.rowid <= ?", [*args, hi]
        if ranked:
            weights = ", 5.0, 1.0" if table == "articles_fts" else ""
            sql += f" ORDER BY bm25({table}{weights}), {table}.rowid DESC"
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, int(limit)]
        return [r[0] for r in conn.execute(sql, args)]

    def fts_count(self, conn: Any, table: str, expr: str, owned: Owned = None) -> int:
        where, args = self._match(table, expr, owned)
        return int(conn.execute(f"SELECT COUNT(*) {where}", args).fetchone()[0])

    def fts_floor(self, conn: Any, table: str, expr: str, newest: int,
                  owned: Owned = None) -> int | None:
        # FTS5 walks rowids down and stops after `newest`: cheap however common the word
        where, args = self._match(table, expr, owned)
        row = conn.execute(f"SELECT MIN(r) FROM (SELECT {table}.rowid AS r {where} "
                           f"ORDER BY {table}.rowid DESC LIMIT ?)",
                           [*args, int(newest)]).fetchone()
        return row[0] if row else None

    def merge_fts(self, conn: Any, pages: int) -> None:
        for fts in ("articles_fts", "sentences_fts"):
            conn.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('merge', ?)", [-int(pages)])

    def optimize_fts(self, conn: Any) -> None:
        for fts in FTS_COLUMNS:
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")

    def reclaim(self, conn: Any, max_pages: int) -> int:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        before = conn.execute("PRAGMA freelist_count").fetchone()[0]
        if not before or conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            return 0
        left = before
        while left and before - left < max_pages:
            # Python's sqlite3 steps this pragma once, and each step frees one page
            conn.execute(f"PRAGMA incremental_vacuum({int(max_pages - (before - left))})")
            now = conn.execute("PRAGMA freelist_count").fetchone()[0]
            if now >= left:
                break
            left = now
        return int((before - left) * page)

    def size_bytes(self, conn: Any) -> int:
        return int(conn.execute("PRAGMA page_count").fetchone()[0]
                   * conn.execute("PRAGMA page_size").fetchone()[0])

    def compact(self, conn: Any) -> bool:
        vacuumed = conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2
        if vacuumed:
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("VACUUM")
        else:
            while self.reclaim(conn, 1024 * 16):
                pass
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return vacuumed

    def data_state(self, conn: Any) -> object:
        return (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)


# --- PostgreSQL: tsvector columns with GIN indexes -------------------------------------------

def fts_words(text: str | None) -> str:
    """Text as FTS5's unicode61 tokenizer sees it: folded words separated by spaces."""
    return " ".join(re.findall(r"[^\W_]+", fold(text or "")))


_EXPR_TOKEN = re.compile(r'\s*(?:(title\s*:)|(\()|(\))|\b(AND|OR)\b|"((?:[^"]|"")*)"(\*?))')


def tsquery(expr: str) -> str:
    """The tsquery (for `to_tsquery('simple', ...)`) of an FTS5 expression of the subset
    bot.index.queries writes: "quoted" words with an optional * prefix mark, AND, OR,
    brackets, and `title : (...)`, which restricts its terms to the title (weight A)."""
    out: list[str] = []
    weight = ""
    depth_of_title: int | None = None
    depth = 0
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _EXPR_TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unsupported full-text expression at {expr[pos:pos + 20]!r}")
        pos = m.end()
        title, opened, closed, op, word, star = m.groups()
        if title:
            weight, depth_of_title = "A", depth
        elif opened:
            depth += 1
            out.append("(")
        elif closed:
            depth -= 1
            out.append(")")
            if depth_of_title is not None and depth == depth_of_title:
                weight, depth_of_title = "", None
        elif op:
            out.append(" & " if op == "AND" else " | ")
        else:
            pieces = fts_words(word.replace('""', '"')).split()
            if not pieces:
                out.append("'__nothing__'")  # an empty phrase matches nothing
                continue
            terms = [f"'{p}'" + (":" + weight if weight else "") for p in pieces]
            if star:
                terms[-1] = f"'{pieces[-1]}':*{weight}"
            out.append(terms[0] if len(terms) == 1 else "(" + " <-> ".join(terms) + ")")
    return "".join(out)


class PostgresDialect:
    backend = Backend.POSTGRES
    row_locks = True

    _DOC = {"articles_fts": "setweight(to_tsvector('simple', ?), 'A') || "
                            "setweight(to_tsvector('simple', ?), 'D')",
            "sentences_fts": "to_tsvector('simple', ?)",
            "article_leads_fts": "to_tsvector('simple', ?)"}

    def fts_add(self, conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        limit = PG_FTS_CHARS if table == "articles_fts" else None
        conn.executemany(f"INSERT INTO {table}(rowid, doc) VALUES (?, {self._DOC[table]}) "
                         "ON CONFLICT (rowid) DO UPDATE SET doc = excluded.doc",
                         [(r[0], *(fts_words(c)[:limit] for c in r[1:])) for r in rows])

    def fts_drop(self, conn: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
        conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(r[0],) for r in rows])

    @staticmethod
    def _owned(table: str, owned: Owned) -> tuple[str, str, list[Any]]:
        """(join, condition, parameters) keeping the matches of articles meeting `owned`."""
        if owned is None:
            return "", "", []
        cond, params = owned
        return f" JOIN articles a ON a.id = {table}.rowid", f" AND {cond}", list(params)

    def fts_ids(self, conn: Any, table: str, expr: str, *, lo: int | None = None,
                hi: int | None = None, ranked: bool = False,
                limit: int | None = None, owned: Owned = None) -> list[int]:
        join, cond, params = self._owned(table, owned)
        sql = (f"SELECT {table}.rowid FROM to_tsquery('simple', ?) q, {table}{join} "
               f"WHERE doc @@ q{cond}")
        args: list[Any] = [tsquery(expr), *params]
        if lo is not None:
            sql, args = sql + f" AND {table}.rowid >= ?", [*args, lo]
        if hi is not None:
            sql, args = sql + f" AND {table}.rowid <= ?", [*args, hi]
        if ranked:
            sql += (" ORDER BY ts_rank_cd('{0.2, 0.2, 0.2, 1.0}', doc, q, 1) DESC, "
                    f"{table}.rowid DESC")
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, int(limit)]
        return [r[0] for r in conn.execute(sql, args)]

    def fts_count(self, conn: Any, table: str, expr: str, owned: Owned = None) -> int:
        join, cond, params = self._owned(table, owned)
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}{join} "
                                f"WHERE doc @@ to_tsquery('simple', ?){cond}",
                                [tsquery(expr), *params]).fetchone()[0])

    def fts_floor(self, conn: Any, table: str, expr: str, newest: int,
                  owned: Owned = None) -> int | None:
        join, cond, params = self._owned(table, owned)
        row = conn.execute(f"SELECT MIN(r) FROM (SELECT {table}.rowid AS r FROM {table}{join} "
                           f"WHERE doc @@ to_tsquery('simple', ?){cond} "
                           f"ORDER BY {table}.rowid DESC LIMIT ?) t",
                           [tsquery(expr), *params, int(newest)]).fetchone()
        return row[0] if row else None

    def merge_fts(self, conn: Any, pages: int) -> None:
        return None  # GIN's pending list is merged by autovacuum

    def optimize_fts(self, conn: Any) -> None:
        return None

    def reclaim(self, conn: Any, max_pages: int) -> int:
        return 0  # autovacuum makes dead rows' space reusable; the server owns the files

    def size_bytes(self, conn: Any) -> int:
        return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    def compact(self, conn: Any) -> bool:
        conn.execute("VACUUM (ANALYZE)")  # reusable space and fresh planner statistics
        return False

    def data_state(self, conn: Any) -> object:
        # ids only grow, and each of these indexed maxima is one index probe
        return conn.execute("SELECT (SELECT MAX(id) FROM mentions), (SELECT MAX(id) FROM articles), "
                            "(SELECT MAX(id) FROM entities)").fetchone()


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def dialect(conn: Any) -> Dialect:
    """The dialect of an open connection (sqlite3 or bot.index.pg)."""
    return POSTGRES if getattr(conn, "backend", None) is Backend.POSTGRES else SQLITE
