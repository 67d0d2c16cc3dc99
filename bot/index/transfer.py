"""`briefbot migrate --to postgresql://…`: copy a SQLite database into an empty PostgreSQL one.

Every component (index, feeds, digests, Slack installs) is copied table by table, in an
order that keeps foreign keys satisfied, `BATCH` rows per transaction, ids kept as they
are (so sentence ids, digest ids and the ids in `digest_told` still agree). The full-text
tables are rebuilt from the copied rows through the PostgreSQL dialect, since FTS5's
segments mean nothing to tsvector. Identity sequences then continue after the largest id.

Refuses a target that already holds briefbot rows, naming what it holds: a half-finished
copy is dropped and started again rather than merged into. The source is only read
(its schema is brought up to date first, as any briefbot command would).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.index.backend import DatabaseUrl
from bot.index.db import Fault, Step, StorageError, connect, migrate, transaction
from bot.index.dialect import POSTGRES
from bot.index.sentence_text import TEXT_SQL

#: Rows per copied batch (one transaction each on the target).
BATCH = 2000
#: Tables in an order where each row's foreign keys are already copied.
ORDER = ("articles", "article_sources", "article_keys", "minhash_bands", "sentences",
         "entities", "entity_aliases", "entity_labels", "entity_roles", "mentions", "events",
         "event_aliases", "event_mentions", "event_articles", "place_mentions", "speeches",
         "aboutness", "feeds", "feed_items", "feed_item_keys", "digest_subscriptions",
         "digest_log", "digest_told", "digest_parts", "slack_installations",
         "slack_oauth_states", "slack_channel_teams")
#: Not copied: bookkeeping each side keeps itself, and FTS5's own tables.
_SKIP_PREFIXES = ("sqlite_", "articles_fts", "sentences_fts", "article_leads_fts")
_SKIP = {"schema_versions"}

Progress = Callable[[str, int, int], None]


@dataclass
class TransferReport:
    """Rows copied per table, and the full-text documents rebuilt."""

    rows: dict[str, int] = field(default_factory=dict)
    fulltext: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"rows": self.rows, "fulltext": self.fulltext}


def components() -> list[tuple[str, Sequence[Step], Sequence[Step]]]:
    """Every component's (name, SQLite steps, PostgreSQL steps): what is copied."""
    from adapters.slack import installs, seen
    from bot import scopes
    from bot.digests import store as digests
    from bot.jobs import store as jobs
    from bot.feeds import store as feeds
    from bot.index import pg_schema, schema, vector_space

    return [(schema.COMPONENT, schema.STEPS, pg_schema.STEPS),
            ("feeds", feeds.STEPS, feeds.PG_STEPS),
            ("digests", digests.STEPS, digests.PG_STEPS),
            ("slack_installs", installs.STEPS, installs.PG_STEPS),
            (vector_space.COMPONENT, vector_space.STEPS, vector_space.PG_STEPS),
            (seen.COMPONENT, seen.STEPS, seen.PG_STEPS),
            (scopes.COMPONENT, scopes.STEPS, scopes.PG_STEPS),
            ("jobs", jobs.STEPS, jobs.PG_STEPS)]


def open_all(target: str | Path | DatabaseUrl) -> None:
    """Create (or bring up to date) every component's tables at `target`, through the
    migrations alone: no store is opened, no model loaded, no row written."""
    db = connect(target)
    try:
        for name, steps, pg_steps in components():
            migrate(db, name, steps, pg_steps)
    finally:
        db.close()


def transfer(source: str | Path, target: DatabaseUrl, *, batch: int = BATCH,
             progress: Progress | None = None) -> TransferReport:
    """Copy the SQLite database at `source` into the empty PostgreSQL database `target`."""
    if not Path(source).expanduser().is_file():
        raise StorageError(Fault.NO_FILE, f"no SQLite database at {source} to copy from")
    open_all(source)
    open_all(target)
    src, dst = connect(source).conn, connect(target).conn
    try:
        _refuse_non_empty(dst, target)
        report = TransferReport()
        tables = _tables(src, dst)
        for table in tables:
            report.rows[table] = _copy_table(src, dst, table, batch, progress)
        report.fulltext = _rebuild_fulltext(src, dst, batch, progress)
        for table in tables:  # generated ids go on after the copied ones (not text ids)
            if "id" in _pg_columns(dst, table) and dst.execute(
                    "SELECT pg_get_serial_sequence(?, 'id')", [table]).fetchone()[0]:
                dst.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
        dst.execute("ANALYZE")
        return report
    finally:
        src.close()
        dst.close()


def _refuse_non_empty(dst: Any, target: DatabaseUrl) -> None:
    held = [f"{n} {t}" for t in ("articles", "feeds", "digest_log", "digest_subscriptions",
                                 "slack_installations")
            if (n := dst.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])]
    if held:
        raise StorageError(Fault.FOREIGN, f"{target} is not empty (it holds {', '.join(held)}): "
                                          "migrate copies into an empty database; drop and "
                                          "create it again, or name another")


def _tables(src: Any, dst: Any) -> list[str]:
    names = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "ORDER BY rowid")]
    names = [n for n in names if n not in _SKIP and not n.startswith(_SKIP_PREFIXES)]
    on_target = {r[0] for r in dst.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    missing = [n for n in names if n not in on_target]
    if missing:
        raise StorageError(Fault.OUTDATED, f"the PostgreSQL schema has no table for "
                                           f"{', '.join(missing)}: this briefbot cannot copy them")
    known = [t for t in ORDER if t in names]
    return known + [n for n in names if n not in known]


def _pg_columns(dst: Any, table: str) -> list[str]:
    return [r[0] for r in dst.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position", [table])]


def _copy_table(src: Any, dst: Any, table: str, batch: int, progress: Progress | None) -> int:
    columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
    missing = [c for c in columns if c not in _pg_columns(dst, table)]
    if missing:
        raise StorageError(Fault.OUTDATED, f"the PostgreSQL table {table} has no column "
                                           f"{', '.join(missing)}: this briefbot cannot copy it")
    total = src.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    done, last = 0, None
    while True:
        # keyset pagination on SQLite's rowid: each batch is one index seek
        rows = src.execute(f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid "
                           "LIMIT ?", [-1 if last is None else last, batch]).fetchall()
        if not rows:
            break
        with transaction(dst):
            dst.executemany(insert, [r[1:] for r in rows])
        last, done = rows[-1][0], done + len(rows)
        if progress:
            progress(table, done, total)
    return done


def _rebuild_fulltext(src: Any, dst: Any, batch: int, progress: Progress | None) -> dict[str, int]:
    """The three full-text tables from the copied rows: what FTS5 indexed, as tsvectors."""
    queries = {
        "articles_fts": "SELECT id, title, text FROM articles WHERE id > ? ORDER BY id LIMIT ?",
        "sentences_fts": (f"SELECT s.id, {TEXT_SQL} FROM sentences s JOIN articles a "
                          "ON a.id = s.article_id WHERE s.id > ? ORDER BY s.id LIMIT ?"),
        "article_leads_fts": ("SELECT rowid, lead FROM article_leads_fts WHERE rowid > ? "
                              "ORDER BY rowid LIMIT ?"),
    }
    counts: dict[str, int] = {}
    for table, sql in queries.items():
        total = src.execute(f"SELECT COUNT(*) FROM ({sql.split(' WHERE ')[0]})").fetchone()[0]
        done, last = 0, -1
        while rows := src.execute(sql, [last, batch]).fetchall():
            with transaction(dst):
                POSTGRES.fts_add(dst, table, rows)
            last, done = rows[-1][0], done + len(rows)
            if progress:
                progress(table, done, total)
        counts[table] = done
    return counts
