"""The jobs table: ingest work any process may take, under a lease, retried with backoff.

A job is queued, then taken (RUNNING, with a holder and a lease expiry), then DONE with
its outcome recorded, or FAILED once its attempts are spent. A holder that dies leaves
its job RUNNING with a lease that runs out; the job is then taken again like a queued
one. Times are UTC ISO text from the caller's clock, compared as strings.

Taking jobs is the one statement that differs by backend (`claim_statement`): SQLite
serialises writers, so a plain UPDATE of the oldest ready rows inside BEGIN IMMEDIATE
is already exclusive; PostgreSQL adds FOR UPDATE SKIP LOCKED so concurrent takers
pass over each other's rows instead of queueing behind them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.index.db import connect, migrate, transaction


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # the outcome is in `result` (stored, duplicate, or rejected with a reason)
    FAILED = "failed"  # every attempt raised; the last error is in `error`

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class JobKind(StrEnum):
    """What a job does; bot.jobs.runner holds one handler per kind."""

    ARTICLE = "article"  # add one cleaned article (a feed item) to the index
    URL = "url"  # fetch an article page, extract it and add its stories (chat /ingest)


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,            -- JSON, what the handler needs
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_after TEXT NOT NULL,          -- queued: not before; backoff after a failure
        holder TEXT,
        lease_expires_at TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        result TEXT,                      -- JSON outcome, when done
        error TEXT)""")
    db.execute("CREATE INDEX jobs_ready ON jobs(status, run_after)")


STEPS = [_v1]


@dataclass(frozen=True)
class Job:
    id: int
    kind: JobKind
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    result: dict[str, Any] | None = None
    error: str | None = None
    #: Who took it last (host:pid:nonce); kept once done, to tell which process did it.
    holder: str | None = None


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def claim_statement(*, skip_locked: bool, only: int = 0) -> str:
    """UPDATE ... RETURNING that takes up to `?` ready jobs (queued and due, or running with
    an expired lease), oldest first; `only` adds `AND id IN (?, ...)` for that many ids.

    Parameters: holder, lease expiry, now, now, [ids...], limit. `skip_locked` is for
    PostgreSQL (the lead switches it on the backend); SQLite has no row locks."""
    ids = f" AND id IN ({', '.join('?' * only)})" if only else ""
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    return ("UPDATE jobs SET status = 'running', holder = ?, lease_expires_at = ?, "
            "attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE "
            "((status = 'queued' AND run_after <= ?) OR "
            f"(status = 'running' AND lease_expires_at <= ?)){ids} "
            f"ORDER BY id LIMIT ?{lock}) "
            "RETURNING id, kind, payload, status, attempts, max_attempts")


class JobStore:
    """The jobs table over one connection; safe to call from worker threads (one at a time)."""

    #: PostgreSQL's claim (see claim_statement); False on SQLite.
    skip_locked = False

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._lock = threading.RLock()
        migrate(db, "jobs", STEPS)

    @classmethod
    def open(cls, path: str | Path) -> JobStore:
        return cls(connect(path))

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enqueue(self, kind: JobKind, payloads: Sequence[dict[str, Any]], *, now: datetime,
                max_attempts: int) -> list[int]:
        """Queue one job per payload, in one transaction; their ids, in order."""
        ids = []
        with self._lock, transaction(self.db.conn):
            for payload in payloads:
                [(job_id,)] = self.db.execute(  # RETURNING: no lastrowid on PostgreSQL
                    "INSERT INTO jobs(kind, payload, max_attempts, run_after, created_at) "
                    "VALUES (?, ?, ?, ?, ?) RETURNING id",
                    [JobKind(kind).value, json.dumps(payload), max_attempts, _iso(now),
                     _iso(now)]).fetchall()
                ids.append(job_id)
        return ids

    def claim(self, *, holder: str, now: datetime, expires_at: datetime, limit: int = 1,
              only: Sequence[int] = ()) -> list[Job]:
        """Take up to `limit` ready jobs (of `only`, if given) under a lease until `expires_at`."""
        sql = claim_statement(skip_locked=self.skip_locked, only=len(only))
        with self._lock, transaction(self.db.conn):
            rows = self.db.execute(sql, [holder, _iso(expires_at), _iso(now), _iso(now), *only,
                                         limit]).fetchall()
        return sorted((Job(id=r[0], kind=JobKind(r[1]), payload=json.loads(r[2]),
                           status=JobStatus(r[3]), attempts=r[4], max_attempts=r[5])
                       for r in rows), key=lambda j: j.id)

    def renew(self, job_id: int, *, holder: str, expires_at: datetime) -> bool:
        with self._lock, transaction(self.db.conn):
            cur = self.db.execute("UPDATE jobs SET lease_expires_at = ? WHERE id = ? "
                                  "AND holder = ? AND status = 'running'",
                                  [_iso(expires_at), job_id, holder])
        return cur.rowcount == 1

    def finish(self, job_id: int, *, holder: str, now: datetime, result: dict[str, Any]) -> bool:
        """Record the outcome; False if the lease was lost (another process took the job over:
        the work is idempotent, so its result will say the same, e.g. "duplicate").

        The payload (a whole article for a feed item) is dropped: the outcome is what is read
        from now on. `holder` stays, saying which process did the work."""
        with self._lock, transaction(self.db.conn):
            cur = self.db.execute(
                "UPDATE jobs SET status = 'done', result = ?, finished_at = ?, payload = '{}', "
                "lease_expires_at = NULL, error = NULL WHERE id = ? AND holder = ? "
                "AND status = 'running'", [json.dumps(result), _iso(now), job_id, holder])
        return cur.rowcount == 1

    def fail(self, job_id: int, *, holder: str, now: datetime, error: str,
             retry_at: datetime | None) -> bool:
        """An attempt raised: queue it again at `retry_at`, or give up (None) as FAILED."""
        with self._lock, transaction(self.db.conn):
            if retry_at is None:
                cur = self.db.execute(  # the payload is kept, to see what could not be done
                    "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, "
                    "lease_expires_at = NULL WHERE id = ? AND holder = ? AND status = 'running'",
                    [error[:500], _iso(now), job_id, holder])
            else:
                cur = self.db.execute(
                    "UPDATE jobs SET status = 'queued', error = ?, run_after = ?, holder = NULL, "
                    "lease_expires_at = NULL WHERE id = ? AND holder = ? AND status = 'running'",
                    [error[:500], _iso(retry_at), job_id, holder])
        return cur.rowcount == 1

    def prune(self, before: datetime) -> int:
        """Forget jobs finished before `before` (their waiters have long read the outcome)."""
        with self._lock, transaction(self.db.conn):
            cur = self.db.execute("DELETE FROM jobs WHERE status IN ('done', 'failed') "
                                  "AND finished_at < ?", [_iso(before)])
        return cur.rowcount

    def get(self, ids: Sequence[int]) -> list[Job]:
        """The jobs with these ids, in the order given (unknown ids skipped)."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        with self._lock:
            rows = self.db.execute(
                "SELECT id, kind, payload, status, attempts, max_attempts, result, error, holder "
                f"FROM jobs WHERE id IN ({marks})", list(ids)).fetchall()
        jobs = {r[0]: Job(id=r[0], kind=JobKind(r[1]), payload=json.loads(r[2]),
                          status=JobStatus(r[3]), attempts=r[4], max_attempts=r[5],
                          result=json.loads(r[6]) if r[6] else None, error=r[7], holder=r[8])
                for r in rows}
        return [jobs[i] for i in ids if i in jobs]

    def counts(self) -> dict[JobStatus, int]:
        """Jobs per status (for logs, benches and tests)."""
        with self._lock:
            rows = self.db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {JobStatus(s): n for s, n in rows}
