"""Subscriptions and the digest log, in the same SQLite file as the index.

The digest log is what makes delivery exactly-once: a row per (platform,
channel, local date, slot) is *claimed* with `INSERT ... ON CONFLICT DO NOTHING`
before anything is posted, so of two processes, two scheduler instances or a
retried request only the one whose insert took effect goes on to post. Slot
"daily" is the scheduled digest; slot "now" is the one a person may ask for with
`/digest now` once a day, which does not take the scheduled one's place.

A row's life is a `DigestStatus` (bot.digests.delivery). The composed digest is
kept with the row (`draft`), so a retry posts the very same messages, and each
message (part) is recorded in `digest_parts` *before* it is posted: a part left
`sending` or `uncertain` (a crash, a timeout, a dropped connection) is looked for
in the channel's history before anything is sent again, never re-sent blindly.

A claimed row whose owner died is re-claimable after `stale_after`; a living
owner renews its lease (`renew`) while it works or waits, so only the dead lose it.

All times are passed in by the caller (its clock), stored as UTC ISO strings.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot.digests.delivery import DigestStatus, PartStatus
from bot.index.backend import DatabaseUrl
from bot.index.db import connect, migrate, transaction
from bot.index.pg import ddl


def _step_1(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE digest_subscriptions (
            platform TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            time TEXT NOT NULL,
            tz TEXT NOT NULL,
            topics TEXT NOT NULL DEFAULT '[]',
            quiet_empty INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL DEFAULT '',
            active_since TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, channel_id))""")
    db.execute("""
        CREATE TABLE digest_log (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            slot TEXT NOT NULL DEFAULT 'daily' CHECK (slot IN ('daily', 'now')),
            status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'empty', 'failed')),
            trigger TEXT NOT NULL,
            owner TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            claimed_at TEXT NOT NULL,
            next_attempt_at TEXT,
            error TEXT,
            message_id TEXT,
            sent_at TEXT,
            wall_sent_at TEXT,
            period_start TEXT,
            period_end TEXT,
            UNIQUE (platform, channel_id, local_date, slot))""")
    db.execute("""
        CREATE TABLE digest_told (
            digest_id INTEGER NOT NULL REFERENCES digest_log(id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL,
            sentence_id INTEGER,
            shown INTEGER NOT NULL DEFAULT 0)""")
    db.execute("CREATE INDEX digest_told_digest ON digest_told(digest_id)")


_STATUSES = "'claimed', 'sending', 'uncertain', 'sent', 'empty', 'failed'"


def _step_2(db: sqlite_utils.Database) -> None:
    """Statuses for uncertain deliveries, the kept draft, and one row per posted part.

    SQLite cannot change a CHECK constraint in place, so digest_log is rebuilt; its
    child table is copied aside first, as dropping a parent would cascade into it.
    """
    db.execute(f"""
        CREATE TABLE digest_log_v2 (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            slot TEXT NOT NULL DEFAULT 'daily' CHECK (slot IN ('daily', 'now')),
            status TEXT NOT NULL CHECK (status IN ({_STATUSES})),
            trigger TEXT NOT NULL,
            owner TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            claimed_at TEXT NOT NULL,
            next_attempt_at TEXT,
            error TEXT,
            message_id TEXT,
            sent_at TEXT,
            wall_sent_at TEXT,
            period_start TEXT,
            period_end TEXT,
            started_at TEXT,
            draft TEXT,
            UNIQUE (platform, channel_id, local_date, slot))""")
    db.execute(f"INSERT INTO digest_log_v2 ({_V1_COLUMNS}, started_at) "
               f"SELECT {_V1_COLUMNS}, claimed_at FROM digest_log")
    db.execute("CREATE TABLE digest_told_copy AS SELECT * FROM digest_told")
    db.execute("DROP TABLE digest_told")
    db.execute("DROP TABLE digest_log")
    db.execute("ALTER TABLE digest_log_v2 RENAME TO digest_log")
    db.execute("""
        CREATE TABLE digest_told (
            digest_id INTEGER NOT NULL REFERENCES digest_log(id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL,
            sentence_id INTEGER,
            shown INTEGER NOT NULL DEFAULT 0)""")
    db.execute("INSERT INTO digest_told SELECT digest_id, article_id, sentence_id, shown "
               "FROM digest_told_copy")
    db.execute("DROP TABLE digest_told_copy")
    db.execute("CREATE INDEX digest_told_digest ON digest_told(digest_id)")
    db.execute("""
        CREATE TABLE digest_parts (
            digest_id INTEGER NOT NULL REFERENCES digest_log(id) ON DELETE CASCADE,
            part INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sending', 'uncertain', 'sent')),
            message_id TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (digest_id, part))""")


_V1_COLUMNS = ("id, platform, channel_id, local_date, slot, status, trigger, owner, attempts, "
               "claimed_at, next_attempt_at, error, message_id, sent_at, wall_sent_at, "
               "period_start, period_end")

def _step_3(db: sqlite_utils.Database) -> None:
    """A subscription's workspace as the owner string of bot.workspaces ("discord:123",
    "slack:T1"), the same one its digests' scope and the index's rows use."""
    db.execute("UPDATE digest_subscriptions SET workspace = platform || ':' || workspace "
               "WHERE workspace != '' AND workspace NOT LIKE '%:%' "
               "AND platform IN ('discord', 'slack')")


STEPS = [_step_1, _step_2, _step_3]


def _pg_step_1(db: sqlite_utils.Database) -> None:
    """PostgreSQL: the tables as SQLite's steps 1-2 leave them."""
    ddl(db, """
        CREATE TABLE digest_subscriptions (
            platform TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            time TEXT NOT NULL,
            tz TEXT NOT NULL,
            topics TEXT NOT NULL DEFAULT '[]',
            quiet_empty INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL DEFAULT '',
            active_since TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, channel_id))""", f"""
        CREATE TABLE digest_log (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            platform TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            slot TEXT NOT NULL DEFAULT 'daily' CHECK (slot IN ('daily', 'now')),
            status TEXT NOT NULL CHECK (status IN ({_STATUSES})),
            trigger TEXT NOT NULL,
            owner TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            claimed_at TEXT NOT NULL,
            next_attempt_at TEXT,
            error TEXT,
            message_id TEXT,
            sent_at TEXT,
            wall_sent_at TEXT,
            period_start TEXT,
            period_end TEXT,
            started_at TEXT,
            draft TEXT,
            UNIQUE (platform, channel_id, local_date, slot))""", """
        CREATE TABLE digest_told (
            digest_id BIGINT NOT NULL REFERENCES digest_log(id) ON DELETE CASCADE,
            article_id BIGINT NOT NULL,
            sentence_id BIGINT,
            shown INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX digest_told_digest ON digest_told(digest_id)", """
        CREATE TABLE digest_parts (
            digest_id BIGINT NOT NULL REFERENCES digest_log(id) ON DELETE CASCADE,
            part INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sending', 'uncertain', 'sent')),
            message_id TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (digest_id, part))""")


PG_STEPS = [_pg_step_1]


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Subscription:
    platform: str
    channel_id: str
    time: str  # "HH:MM", local to tz
    tz: str    # IANA name
    topics: tuple[str, ...] = ()
    quiet_empty: bool = False
    workspace: str = ""
    created_by: str = ""
    #: Digests scheduled before this instant (the last change of time/zone) are never caught up.
    active_since: datetime | None = None

    @property
    def job_id(self) -> str:
        return f"digest:{self.platform}:{self.channel_id}"


@dataclass(frozen=True, slots=True)
class DigestRow:
    id: int
    platform: str
    channel_id: str
    local_date: str
    slot: str
    status: DigestStatus
    trigger: str
    owner: str
    attempts: int
    claimed_at: datetime
    next_attempt_at: datetime | None
    error: str | None
    message_id: str | None
    sent_at: datetime | None
    wall_sent_at: datetime | None
    period_start: datetime | None
    period_end: datetime | None
    #: When the digest was first claimed: its messages are looked for in history after this.
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """Proof that this owner, and nobody else, may post this digest now."""

    digest_id: int
    owner: str
    attempts: int
    local_date: str
    slot: str = "daily"
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """What the log knows of one message of a digest."""

    part: int
    status: PartStatus
    message_id: str | None


@dataclass(frozen=True, slots=True)
class Told:
    """What earlier digests told a channel: the articles of its stories, the sentences shown."""

    article_ids: frozenset[int]
    sentence_ids: frozenset[int]


_LOG_COLUMNS = ("id, platform, channel_id, local_date, slot, status, trigger, owner, attempts, "
                "claimed_at, next_attempt_at, error, message_id, sent_at, wall_sent_at, "
                "period_start, period_end, started_at")
_HELD = f"status IN ('{DigestStatus.CLAIMED}', '{DigestStatus.SENDING}')"


def _row(r: Sequence) -> DigestRow:
    claimed_at = _dt(r[9])
    assert claimed_at is not None  # NOT NULL in digest_log
    return DigestRow(id=r[0], platform=r[1], channel_id=r[2], local_date=r[3], slot=r[4],
                     status=DigestStatus(r[5]), trigger=r[6], owner=r[7], attempts=r[8],
                     claimed_at=claimed_at, next_attempt_at=_dt(r[10]), error=r[11],
                     message_id=r[12], sent_at=_dt(r[13]), wall_sent_at=_dt(r[14]),
                     period_start=_dt(r[15]), period_end=_dt(r[16]), started_at=_dt(r[17]))


class DigestStore:
    """One connection to the shared SQLite file; safe to use from several threads."""

    def __init__(self, path: str | Path | DatabaseUrl) -> None:
        self.path = path
        self.db = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            migrate(self.db, "digests", STEPS, PG_STEPS)

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    def _exec(self, sql: str, params: Sequence = ()):
        with self._lock:
            return self.db.conn.execute(sql, list(params))

    # --- subscriptions -------------------------------------------------------------
    def save_subscription(self, sub: Subscription, now: datetime) -> None:
        self._exec(
            "INSERT INTO digest_subscriptions (platform, channel_id, workspace, time, tz, topics, "
            "quiet_empty, created_by, active_since, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(platform, channel_id) DO UPDATE SET workspace=excluded.workspace, "
            "time=excluded.time, tz=excluded.tz, topics=excluded.topics, "
            "quiet_empty=excluded.quiet_empty, created_by=excluded.created_by, "
            "active_since=excluded.active_since, updated_at=excluded.updated_at",
            [sub.platform, sub.channel_id, sub.workspace, sub.time, sub.tz,
             json.dumps(list(sub.topics)), int(sub.quiet_empty), sub.created_by,
             _iso(sub.active_since or now), _iso(now)])

    def delete_subscription(self, platform: str, channel_id: str) -> bool:
        cur = self._exec("DELETE FROM digest_subscriptions WHERE platform=? AND channel_id=?",
                         [platform, channel_id])
        return cur.rowcount > 0

    def subscription(self, platform: str, channel_id: str) -> Subscription | None:
        found = self._subscriptions("WHERE platform=? AND channel_id=?", [platform, channel_id])
        return found[0] if found else None

    def subscriptions(self, platform: str | None = None, workspace: str | None = None
                      ) -> list[Subscription]:
        where, params = [], []
        if platform is not None:
            where.append("platform=?")
            params.append(platform)
        if workspace is not None:
            where.append("workspace=?")
            params.append(workspace)
        return self._subscriptions(("WHERE " + " AND ".join(where)) if where else "", params)

    def _subscriptions(self, where: str, params: Sequence) -> list[Subscription]:
        rows = self._exec(
            "SELECT platform, channel_id, time, tz, topics, quiet_empty, workspace, created_by, "
            f"active_since FROM digest_subscriptions {where} ORDER BY platform, channel_id",
            params).fetchall()
        return [Subscription(platform=r[0], channel_id=r[1], time=r[2], tz=r[3],
                             topics=tuple(json.loads(r[4])), quiet_empty=bool(r[5]),
                             workspace=r[6], created_by=r[7], active_since=_dt(r[8]))
                for r in rows]

    # --- claims --------------------------------------------------------------------
    def claim(self, platform: str, channel_id: str, local_date: str, *, owner: str,
              now: datetime, trigger: str, stale_after: timedelta, max_attempts: int,
              force_failed: bool = False, slot: str = "daily") -> Claim | None:
        """Take the right to post this digest, or None if someone has it or it is done.

        Four ways in, each a single atomic statement: a fresh row; a FAILED row whose
        backoff is over (or any failed row when `force_failed`, a user asking again);
        an UNCERTAIN row whose next look is due, or asked for again (its parts that may
        have arrived are looked for in history, never re-sent blindly);
        a CLAIMED/SENDING row whose lease is older than `stale_after` (its owner died).
        """
        cur = self._exec(
            "INSERT INTO digest_log (platform, channel_id, local_date, slot, status, trigger, "
            "owner, attempts, claimed_at, started_at) VALUES (?,?,?,?,?,?,?,1,?,?) "
            "ON CONFLICT(platform, channel_id, local_date, slot) DO NOTHING",
            [platform, channel_id, local_date, slot, DigestStatus.CLAIMED, trigger, owner,
             _iso(now), _iso(now)])
        if cur.rowcount == 1:
            return Claim(cur.lastrowid, owner, 1, local_date, slot, now)
        row = self.digest(platform, channel_id, local_date, slot)
        if row is None:  # pragma: no cover - the conflicting row cannot vanish
            return None
        due = row.next_attempt_at is not None and row.next_attempt_at <= now
        if row.status is DigestStatus.FAILED and (
                force_failed or (row.attempts < max_attempts
                                 and (row.next_attempt_at is None or due))):
            pass
        elif row.status is DigestStatus.UNCERTAIN and (due or force_failed):
            pass  # safe even when forced: what may have arrived is looked for, not re-sent
        elif row.status.held and row.claimed_at <= now - stale_after:
            pass
        else:
            return None
        cur = self._exec(
            "UPDATE digest_log SET status=?, owner=?, trigger=?, claimed_at=?, "
            "attempts=attempts+1, next_attempt_at=NULL WHERE id=? AND status=? AND owner=? "
            "AND attempts=? AND claimed_at=?",
            [DigestStatus.CLAIMED, owner, trigger, _iso(now), row.id, row.status, row.owner,
             row.attempts, _iso(row.claimed_at)])
        if cur.rowcount != 1:
            return None
        return Claim(row.id, owner, row.attempts + 1, local_date, slot,
                     row.started_at or row.claimed_at)

    def renew(self, claim: Claim, now: datetime) -> bool:
        """Extend the owner's lease (it is alive, working or waiting); False if it was lost."""
        cur = self._exec(f"UPDATE digest_log SET claimed_at=? WHERE id=? AND owner=? AND {_HELD}",
                         [_iso(now), claim.digest_id, claim.owner])
        return cur.rowcount == 1

    def holds(self, claim: Claim) -> bool:
        r = self._exec(f"SELECT 1 FROM digest_log WHERE id=? AND owner=? AND {_HELD}",
                       [claim.digest_id, claim.owner]).fetchone()
        return r is not None

    # --- the kept draft and its parts --------------------------------------------------
    def keep_draft(self, claim: Claim, draft: dict) -> dict:
        """Keep the first composition of this digest; return the one kept (maybe earlier)."""
        with self._lock:
            self.db.conn.execute(
                f"UPDATE digest_log SET draft=? WHERE id=? AND owner=? AND {_HELD} "
                "AND draft IS NULL", [json.dumps(draft), claim.digest_id, claim.owner])
        kept = self.draft(claim.digest_id)
        return kept if kept is not None else draft

    def draft(self, digest_id: int) -> dict | None:
        r = self._exec("SELECT draft FROM digest_log WHERE id=?", [digest_id]).fetchone()
        return json.loads(r[0]) if r and r[0] else None

    def parts(self, digest_id: int) -> dict[int, Part]:
        rows = self._exec("SELECT part, status, message_id FROM digest_parts WHERE digest_id=? "
                          "ORDER BY part", [digest_id]).fetchall()
        return {r[0]: Part(r[0], PartStatus(r[1]), r[2]) for r in rows}

    def mark_part(self, claim: Claim, part: int, status: PartStatus | None, *, now: datetime,
                  message_id: str | None = None) -> bool:
        """Record one message's fate while holding the claim (None: surely not posted).

        Recording SENDING before each post is what lets a successor know a part may
        exist; the digest becomes SENDING with it. False if the claim was lost.
        """
        with self._lock, transaction(self.db.conn) as conn:
            cur = conn.execute(
                f"UPDATE digest_log SET status=?, claimed_at=? WHERE id=? AND owner=? "
                f"AND {_HELD}", [DigestStatus.SENDING, _iso(now), claim.digest_id,
                                 claim.owner])
            if cur.rowcount == 1:
                if status is None:
                    conn.execute("DELETE FROM digest_parts WHERE digest_id=? AND part=?",
                                 [claim.digest_id, part])
                else:
                    conn.execute(
                        "INSERT INTO digest_parts (digest_id, part, status, message_id, "
                        "updated_at) VALUES (?,?,?,?,?) ON CONFLICT(digest_id, part) DO "
                        "UPDATE SET status=excluded.status, message_id=excluded.message_id, "
                        "updated_at=excluded.updated_at",
                        [claim.digest_id, part, status, message_id, _iso(now)])
            return cur.rowcount == 1

    # --- outcomes ------------------------------------------------------------------------
    def mark_sent(self, claim: Claim, *, message_id: str | None, now: datetime,
                  period: tuple[datetime, datetime] | None, told_articles: Iterable[int] = (),
                  shown_sentences: Iterable[tuple[int, int]] = (), empty: bool = False) -> bool:
        """Record the post and what it told, in one transaction; False if the claim was lost.

        `told_articles`: every article of every story the digest covered;
        `shown_sentences`: (sentence id, article id) of each sentence quoted.
        """
        with self._lock, transaction(self.db.conn) as conn:
            cur = conn.execute(
                "UPDATE digest_log SET status=?, message_id=?, sent_at=?, wall_sent_at=?, "
                "period_start=?, period_end=?, error=NULL, next_attempt_at=NULL "
                f"WHERE id=? AND owner=? AND {_HELD}",
                [DigestStatus.EMPTY if empty else DigestStatus.SENT, message_id, _iso(now),
                 _iso(datetime.now(UTC)), _iso(period[0]) if period else None,
                 _iso(period[1]) if period else None, claim.digest_id, claim.owner])
            if cur.rowcount == 1:
                conn.executemany(
                    "INSERT INTO digest_told (digest_id, article_id) VALUES (?, ?)",
                    [(claim.digest_id, a) for a in sorted(set(told_articles))])
                conn.executemany(
                    "INSERT INTO digest_told (digest_id, article_id, sentence_id, shown) "
                    "VALUES (?, ?, ?, 1)",
                    [(claim.digest_id, a, s) for s, a in sorted(set(shown_sentences))])
        return cur.rowcount == 1

    def mark_failed(self, claim: Claim, *, error: str, next_attempt_at: datetime | None,
                    uncertain: bool = False) -> bool:
        """FAILED: surely not (fully) delivered. UNCERTAIN: look in history at `next_attempt_at`."""
        cur = self._exec(
            f"UPDATE digest_log SET status=?, error=?, next_attempt_at=? "
            f"WHERE id=? AND owner=? AND {_HELD}",
            [DigestStatus.UNCERTAIN if uncertain else DigestStatus.FAILED, error[:500],
             _iso(next_attempt_at), claim.digest_id, claim.owner])
        return cur.rowcount == 1

    # --- reading the log -----------------------------------------------------------
    def digest(self, platform: str, channel_id: str, local_date: str,
               slot: str = "daily") -> DigestRow | None:
        r = self._exec(f"SELECT {_LOG_COLUMNS} FROM digest_log WHERE platform=? AND "
                       "channel_id=? AND local_date=? AND slot=?",
                       [platform, channel_id, local_date, slot]).fetchone()
        return _row(r) if r else None

    def history(self, platform: str, channel_id: str, limit: int = 30) -> list[DigestRow]:
        rows = self._exec(f"SELECT {_LOG_COLUMNS} FROM digest_log WHERE platform=? AND "
                          "channel_id=? ORDER BY claimed_at DESC, id DESC LIMIT ?",
                          [platform, channel_id, limit]).fetchall()
        return [_row(r) for r in rows]

    def last_delivered(self, platform: str, channel_id: str) -> DigestRow | None:
        """The newest digest that reached the channel (or was silently empty)."""
        r = self._exec(f"SELECT {_LOG_COLUMNS} FROM digest_log WHERE platform=? AND "
                       "channel_id=? AND status IN ('sent', 'empty') "
                       "ORDER BY sent_at DESC, id DESC LIMIT 1", [platform, channel_id]).fetchone()
        return _row(r) if r else None

    def recent_deliveries(self, limit: int = 10) -> list[DigestRow]:
        """The newest digests that reached any channel: for the status page."""
        rows = self._exec(f"SELECT {_LOG_COLUMNS} FROM digest_log WHERE status = 'sent' "
                          "ORDER BY sent_at DESC, id DESC LIMIT ?", [limit]).fetchall()
        return [_row(r) for r in rows]

    def told(self, platform: str, channel_id: str, since: datetime | None = None) -> Told:
        """Articles and sentences earlier digests gave this channel (sent after `since`)."""
        rows = self._exec(
            "SELECT t.article_id, t.sentence_id, t.shown FROM digest_told t "
            "JOIN digest_log d ON d.id = t.digest_id WHERE d.platform=? AND d.channel_id=? "
            "AND d.status='sent' AND (? IS NULL OR d.sent_at >= ?)",
            [platform, channel_id, _iso(since), _iso(since)]).fetchall()
        return Told(article_ids=frozenset(r[0] for r in rows),
                    sentence_ids=frozenset(r[1] for r in rows if r[2] and r[1] is not None))
