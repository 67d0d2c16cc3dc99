"""Whose answer is it: the one place a request or a subscription becomes a Scope.

A command asked in a Discord server or Slack workspace draws on the base corpus and that
workspace's own feeds and ingests. A direct message draws on the base corpus and the
workspaces where that user has run a command (recorded here, in `workspace_members`,
each time they do). The CLI sees the base corpus, or what one workspace sees with
`--workspace discord:123` (the operator's view). See bot.workspaces for Scope and owners.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from bot.index.backend import DatabaseUrl
from bot.index.db import StorageError, connect, migrate, transaction
from bot.workspaces import BASE, ChatPlatform, Scope, owner_of

if TYPE_CHECKING:  # pragma: no cover
    from bot.core import Request
    from bot.digests.store import Subscription
    from bot.services import Services

log = logging.getLogger(__name__)

#: Where the operator's `--workspace` choice travels in Request.extra (an owner string).
OPERATOR_WORKSPACE = "workspace"
#: Platforms whose conversations belong to servers/workspaces.
CHAT_PLATFORMS = frozenset(p.value for p in ChatPlatform)


def workspace_of(req: Request) -> str:
    """The owner a request acts for: the operator's `--workspace`, else the Discord server
    or Slack team it came from, else BASE (the console, a Discord DM)."""
    extra = req.extra or {}
    chosen = extra.get(OPERATOR_WORKSPACE)
    if chosen:
        return str(chosen)
    return owner_of(req.platform, extra.get("guild_id") or extra.get("team_id"))


def may_add_for(req: Request) -> str | None:
    """The owner that feeds and ingests made by this request belong to, or None where
    nothing may be added: a chat DM with no workspace (Discord) would otherwise add to
    everybody's base corpus, which only the operator (CLI) adds to."""
    owner = workspace_of(req)
    if owner == BASE and req.is_direct and req.platform in CHAT_PLATFORMS:
        return None
    return owner


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE workspace_members (platform TEXT NOT NULL, user_id TEXT NOT NULL, "
               "ws TEXT NOT NULL, first_seen TEXT NOT NULL, PRIMARY KEY (platform, user_id, ws))")


def _pg_v1(db: sqlite_utils.Database) -> None:
    from bot.index.pg import ddl

    ddl(db, "CREATE TABLE workspace_members (platform TEXT NOT NULL, user_id TEXT NOT NULL, "
            "ws TEXT NOT NULL, first_seen TEXT NOT NULL, PRIMARY KEY (platform, user_id, ws))")


COMPONENT = "members"
STEPS = [_v1]
PG_STEPS = [_pg_v1]


class MemberStore:
    """Which workspaces each chat user has used the bot in; opened on first use."""

    def __init__(self, path: str | Path | DatabaseUrl) -> None:
        self.path = path
        self._db: sqlite_utils.Database | None = None
        self._lock = threading.Lock()
        #: Pairs already recorded by this process: a command writes nothing after the first.
        self._known: set[tuple[str, str, str]] = set()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = connect(self.path)
            migrate(self._db, COMPONENT, STEPS, PG_STEPS)
        return self._db.conn

    def record(self, platform: str, user_id: str, ws: str, now: datetime) -> None:
        """Remember that `user_id` ran a command in workspace `ws` (once per pair)."""
        if not user_id or not ws or (platform, user_id, ws) in self._known:
            return
        with self._lock:
            conn = self._conn()
            with transaction(conn):
                conn.execute("INSERT INTO workspace_members(platform, user_id, ws, first_seen) "
                             "VALUES (?, ?, ?, ?) ON CONFLICT(platform, user_id, ws) DO NOTHING",
                             [platform, user_id, ws, now.astimezone(UTC).isoformat()])
            self._known.add((platform, user_id, ws))

    def workspaces(self, platform: str, user_id: str) -> list[str]:
        if not user_id:
            return []
        with self._lock:
            return [r[0] for r in self._conn().execute(
                "SELECT ws FROM workspace_members WHERE platform = ? AND user_id = ? ORDER BY ws",
                [platform, user_id])]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.conn.close()
                self._db = None


def scope_for(req: Request, services: Services) -> Scope:
    """The Scope a request's answer draws on; records the user's workspace as it goes."""
    owner = workspace_of(req)
    if owner != BASE and req.platform in CHAT_PLATFORMS:
        try:
            services.members.record(req.platform, req.user_id, owner, services.clock())
        except (StorageError, sqlite3.Error) as exc:  # a read-only file still answers
            log.warning("could not record %s's use of %s: %s", req.user_id, owner, exc)
    if req.is_direct and req.platform in CHAT_PLATFORMS:
        try:
            joined = services.members.workspaces(req.platform, req.user_id)
        except (StorageError, sqlite3.Error) as exc:  # less, never more
            log.warning("could not read %s's workspaces: %s", req.user_id, exc)
            joined = []
        return Scope.of(owner, *joined)
    return Scope.of(owner)


def scope_of_subscription(sub: Subscription, services: Services) -> Scope:
    """A digest draws on what its channel's workspace sees; a DM subscription on what its
    creator sees in DMs."""
    owner = owner_of(sub.platform, sub.workspace)
    if owner == BASE and sub.created_by and sub.platform in CHAT_PLATFORMS:
        return Scope.of(*services.members.workspaces(sub.platform, sub.created_by))
    return Scope.of(owner)
