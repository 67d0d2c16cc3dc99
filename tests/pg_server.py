"""A real PostgreSQL server on loopback for the tests, started from Debian's binaries.

`postgres_dsn` (session scope) runs `initdb` into a temporary folder and `pg_ctl start`
on 127.0.0.1 with a free port; as root it runs them as the `postgres` user, since the
server refuses to run as root. Each test that wants a clean database asks for
`postgres_url`, which creates a fresh database and drops it afterwards.

Where no server can be started (no binaries, no `postgres` user, no psycopg) the tests
that need one skip with the reason; with BRIEFBOT_REQUIRE_POSTGRES=1 (set by .ci/run)
they fail instead, so CI never silently skips the PostgreSQL half.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE = os.environ.get("BRIEFBOT_REQUIRE_POSTGRES", "") not in ("", "0", "false")


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (BRIEFBOT_REQUIRE_POSTGRES=1) for want of a server."""
    if REQUIRE:
        pytest.fail(f"PostgreSQL is required here (BRIEFBOT_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def _bindir() -> Path | None:
    env = os.environ.get("BRIEFBOT_PG_BINDIR")
    candidates = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres() -> dict:
    """subprocess arguments that drop root to the `postgres` user (no-op for others)."""
    if os.geteuid() != 0:
        return {}
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        unavailable("running as root and there is no `postgres` user to run the server as")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


class PostgresServer:
    """One throwaway cluster: trust authentication, loopback only, fsync off (tests only)."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.root = bindir, root
        self.data, self.sock = root / "data", root / "sock"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> None:
        done = subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True,
                              text=True, timeout=120, **_as_postgres())
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-800:]}")

    def start(self) -> None:
        self.sock.mkdir(parents=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for p in (self.root, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.sock} -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[test]')")
    bindir = _bindir()
    if bindir is None:
        unavailable("no initdb/pg_ctl found (apt-get install -y postgresql)")
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
    os.chmod(root, 0o755)
    server = PostgresServer(bindir, root)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        unavailable(str(exc))
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.url(name)
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_urls(postgres_server: PostgresServer) -> Iterator[object]:
    """`make()` -> a fresh, empty database URL per call (all dropped after the test), for
    tests that compare two or more databases built differently."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return postgres_server.url(name)

    yield make
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
