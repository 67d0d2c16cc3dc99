"""The feeds tables: which feeds to poll, how they are doing, and which items were seen.

They live in the same SQLite file as the index (migrated as component "feeds"),
so one backup holds everything. Every item key (GUID, link, content hash) is
recorded the first time it is seen; an item matching any recorded key is the
same item again, even if its date or wording changed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import sqlite_utils

from bot.core import UserError
from bot.index.db import connect, migrate, transaction

class ItemOutcome(StrEnum):
    """How an item ended: stored as a new article, merged into an existing one, older than
    the backfill window, or rejected (a bad link, no usable text, refused by the index)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    OLD = "old"
    REJECTED = "rejected"


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        site_url TEXT,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL DEFAULT '',
        poll_minutes INTEGER,              -- NULL: settings.feed_poll_minutes
        etag TEXT,
        last_modified TEXT,
        last_polled_at TEXT,
        last_success_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,  -- consecutive
        next_poll_at TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
        paused_at TEXT)""")
    db.execute("CREATE INDEX feeds_due ON feeds(status, next_poll_at)")
    db.execute("""CREATE TABLE feed_items (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        guid TEXT,
        link TEXT,
        title TEXT NOT NULL DEFAULT '',
        published TEXT,
        outcome TEXT NOT NULL,
        article_id INTEGER,
        reason TEXT,
        seen_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX feed_items_feed ON feed_items(feed_id)")
    db.execute("""CREATE TABLE feed_item_keys (
        key TEXT PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE)""")
    db.execute("CREATE INDEX feed_item_keys_item ON feed_item_keys(item_id)")


def _v2(db: sqlite_utils.Database) -> None:
    """Where a feed was added from, so a pause can be told to that channel (NULL: the CLI)."""
    db.execute("ALTER TABLE feeds ADD COLUMN notify_platform TEXT")
    db.execute("ALTER TABLE feeds ADD COLUMN notify_channel TEXT")


def _v3(db: sqlite_utils.Database) -> None:
    """What the last poll rejected: one bad item is reported on the feed, not a feed failure."""
    db.execute("ALTER TABLE feeds ADD COLUMN last_poll_rejected INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE feeds ADD COLUMN last_item_error TEXT")
    db.execute("ALTER TABLE feeds ADD COLUMN last_item_error_at TEXT")


def _v4_owner(db: sqlite_utils.Database) -> None:
    """Whose feed it is ('' the operator's, else "discord:<guild>" / "slack:<team>"): its
    items are that owner's articles, and "seen" is per owner, so another workspace's feed
    carrying the same story never hides it from this one. feed_item_keys is a child table
    only, so it is rebuilt with the owner in its key; feeds keeps its UNIQUE url."""
    db.execute("ALTER TABLE feeds ADD COLUMN workspace TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE TABLE feed_item_keys_v4 (key TEXT NOT NULL, "
               "workspace TEXT NOT NULL DEFAULT '', "
               "item_id INTEGER NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE, "
               "PRIMARY KEY (key, workspace))")
    db.execute("INSERT INTO feed_item_keys_v4(key, item_id) SELECT key, item_id FROM feed_item_keys")
    db.execute("DROP TABLE feed_item_keys")
    db.execute("ALTER TABLE feed_item_keys_v4 RENAME TO feed_item_keys")
    db.execute("CREATE INDEX feed_item_keys_item ON feed_item_keys(item_id)")


STEPS = [_v1, _v2, _v3, _v4_owner]


@dataclass(frozen=True)
class FeedRow:
    id: int
    url: str
    title: str
    site_url: str | None
    added_at: datetime
    added_by: str
    poll_minutes: int | None
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_poll_at: datetime | None
    status: str
    paused_at: datetime | None
    #: The chat platform and channel the feed was added from; told when it is paused.
    notify_platform: str | None = None
    notify_channel: str | None = None
    #: Items the last poll that read the feed rejected, and the latest item rejection
    #: ("“Title” (link): why"), which stays until another item is rejected.
    last_poll_rejected: int = 0
    last_item_error: str | None = None
    last_item_error_at: datetime | None = None
    #: Items seen in the feed so far, and how many of them became new articles.
    item_count: int = 0
    stored_count: int = 0
    #: The owner: '' the operator's (added from the CLI), else the workspace that added it.
    workspace: str = ""

    @property
    def paused(self) -> bool:
        return self.status == "paused"


@dataclass(frozen=True)
class SeenItem:
    """One item of a poll as it is remembered: its keys, what it was, and how it ended."""

    keys: list[str]
    guid: str | None
    link: str | None
    title: str
    published: datetime | None
    outcome: ItemOutcome
    article_id: int | None = None
    reason: str | None = None


_DATES = {"added_at", "last_polled_at", "last_success_at", "last_error_at", "next_poll_at",
          "paused_at", "last_item_error_at"}
_SELECT = """SELECT f.*,
    (SELECT COUNT(*) FROM feed_items i WHERE i.feed_id = f.id) AS item_count,
    (SELECT COUNT(*) FROM feed_items i WHERE i.feed_id = f.id AND i.outcome = 'stored')
        AS stored_count
    FROM feeds f"""


def _iso(dt: datetime | None) -> str | None:
    """UTC ISO text: stored times compare as strings in `due`, so one zone for all."""
    return dt.astimezone(UTC).isoformat() if dt else None


class FeedStore:
    """Feeds and seen items over one SQLite connection; safe to call from worker threads."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._lock = threading.RLock()
        migrate(db, "feeds", STEPS)

    @classmethod
    def open(cls, path: str | Path) -> FeedStore:
        return cls(connect(path))

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> FeedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock, transaction(self.db.conn):
            yield

    # --- feeds --------------------------------------------------------------------------
    def add(self, url: str, *, title: str, site_url: str | None, added_by: str,
            now: datetime, poll_minutes: int | None = None, notify_platform: str | None = None,
            notify_channel: str | None = None, workspace: str = "") -> FeedRow:
        try:
            with self._tx():
                cur = self.db.execute(
                    "INSERT INTO feeds(url, title, site_url, added_at, added_by, poll_minutes, "
                    "notify_platform, notify_channel, workspace) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [url, title, site_url, _iso(now), added_by, poll_minutes, notify_platform,
                     notify_channel, workspace])
                feed_id = cur.lastrowid
        except sqlite3.IntegrityError:  # added by someone else a moment ago
            raise UserError(f"Already following {url}.") from None
        row = self.get(feed_id) if feed_id is not None else None
        assert row is not None  # just inserted, in this transaction's connection
        return row

    def get(self, feed_id: int) -> FeedRow | None:
        rows = self._select("WHERE f.id = ?", [feed_id])
        return rows[0] if rows else None

    def by_url(self, url: str) -> FeedRow | None:
        rows = self._select("WHERE f.url = ?", [url])
        return rows[0] if rows else None

    def all(self, workspace: str | None = None) -> list[FeedRow]:
        """Every feed (the operator's view), or one owner's feeds only."""
        if workspace is None:
            return self._select("ORDER BY f.id", [])
        return self._select("WHERE f.workspace = ? ORDER BY f.id", [workspace])

    def due(self, now: datetime) -> list[FeedRow]:
        """Active feeds whose next poll time has come (or was never set)."""
        return self._select("WHERE f.status = 'active' AND (f.next_poll_at IS NULL "
                            "OR f.next_poll_at <= ?) ORDER BY f.next_poll_at, f.id",
                            [_iso(now)])

    def remove(self, feed_id: int) -> None:
        with self._tx():
            self.db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])

    def record_success(self, feed_id: int, *, now: datetime, next_poll_at: datetime,
                       etag: str | None, last_modified: str | None,
                       title: str | None = None, rejected: int | None = None,
                       item_error: str | None = None) -> None:
        """A poll worked (200 or 304): failures reset, validators kept for the next request.

        `rejected` is how many of the document's items were rejected (None: the document was
        not read, a 304); `item_error` the last rejection, kept until the next one."""
        values: dict[str, object] = dict(
            last_polled_at=_iso(now), last_success_at=_iso(now), failures=0,
            next_poll_at=_iso(next_poll_at), etag=etag, last_modified=last_modified)
        if title:
            values["title"] = title
        if rejected is not None:
            values["last_poll_rejected"] = rejected
        if item_error:
            values.update(last_item_error=item_error, last_item_error_at=_iso(now))
        self._update(feed_id, **values)

    def record_failure(self, feed_id: int, *, now: datetime, error: str,
                       next_poll_at: datetime | None, pause: bool) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE feeds SET failures = failures + 1, last_polled_at = ?, last_error = ?, "
                "last_error_at = ?, next_poll_at = ?, status = ?, paused_at = ? WHERE id = ?",
                [_iso(now), error, _iso(now), _iso(next_poll_at),
                 "paused" if pause else "active", _iso(now) if pause else None, feed_id])

    def resume(self, feed_id: int) -> None:
        """Back to active, polled at the next scheduler tick, with a fresh failure count."""
        self._update(feed_id, status="active", paused_at=None, failures=0, next_poll_at=None)

    # --- items --------------------------------------------------------------------------
    def seen(self, keys: Iterable[str], workspace: str = "") -> bool:
        """Whether a feed of this owner already saw an item under any of these keys."""
        keys = list(keys)
        if not keys:
            return False
        marks = ",".join("?" * len(keys))
        with self._lock:
            row = self.db.execute(f"SELECT 1 FROM feed_item_keys WHERE key IN ({marks}) "
                                  "AND workspace = ? LIMIT 1", [*keys, workspace]).fetchone()
        return row is not None

    def record_item(self, feed_id: int, *, keys: Iterable[str], guid: str | None,
                    link: str | None, title: str, published: datetime | None,
                    outcome: ItemOutcome, now: datetime, article_id: int | None = None,
                    reason: str | None = None) -> int:
        """Remember an item and every key it is known by, whatever its outcome."""
        [item_id] = self.record_items(feed_id, [SeenItem(keys=list(keys), guid=guid, link=link,
                                                         title=title, published=published,
                                                         outcome=outcome, article_id=article_id,
                                                         reason=reason)], now=now)
        return item_id

    def record_items(self, feed_id: int, items: Iterable[SeenItem], *, now: datetime) -> list[int]:
        """Remember a poll's items and their keys in one transaction."""
        ids = []
        with self._tx():
            owner = self.db.execute("SELECT workspace FROM feeds WHERE id = ?",
                                    [feed_id]).fetchone()
            workspace = owner[0] if owner else ""
            for item in items:
                outcome = ItemOutcome(item.outcome)  # an unknown outcome is a bug: ValueError
                cur = self.db.execute(
                    "INSERT INTO feed_items(feed_id, guid, link, title, published, outcome, "
                    "article_id, reason, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [feed_id, item.guid, item.link, item.title, _iso(item.published),
                     outcome.value, item.article_id, item.reason, _iso(now)])
                item_id = cur.lastrowid
                assert item_id is not None
                self.db.conn.executemany(
                    "INSERT INTO feed_item_keys(key, workspace, item_id) VALUES (?, ?, ?) "
                    "ON CONFLICT(key, workspace) DO NOTHING",
                    [(k, workspace, item_id) for k in dict.fromkeys(item.keys)])
                ids.append(item_id)
        return ids

    def items(self, feed_id: int) -> list[dict]:
        with self._lock:
            cur = self.db.execute("SELECT * FROM feed_items WHERE feed_id = ? ORDER BY id",
                                  [feed_id])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def stored_per_day(self, feed_id: int, days: int = 14) -> list[tuple[str, int]]:
        """(UTC date, items that became articles) for the feed's last `days` days with items."""
        with self._lock:
            rows = self.db.execute(
                "SELECT substr(seen_at, 1, 10) AS day, SUM(outcome = 'stored') FROM feed_items "
                "WHERE feed_id = ? GROUP BY day ORDER BY day DESC LIMIT ?",
                [feed_id, days]).fetchall()
        return [(r[0], int(r[1] or 0)) for r in reversed(rows)]

    # --- helpers ------------------------------------------------------------------------
    def _update(self, feed_id: int, **values: object) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._tx():
            self.db.execute(f"UPDATE feeds SET {sets} WHERE id = ?", [*values.values(), feed_id])

    def _select(self, where: str, params: list) -> list[FeedRow]:
        with self._lock:
            cur = self.db.execute(f"{_SELECT} {where}", params)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        out = []
        for row in rows:
            data = dict(zip(names, row, strict=True))
            for key in _DATES:
                data[key] = datetime.fromisoformat(data[key]) if data[key] else None
            out.append(FeedRow(**data))
        return out
