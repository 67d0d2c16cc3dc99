"""The loopback PostgreSQL server the backend tests run on: it starts, and each test's
database is its own."""

from __future__ import annotations

from pg_server import postgres_server, postgres_url  # noqa: F401


def test_each_test_gets_an_empty_database_on_loopback(postgres_url):
    import psycopg

    assert "@127.0.0.1:" in postgres_url
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)
        version = conn.execute("SHOW server_version_num").fetchone()[0]
    assert int(version) >= 150000
