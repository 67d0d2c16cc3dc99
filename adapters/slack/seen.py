"""Which Slack events were already answered, in briefbot's database, so every process knows.

Slack re-sends an event it thinks was not acknowledged in time (X-Slack-Retry-Num), and a
message that both DMs and @mentions the bot arrives twice under different event ids but
one client_msg_id. In HTTP mode behind a load balancer, the retry may reach another
`serve` process than the original did; in Socket Mode, another process's connection. A
set in one process's memory would answer those twice, so the ids live in the shared
database: the first process to insert an id answers, every other one acknowledges and
stays silent. Ids are forgotten after `SEEN_TTL_SECONDS` (Slack stops retrying long
before), a few at a time as new ones arrive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from bot.index.backend import DatabaseUrl
from bot.index.db import connect, migrate, transaction

COMPONENT = "slack_events"
#: How long an answered event id is remembered (Slack retries for about 5 minutes).
SEEN_TTL_SECONDS = 15 * 60
#: Expired ids dropped per new event, so forgetting never costs one request much.
FORGET_BATCH = 100


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE slack_seen_events (id TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
    db.execute("CREATE INDEX slack_seen_events_age ON slack_seen_events(seen_at)")


def _pg_v1(db: sqlite_utils.Database) -> None:
    from bot.index.pg import ddl

    ddl(db, "CREATE TABLE slack_seen_events (id TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX slack_seen_events_age ON slack_seen_events(seen_at)")


STEPS = [_v1]
PG_STEPS = [_pg_v1]


class SeenEvents:
    """`first_time(*ids)`: True for exactly one caller across all processes on one database."""

    def __init__(self, path: str | Path | DatabaseUrl, *, ttl: float = SEEN_TTL_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = connect(path)
        migrate(self.db, COMPONENT, STEPS, PG_STEPS)
        self._ttl, self._clock = ttl, clock
        self._lock = threading.Lock()

    def first_time(self, *ids: str | None) -> bool:
        """Record the ids; False if any of them was recorded within the TTL, by any process."""
        keys = list(dict.fromkeys(i for i in ids if i))
        if not keys:
            return True
        now = self._clock()
        conn = self.db.conn
        marks = ",".join("?" * len(keys))
        with self._lock, transaction(conn):
            conn.execute("DELETE FROM slack_seen_events WHERE id IN (SELECT id FROM "
                         "slack_seen_events WHERE seen_at < ? ORDER BY seen_at LIMIT ?)",
                         [now - self._ttl, FORGET_BATCH])
            if conn.execute(f"SELECT 1 FROM slack_seen_events WHERE id IN ({marks}) "
                            "AND seen_at >= ? LIMIT 1", [*keys, now - self._ttl]).fetchone():
                return False
            conn.executemany("INSERT INTO slack_seen_events(id, seen_at) VALUES (?, ?) "
                             "ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at",
                             [(k, now) for k in keys])
        return True

    def close(self) -> None:
        self.db.close()
