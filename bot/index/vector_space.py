"""Which encoder's vectors an index holds, so a switched encoder is refused, not silent.

Sentence vectors are only comparable with vectors of the same model. An index built with
MiniLM and then asked with BRIEFBOT_ENCODER=hashing (or another BRIEFBOT_EMBEDDING_MODEL)
would rank sentences by unrelated numbers and still answer, confidently wrong. The index
therefore records `Encoder.identity` when it is first opened for writing, and every later
open compares: a different identity is a StorageError naming both, before any answer or
ingest. A database from before this record adopts the encoder it is next opened with.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils

from bot.index.db import Fault, StorageError, transaction

COMPONENT = "vector_space"


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE vector_space (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "identity TEXT NOT NULL, recorded_at TEXT NOT NULL)")


def _pg_v1(db: sqlite_utils.Database) -> None:
    from bot.index.pg import ddl

    ddl(db, "CREATE TABLE vector_space (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "identity TEXT NOT NULL, recorded_at TEXT NOT NULL)")


STEPS = [_v1]
PG_STEPS = [_pg_v1]


def recorded(conn: sqlite3.Connection) -> str | None:
    """The identity this index's vectors were made with, or None before any was recorded."""
    try:
        row = conn.execute("SELECT identity FROM vector_space WHERE id = 1").fetchone()
    except (sqlite3.OperationalError, StorageError):  # read-only, from before this table
        return None
    return row[0] if row else None


def check(conn: sqlite3.Connection, identity: str, where: str, *, writable: bool) -> None:
    """Record `identity` if none is recorded yet (and we may write); refuse a different one."""
    stored = recorded(conn)
    if stored is None and writable:
        with transaction(conn):
            conn.execute("INSERT INTO vector_space(id, identity, recorded_at) VALUES (1, ?, ?) "
                         "ON CONFLICT(id) DO NOTHING",
                         [identity, datetime.now(UTC).isoformat(timespec="seconds")])
        stored = recorded(conn)
    if stored is not None and stored != identity:
        raise StorageError(Fault.ENCODER, (
            f"{where} holds sentence vectors made by the encoder {stored}, but this process "
            f"uses {identity}: answers would be ranked by vectors that cannot be compared. "
            "Set BRIEFBOT_EMBEDDING_MODEL and BRIEFBOT_ENCODER back to what built it, or "
            "ingest into a new database"))
