"""Opening the SQLite file, migrating its schema, and the one write-transaction helper.

Each component (the index, digests, feeds) owns an ordered list of migration
steps; `migrate` applies the ones a database has not seen yet, each in its own
transaction, and records them in `schema_versions`. A killed process therefore
leaves the schema at a whole step, never half-way. The version is read again
INSIDE the write transaction, so processes racing to open a new file apply each
step once and all end with the same schema.

A briefbot database carries `PRAGMA application_id` = APPLICATION_ID, so a file
of another program is refused before anything is written to it. A file we may
not write is opened read-only: questions are still answered, writes fail with
"database is read-only". Storage faults (disk full, read-only, not a database...)
become one `StorageError` line naming the file and the real cause.
"""

from __future__ import annotations

import enum
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from bot.index.backend import Backend, DatabaseUrl, backend_of, redact_database

log = logging.getLogger(__name__)

Step = Callable[[sqlite_utils.Database], None]

#: "BRFB" in ASCII: marks a SQLite file as briefbot's (`PRAGMA application_id`).
APPLICATION_ID = int.from_bytes(b"BRFB", "big")
#: The comment on `schema_versions` that marks a PostgreSQL database as briefbot's.
PG_MARK = "briefbot"
#: Components whose rows in `schema_versions` prove an unmarked file is an older briefbot database.
COMPONENTS = frozenset({"index", "digests", "feeds", "jobs"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
#: Seconds a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT = 30


class Fault(enum.Enum):
    """Why the database cannot be used; tests and callers branch on this, users read the text."""

    NO_FILE = "no file"
    READ_ONLY = "read-only"
    FULL = "full"
    FOREIGN = "foreign"
    NOT_SQLITE = "not sqlite"
    CORRUPT = "corrupt"
    OUTDATED = "outdated"
    NEWER = "newer"
    LOCKED = "locked"
    IO = "io"
    #: Built with another sentence encoder (bot/index/vector_space.py).
    ENCODER = "encoder"


class StorageError(Exception):
    """The database file cannot be opened or written; the message is one line naming it.

    `completed` is what a batch write (Index.add_many) finished before the fault, so a
    caller can report exact counts.
    """

    def __init__(self, fault: Fault, message: str) -> None:
        # one line even when a path holds a line break: show control characters escaped
        super().__init__(_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(),
                                      message))
        self.fault = fault
        self.completed: list = []


class Connection(sqlite3.Connection):
    """A connection that remembers its file and whether it is read-only, for messages."""

    path: str = ":memory:"
    read_only: bool = False
    backend = Backend.SQLITE


# --- opening ---------------------------------------------------------------------------------

def connect(path: str | Path | DatabaseUrl) -> sqlite_utils.Database:
    """Open a briefbot database (creating it and its folders as needed).

    A `DatabaseUrl` (or a postgresql:// string) opens PostgreSQL instead, through
    bot.index.pg, whose connection has the same surface; every store works on either.

    Writable files get WAL, foreign keys and a busy timeout; a file or folder we may
    not write is opened read-only. Another program's SQLite file, a folder, a file
    that is not SQLite, or an empty path raise StorageError.
    """
    if backend_of(path) is Backend.POSTGRES:
        from bot.index import pg

        url = path if isinstance(path, DatabaseUrl) else _url(str(path))
        return pg.PgDatabase(pg.connect(url))  # type: ignore[return-value]  # same surface
    if not str(path).strip() or "\0" in str(path):
        raise StorageError(Fault.NO_FILE, f"no usable database file given ({str(path)[:60]!r}): "
                                          "name a SQLite file with --db or BRIEFBOT_DB")
    if str(path) == ":memory:":
        conn = _open(":memory:", uri=False)
        _configure(conn, read_only=False)
        return sqlite_utils.Database(conn)
    assert not isinstance(path, DatabaseUrl)
    file = Path(path).expanduser()
    try:
        if file.is_dir():
            raise StorageError(Fault.NO_FILE, f"{file} is a folder, not a database file")
        read_only = _must_open_read_only(file)
        conn = _open_read_only(file) if read_only else _open(str(file), uri=False)
    except OSError as exc:  # a name too long, a path through a file...
        raise StorageError(Fault.NO_FILE, f"cannot use {file}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise translate(exc, file) or exc from None
    conn.path, conn.read_only = str(file), read_only
    try:
        _configure(conn, read_only=read_only)
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, file) or exc from None
    except StorageError:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


def _url(text: str) -> DatabaseUrl:
    try:
        return DatabaseUrl(text)
    except ValueError as exc:
        raise StorageError(Fault.NO_FILE, f"bad database URL {redact_database(text)}: {exc}") from None


def _open(target: str, *, uri: bool) -> Connection:
    conn = sqlite3.connect(target, uri=uri, check_same_thread=False, timeout=BUSY_TIMEOUT,
                           isolation_level=None, factory=Connection)
    assert isinstance(conn, Connection)
    return conn


def _open_read_only(file: Path) -> Connection:
    """`mode=ro`; on read-only media a WAL file without its -shm needs `immutable=1`."""
    target = "file:" + quote(str(file.resolve()))
    conn = _open(target + "?mode=ro", uri=True)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError as exc:
        if _code(exc) != sqlite3.SQLITE_CANTOPEN or Path(f"{file}-wal").exists():
            conn.close()
            raise translate(exc, file) or exc from None
        conn.close()
        # Nothing can be writing a file in a folder nobody may write: reading it as is is safe.
        conn = _open(target + "?mode=ro&immutable=1", uri=True)
    return conn


def _configure(conn: Connection, *, read_only: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")
    conn.execute("PRAGMA foreign_keys=ON")
    identify(conn)  # before anything below writes to the file
    if not read_only:
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0:
            # takes effect at once on a new file; an older file needs one VACUUM
            # (Index.maintain), until then freed pages are reused but not given back
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")


def _must_open_read_only(file: Path) -> bool:
    """True when we may read but not write the file (or the folder its journal goes in).

    Permission bits count even for root, who could otherwise write a file its owner
    marked read-only (chmod 444)."""
    if file.exists():
        return not (_writable(file) and _writable(file.parent))
    folder = file.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not _writable(folder):
        raise StorageError(Fault.READ_ONLY, f"cannot create {file}: the folder {folder} is read-only")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(Fault.NO_FILE, f"cannot create the folder for {file}: "
                                          f"{exc.strerror or exc}") from None
    return False


def _writable(path: Path) -> bool:
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


# --- identity --------------------------------------------------------------------------------

def identify(conn: sqlite3.Connection) -> bool:
    """Whether the file is marked as briefbot's; raise StorageError for another program's file.

    False means "ours but not marked yet": a new empty file, or an older briefbot
    database (its `schema_versions` names our components); `migrate` marks it.
    """
    path = _path(conn)
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    if app == APPLICATION_ID:
        return True
    if app != 0:
        raise StorageError(Fault.FOREIGN, f"{path} is not a briefbot database: it belongs to "
                                          f"another program (SQLite application_id {app:#010x}); "
                                          "choose another --db")
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if tables and not _has_briefbot_versions(conn, tables):
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise StorageError(Fault.FOREIGN, f"{path} is not a briefbot database: it holds another "
                                          f"program's tables ({shown}); choose another --db")
    return False


def _has_briefbot_versions(conn: sqlite3.Connection, tables: Sequence[str]) -> bool:
    if "schema_versions" not in tables:
        return False
    try:
        rows = conn.execute("SELECT component FROM schema_versions").fetchall()
    except sqlite3.OperationalError:  # a table of that name, but not ours
        return False
    except Exception as exc:  # the same on PostgreSQL (an undefined column)
        if getattr(exc, "sqlstate", "") and str(getattr(exc, "sqlstate", "")).startswith("42"):
            return False
        raise
    return any(r[0] in COMPONENTS for r in rows)


# --- migrations ------------------------------------------------------------------------------

def migrate(db: sqlite_utils.Database, component: str, steps: Sequence[Step],
            pg_steps: Sequence[Step] | None = None) -> int:
    """Apply the steps of `component` this database lacks; return its version.

    Each step runs in its own BEGIN IMMEDIATE transaction that first reads the version
    again: of several processes opening a new file, one applies a step and the others
    find it done. A read-only file is used as it is if current, else refused.
    On PostgreSQL the component's own `pg_steps` are applied the same way (the write
    transaction's advisory lock plays BEGIN IMMEDIATE's part).
    """
    conn = db.conn
    if getattr(conn, "backend", None) is Backend.POSTGRES:
        return _migrate_pg(db, component, pg_steps)
    version = _version(conn, component)
    if version > len(steps):
        raise StorageError(Fault.NEWER, f"{_path(conn)} was written by a newer briefbot "
                                        f"({component} schema {version}, this one knows "
                                        f"{len(steps)}): upgrade briefbot")
    marked = conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    if version == len(steps) and (marked or getattr(conn, "read_only", False)):
        return version
    if getattr(conn, "read_only", False):
        raise StorageError(Fault.OUTDATED, f"{_path(conn)} is read-only and its {component} "
                                           f"tables need creating or upgrading (schema {version} "
                                           f"of {len(steps)}): open it once with write access")
    while True:
        with transaction(conn):
            if not identify(conn):
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_versions ("
                         "component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            version = _version(conn, component)
            if version >= len(steps):
                return version
            steps[version](db)
            conn.execute("INSERT INTO schema_versions(component, version) VALUES (?, ?) "
                         "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                         [component, version + 1])


def _migrate_pg(db: sqlite_utils.Database, component: str,
                pg_steps: Sequence[Step] | None) -> int:
    conn = db.conn
    if pg_steps is None:
        raise StorageError(Fault.OUTDATED, f"the {component} tables have no PostgreSQL schema "
                                           "in this briefbot: use a SQLite file (BRIEFBOT_DB)")
    _refuse_foreign_pg(conn)
    if _version(conn, component) == len(pg_steps):
        return len(pg_steps)  # current: no write, no lock (stores are opened per command)
    while True:
        with transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS schema_versions ("
                         "component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            if not _marked_pg(conn):  # PostgreSQL's stand-in for SQLite's application_id
                conn.execute(f"COMMENT ON TABLE schema_versions IS '{PG_MARK}'")
            version = _version(conn, component)
            if version > len(pg_steps):
                raise StorageError(Fault.NEWER, f"{_path(conn)} was written by a newer briefbot "
                                                f"({component} schema {version}, this one knows "
                                                f"{len(pg_steps)}): upgrade briefbot")
            if version == len(pg_steps):
                return version
            pg_steps[version](db)
            conn.execute("INSERT INTO schema_versions(component, version) VALUES (?, ?) "
                         "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                         [component, version + 1])


def _refuse_foreign_pg(conn: sqlite3.Connection) -> None:
    """A database holding another program's tables is not written to."""
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "ORDER BY table_name")]
    if tables and not ("schema_versions" in tables and _marked_pg(conn)):
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise StorageError(Fault.FOREIGN, f"{_path(conn)} is not a briefbot database: it holds "
                                          f"another program's tables ({shown}); "
                                          "choose another database")


def _marked_pg(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT obj_description(to_regclass('schema_versions'), 'pg_class')"
                       ).fetchone()
    return bool(row and row[0] == PG_MARK)


def _version(conn: sqlite3.Connection, component: str) -> int:
    try:
        row = conn.execute("SELECT version FROM schema_versions WHERE component = ?",
                           [component]).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    except Exception as exc:  # PostgreSQL: undefined table
        if getattr(exc, "sqlstate", None) == "42P01":
            return 0
        raise
    return row[0] if row else 0


# --- writing ---------------------------------------------------------------------------------

@contextmanager
def transaction(conn: sqlite3.Connection, *, serialised: bool = True
                ) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; on any error roll back without hiding the error.

    On PostgreSQL BEGIN IMMEDIATE also takes the one advisory write lock (bot.index.pg),
    so write transactions run one at a time there too. `serialised=False` skips that
    lock on PostgreSQL, for work that locks its own rows (`FOR UPDATE SKIP LOCKED`) and
    must not wait for every other writer; on SQLite every write transaction is serialised.

    SQLite rolls a transaction back by itself on some errors (disk full, I/O): a
    ROLLBACK then fails with "no transaction is active" and would replace the real
    cause, so roll back only while one is open. Storage faults become StorageError.
    """
    postgres = getattr(conn, "backend", None) is Backend.POSTGRES
    try:
        conn.execute("BEGIN" if postgres and not serialised else "BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:  # the original error is the one worth reporting
                log.warning("rollback failed after %s", exc, exc_info=True)
        if isinstance(exc, sqlite3.Error):
            fault = translate(exc, _path(conn))
            if fault is not None:
                raise fault from exc
        raise


def read_only_error(path: object) -> StorageError:
    return StorageError(Fault.READ_ONLY, f"database is read-only: {path} can be queried "
                                         "but not changed")


def translate(exc: sqlite3.Error, path: object) -> StorageError | None:
    """The storage fault behind an sqlite3 error, in one line naming the file; None for others
    (constraint violations, SQL bugs), which are not the disk's or the file's fault."""
    code = _code(exc)
    if code == sqlite3.SQLITE_FULL:
        return StorageError(Fault.FULL, f"the disk is full (or the database reached its size "
                                        f"limit): nothing more could be written to {path}")
    if code == sqlite3.SQLITE_READONLY:
        return read_only_error(path)
    if code == sqlite3.SQLITE_NOTADB:
        return StorageError(Fault.NOT_SQLITE, f"{path} is not a SQLite database")
    if code == sqlite3.SQLITE_CORRUPT:
        return StorageError(Fault.CORRUPT, f"{path} is damaged (SQLite: {exc})")
    if code == sqlite3.SQLITE_CANTOPEN:
        return StorageError(Fault.NO_FILE, f"cannot open {path} (SQLite: {exc})")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StorageError(Fault.LOCKED, f"{path} stayed locked by another process for "
                                          f"{BUSY_TIMEOUT} s: try again")
    if code == sqlite3.SQLITE_IOERR:
        return StorageError(Fault.IO, f"disk I/O error on {path} (SQLite: {exc})")
    return None


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF  # extended codes carry the primary in the low byte


def _path(conn: sqlite3.Connection) -> str:
    return getattr(conn, "path", None) or "the database"
