"""Which database a briefbot talks to: a SQLite file (the embedded default) or PostgreSQL.

`DatabaseUrl` is what `BRIEFBOT_DATABASE_URL=postgresql://…` becomes: checked once when
the settings load (a bad URL is one clear line), and printed everywhere — logs, errors,
status lines — without its password, so a `str()` or an f-string can never leak it. The
real connection string is only ever read from `.dsn`, by `bot.index.pg.connect`.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic_core import core_schema

SCHEMES = ("postgresql", "postgres")


class Backend(enum.Enum):
    """The two storage engines behind the one interface (docs/storage.md)."""

    SQLITE = "sqlite"
    POSTGRES = "postgresql"


class DatabaseUrl:
    """A checked `postgresql://user:password@host:port/dbname?options` URL that never shows
    its password (nor any `password=` option) when printed."""

    __slots__ = ("_dsn", "_shown")

    def __init__(self, url: str) -> None:
        url = str(url).strip()
        try:
            parts = urlsplit(url)
            port = parts.port  # raises on a port out of range or not a number
        except ValueError as exc:
            raise ValueError(f"not a URL ({exc}); expected "
                             "postgresql://user:password@host:5432/dbname") from None
        if parts.scheme.lower() not in SCHEMES:
            raise ValueError("expected a postgresql:// URL "
                             "(postgresql://user:password@host:5432/dbname); "
                             "for a SQLite file use BRIEFBOT_DB instead")
        options = dict(parse_qsl(parts.query))
        dbname = unquote(parts.path.lstrip("/"))
        if "/" in dbname:
            raise ValueError("the database name may not contain '/': "
                             "expected postgresql://user:password@host:5432/dbname")
        if not (parts.hostname or options.get("host")):
            raise ValueError("no server named: expected postgresql://user:password@host:5432/dbname")
        if not (dbname or options.get("dbname")):
            raise ValueError("no database named: expected postgresql://user:password@host:5432/dbname")
        self._dsn = url
        host = parts.hostname or options.get("host", "")
        if ":" in host and not host.startswith("/"):
            host = f"[{host}]"
        user = f"{unquote(parts.username)}@" if parts.username else ""
        self._shown = (f"postgresql://{user}{host}{f':{port}' if port else ''}/"
                       f"{dbname or options.get('dbname', '')}")

    @property
    def dsn(self) -> str:
        """The URL as given, password included: for the driver only, never for printing."""
        return self._dsn

    def __str__(self) -> str:
        return self._shown

    def __repr__(self) -> str:
        return f"DatabaseUrl({self._shown!r})"

    def __format__(self, spec: str) -> str:
        return format(self._shown, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseUrl) and other._dsn == self._dsn

    def __hash__(self) -> int:
        return hash(self._dsn)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            lambda v: v if isinstance(v, DatabaseUrl) else cls(str(v)))


#: What a store is opened on: a SQLite file (or ":memory:") or a PostgreSQL URL.
Target = str | Path | DatabaseUrl


def backend_of(target: Target) -> Backend:
    if isinstance(target, DatabaseUrl):
        return Backend.POSTGRES
    scheme = str(target).split(":", 1)[0].lower()
    return Backend.POSTGRES if scheme in SCHEMES and "://" in str(target) else Backend.SQLITE


def redact_database(text: object) -> str:
    """A database URL or path as it may be shown: any URL loses its password and options."""
    if isinstance(text, DatabaseUrl):
        return str(text)
    if "://" not in str(text):
        return str(text)
    try:
        parts = urlsplit(str(text))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"
