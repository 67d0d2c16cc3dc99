"""Opening the SQLite file and migrating its schema, one component at a time.

Each component (the index, digests, feeds) owns an ordered list of migration
steps; `migrate` applies the ones a database has not seen yet, each in its own
transaction, and records them in `schema_versions`. A killed process therefore
leaves the schema at a whole step, never half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlite_utils

Step = Callable[[sqlite_utils.Database], None]


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating folders as needed) with WAL, foreign keys and a busy timeout."""
    if str(path) != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30,
                           isolation_level=None)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return db


def migrate(db: sqlite_utils.Database, component: str, steps: Sequence[Step]) -> int:
    """Apply the steps of `component` this database lacks; return its new version."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_versions ("
               "component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_versions WHERE component = ?",
                     [component]).fetchone()
    version = row[0] if row else 0
    for number, step in enumerate(steps[version:], start=version + 1):
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(db)
            conn.execute("INSERT INTO schema_versions(component, version) VALUES (?, ?) "
                         "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                         [component, number])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = number
    return version
