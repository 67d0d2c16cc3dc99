"""PostgreSQL for the benchmarks: a server (the one given, or a throwaway one on loopback)
and a fresh database per measured setup.

One home for what bench/pg_answers.py, bench/ingest_workers.py and
bench/digest_processes.py share. The throwaway server is tests/pg_server.py's (Debian's
binaries, trust authentication, 127.0.0.1, fsync off): figures from it are the server's
best case on this machine, not a tuned production server's.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


class NoServer(Exception):
    """No PostgreSQL server could be had; the message says why (benches skip with it)."""


@contextmanager
def server(admin_url: str | None = None) -> Iterator[str]:
    """An admin URL (one that may CREATE DATABASE): `admin_url` as given, else a throwaway
    server's, stopped and removed on exit. Raises NoServer when none can be started."""
    if admin_url:
        yield admin_url
        return
    import pg_server

    bindir = pg_server._bindir()
    if bindir is None:
        raise NoServer("no initdb/pg_ctl (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="briefbot-pgbench-"))
    os.chmod(root, 0o755)  # the postgres user must reach it
    cluster = pg_server.PostgresServer(bindir, root)
    try:
        try:
            cluster.start()
        except (RuntimeError, OSError) as exc:
            raise NoServer(str(exc)) from None
        yield cluster.url()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` on the server; its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name` (and any connection still on it)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """A fresh database for one measured setup, dropped afterwards."""
    url = fresh_database(admin_url, name)
    try:
        yield url
    finally:
        drop_database(admin_url, name)
