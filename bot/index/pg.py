"""PostgreSQL (psycopg 3) behind the small sqlite3 surface briefbot's stores use.

Why an adapter and not a second copy of every store: the stores' ~240 statements are
plain SQL, and all but a handful are already valid PostgreSQL once `?` becomes `%s`.
So `PgConnection` gives psycopg the sqlite3 surface the stores call — `execute`,
`executemany`, cursors with `fetchone/fetchall/rowcount/description/lastrowid`,
`in_transaction`, `close` — and rewrites, once per statement text (cached):

- `?` placeholders -> `%s` (and a literal `%` -> `%%`), outside quoted strings;
- `IS ?` / `IS NOT ?` -> `IS NOT DISTINCT FROM %s` / `IS DISTINCT FROM %s`, and
  `? IS NULL` -> `CAST(%s AS TEXT) IS NULL` (PostgreSQL must know a parameter's type);
- `INSERT OR IGNORE INTO ...` -> `INSERT INTO ... ON CONFLICT DO NOTHING`;
- `BEGIN IMMEDIATE` -> `BEGIN` plus one transaction-scoped advisory lock, so write
  transactions are serialised as SQLite serialises them (the stores' read-then-write
  steps, such as "find or create this entity", rely on that); a plain `BEGIN` takes no
  lock (`transaction(conn, serialised=False)`);
- an `INSERT` into a table with a generated `id` gets `RETURNING id`, which becomes
  the cursor's `lastrowid`.

What cannot be written portably (DDL, full-text search, space upkeep) is not rewritten
here: it lives in `bot.index.dialect`. Values: Python bools are sent as integers (the
schema keeps SQLite's 0/1 columns) and `numeric` results (PostgreSQL's SUM of bigint)
come back as int, so callers see the same Python types from both backends.

Faults (server unreachable, connection lost, disk full, read-only) become one-line
`StorageError`s naming the server without its password; a unique or foreign-key
violation is raised as `sqlite3.IntegrityError`, which is what the stores catch.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from bot.index.backend import Backend, DatabaseUrl
from bot.index.db import Fault, StorageError

log = logging.getLogger(__name__)

#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 10
#: Key of the advisory lock every write transaction takes ("briefbot" as digits).
WRITE_LOCK = 0x6272696566626F74

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%|--[^\n]*")
_IS_PARAM = re.compile(r"\bIS\s+(NOT\s+)?%s", re.IGNORECASE)
_PARAM_IS_NULL = re.compile(r"%s(\s+IS\s+(?:NOT\s+)?NULL)\b", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_BEGIN = re.compile(r"^\s*BEGIN(?:\s+(IMMEDIATE|EXCLUSIVE)|\s+DEFERRED)?(?:\s+TRANSACTION)?\s*;?\s*$",
                    re.IGNORECASE)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def rewrite(sql: str) -> tuple[str, str | None]:
    """(PostgreSQL text, table an INSERT goes into) for one sqlite3-style statement."""
    ignore = bool(_OR_IGNORE.match(sql))
    if ignore:
        sql = _OR_IGNORE.sub("INSERT INTO", sql, count=1)

    def token(m: re.Match[str]) -> str:
        t = m.group(0)
        return "%s" if t == "?" else t.replace("%", "%%")  # psycopg reads % everywhere

    out = _TOKENS.sub(token, sql)
    out = _IS_PARAM.sub(lambda m: "IS DISTINCT FROM %s" if m.group(1)
                        else "IS NOT DISTINCT FROM %s", out)
    out = _PARAM_IS_NULL.sub(r"CAST(%s AS TEXT)\1", out)
    if ignore:
        out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    table = _INSERT_INTO.match(out)
    return out, (table.group(1).lower() if table else None)


class PgCursor:
    """The sqlite3.Cursor surface over a psycopg cursor whose rows are already fetched."""

    def __init__(self, rows: list[tuple] | None, rowcount: int, description: Any,
                 lastrowid: int | None = None) -> None:
        self._rows = rows or []
        self._at = 0
        self.rowcount = rowcount
        self.description = description
        self.lastrowid = lastrowid

    def fetchone(self) -> tuple | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[tuple]:
        rows, self._at = self._rows[self._at:], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple]:
        while (row := self.fetchone()) is not None:
            yield row


class PgConnection:
    """One psycopg connection (autocommit; transactions are explicit BEGIN/COMMIT, as the
    SQLite connections are opened with isolation_level=None)."""

    backend = Backend.POSTGRES
    read_only = False

    def __init__(self, raw: Any, url: DatabaseUrl) -> None:
        self.raw = raw
        self.url = url
        #: What messages name: the URL without its password.
        self.path = str(url)
        self._id_tables: frozenset[str] | None = None
        self._closed = False

    # --- the sqlite3 surface ------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        if m := _BEGIN.match(sql):
            self._run("BEGIN", ())
            if m.group(1):  # IMMEDIATE or EXCLUSIVE: one writer at a time, as on SQLite
                self._run("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return PgCursor(None, -1, None)
        text, table = rewrite(sql)
        if table and table in self.id_tables() and " RETURNING " not in text.upper():
            cur = self._run(text + " RETURNING id", params or ())
            rows = cur.fetchall()
            return PgCursor(None, cur.rowcount, None, rows[0][0] if rows else None)
        cur = self._run(text, params or ())
        if _DDL.match(sql):
            self._id_tables = None
        rows = cur.fetchall() if cur.description is not None else None
        return PgCursor(rows, cur.rowcount, cur.description)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        text, _ = rewrite(sql)
        rows = [tuple(r) for r in seq]
        if not rows:
            return PgCursor(None, 0, None)
        self._reopen_if_lost()
        with _faults(self):
            cur = self.raw.cursor()
            cur.executemany(text, rows)
            return PgCursor(None, cur.rowcount, None)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        if self.raw.closed or self.raw.broken:  # the server's transaction is gone with it
            return False
        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def commit(self) -> None:
        if self.in_transaction:
            self._run("COMMIT", ())

    def close(self) -> None:
        self._closed = True
        self.raw.close()

    def _reopen_if_lost(self) -> None:
        """A connection the server dropped (a restart, a failover, an idle timeout) is opened
        again before the next statement: the statement that met the loss already failed
        with a StorageError, and a long-running bot goes on without a restart. Never inside
        a transaction: its earlier statements are gone with the connection."""
        if self._closed or not (self.raw.closed or self.raw.broken):
            return
        self.raw = connect(self.url).raw
        log.info("reconnected to %s", self.path)

    # --- helpers ------------------------------------------------------------------------
    def id_tables(self) -> frozenset[str]:
        """Tables whose `id` the database generates: their INSERTs return it."""
        if self._id_tables is None:
            cur = self._run("SELECT table_name FROM information_schema.columns "
                            "WHERE table_schema = current_schema() AND column_name = 'id' "
                            "AND (is_identity = 'YES' OR column_default LIKE 'nextval%%')", ())
            self._id_tables = frozenset(r[0] for r in cur.fetchall())
        return self._id_tables

    def _run(self, text: str, params: Sequence[Any]) -> Any:
        self._reopen_if_lost()
        with _faults(self):
            cur = self.raw.cursor()
            cur.execute(text, params)
            return cur


class _faults:
    """Maps psycopg's exceptions to what the stores and the CLI already handle."""

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None:
            return False
        import psycopg

        if isinstance(exc, psycopg.errors.IntegrityError):
            raise sqlite3.IntegrityError(_first_line(exc)) from exc
        fault = translate_pg(exc, self.conn.path)
        if fault is not None:
            raise fault from None
        return False


def translate_pg(exc: BaseException, where: str) -> StorageError | None:
    """The storage fault behind a psycopg error, in one line naming the server; None for
    SQL errors (bugs), which are not the server's fault."""
    import psycopg
    from psycopg import errors as e

    reason = _first_line(exc)
    if isinstance(exc, e.DiskFull | e.OutOfMemory):
        return StorageError(Fault.FULL, f"the PostgreSQL server at {where} is out of space: {reason}")
    if isinstance(exc, e.ProgramLimitExceeded):  # e.g. a value too long for an index
        return StorageError(Fault.IO, f"the PostgreSQL server at {where} refused a value: {reason}")
    if isinstance(exc, e.ReadOnlySqlTransaction):
        return StorageError(Fault.READ_ONLY, f"database is read-only: {where} can be queried "
                                             "but not changed")
    if isinstance(exc, e.LockNotAvailable | e.DeadlockDetected):
        return StorageError(Fault.LOCKED, f"{where} stayed locked by another process: try again")
    if isinstance(exc, e.InsufficientPrivilege):
        return StorageError(Fault.READ_ONLY, f"not allowed on {where}: {reason}")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return StorageError(Fault.IO, f"the PostgreSQL server at {where} cannot be used: {reason}")
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def connect(url: DatabaseUrl) -> PgConnection:
    """Open the database at `url`; an unreachable server or a refused login is one
    StorageError line without the password."""
    try:
        import psycopg
    except ImportError:
        raise StorageError(Fault.NO_FILE, "BRIEFBOT_DATABASE_URL needs psycopg: "
                                          "pip install 'briefbot[postgresql]'") from None
    try:
        raw = psycopg.connect(url.dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                              application_name="briefbot")
    except psycopg.Error as exc:
        reason = _first_line(exc).replace(url.dsn, str(url))
        raise StorageError(Fault.NO_FILE, f"cannot connect to {url}: {reason}") from None
    _register_types(raw)
    return PgConnection(raw, url)


def _register_types(raw: Any) -> None:
    """bool -> integer (SQLite's 0/1 columns), numeric -> int or float (SUM of bigint)."""
    from psycopg.adapt import Dumper, Loader

    int8 = raw.adapters.types["int8"].oid

    class BoolAsInt(Dumper):
        oid = int8

        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    class NumericAsNumber(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            return float(text) if any(c in text for c in ".eEN") else int(text)

    from psycopg.types.string import StrDumperUnknown

    class TextWithoutNul(StrDumperUnknown):
        """PostgreSQL text cannot hold NUL, which SQLite stores and matches as any other
        character: a question or page carrying one would fail as a server error instead
        of being answered. NUL carries no meaning in text, so it is dropped."""

        def dump(self, obj: str) -> Any:
            return super().dump(obj.replace("\x00", "") if "\x00" in obj else obj)

    raw.adapters.register_dumper(bool, BoolAsInt)
    raw.adapters.register_dumper(str, TextWithoutNul)
    raw.adapters.register_loader("numeric", NumericAsNumber)


class PgDatabase:
    """The little of sqlite_utils.Database the stores use on an open connection."""

    backend = Backend.POSTGRES

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


_TEXT = re.compile(r"\bTEXT\b")


def ddl(db: Any, *statements: str) -> None:
    """Run PostgreSQL DDL for a migration step. Every TEXT column gets COLLATE "C": ORDER BY
    then compares as SQLite does (by code point), whatever the server's default locale."""
    for sql in statements:
        db.conn.execute(_TEXT.sub('TEXT COLLATE "C"', sql))
