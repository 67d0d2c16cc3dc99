"""Slack installations (one bot token per workspace) and OAuth states, in briefbot's database.

With SLACK_CLIENT_ID set, workspaces install the app through Slack's OAuth flow
(Bolt's /slack/install and /slack/oauth_redirect); Bolt stores what it gets here
and looks the token up again for every request from that workspace. The tables
live in the same SQLite file as everything else (component "slack_installs"), so
one backup holds them; that file now holds bot tokens, so keep it private
(docs/deploy.md). Tokens are never logged and never part of a repr.

Digests and feed notices are posted outside any request, to a channel: which
workspace a channel belongs to is recorded whenever a command arrives from it
(`remember_channel`), so they go out with that workspace's token.
"""

from __future__ import annotations

import logging
import threading
import time
from logging import Logger
from pathlib import Path
from secrets import token_urlsafe

import sqlite_utils
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.index.backend import DatabaseUrl
from bot.index.db import connect, migrate, transaction
from bot.index.pg import ddl
from bot.workspaces import AllowList, ChatPlatform

log = logging.getLogger(__name__)

#: How long an install link stays usable (Slack's own default is 10 minutes).
STATE_SECONDS = 600


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE slack_installations (
        enterprise_id TEXT NOT NULL DEFAULT '',
        team_id TEXT NOT NULL DEFAULT '',
        team_name TEXT NOT NULL DEFAULT '',
        app_id TEXT,
        bot_id TEXT NOT NULL,
        bot_user_id TEXT NOT NULL,
        bot_token TEXT NOT NULL,
        bot_scopes TEXT NOT NULL DEFAULT '',
        bot_refresh_token TEXT,
        bot_token_expires_at INTEGER,
        is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        installer_user_id TEXT,
        installed_at REAL NOT NULL,
        PRIMARY KEY (enterprise_id, team_id))""")
    db.execute("""CREATE TABLE slack_oauth_states (
        state TEXT PRIMARY KEY,
        expires_at REAL NOT NULL)""")
    db.execute("""CREATE TABLE slack_channel_teams (
        channel_id TEXT PRIMARY KEY,
        team_id TEXT NOT NULL,
        seen_at REAL NOT NULL)""")


STEPS = [_v1]


def _pg_v1(db: sqlite_utils.Database) -> None:
    """PostgreSQL: the same tables (REAL seconds become double precision)."""
    ddl(db, """CREATE TABLE slack_installations (
        enterprise_id TEXT NOT NULL DEFAULT '',
        team_id TEXT NOT NULL DEFAULT '',
        team_name TEXT NOT NULL DEFAULT '',
        app_id TEXT,
        bot_id TEXT NOT NULL,
        bot_user_id TEXT NOT NULL,
        bot_token TEXT NOT NULL,
        bot_scopes TEXT NOT NULL DEFAULT '',
        bot_refresh_token TEXT,
        bot_token_expires_at BIGINT,
        is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        installer_user_id TEXT,
        installed_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (enterprise_id, team_id))""", """CREATE TABLE slack_oauth_states (
        state TEXT PRIMARY KEY,
        expires_at DOUBLE PRECISION NOT NULL)""", """CREATE TABLE slack_channel_teams (
        channel_id TEXT PRIMARY KEY,
        team_id TEXT NOT NULL,
        seen_at DOUBLE PRECISION NOT NULL)""")


PG_STEPS = [_pg_v1]


class NotServedError(BoltError):
    """An install from a workspace BRIEFBOT_WORKSPACES does not list."""


class SlackInstallStore(AsyncInstallationStore, AsyncOAuthStateStore):
    """Bolt's installation store and OAuth state store over one SQLite connection."""

    def __init__(self, path: str | Path | DatabaseUrl, allow_list: AllowList | None = None) -> None:
        self._db = connect(path)
        migrate(self._db, "slack_installs", STEPS, PG_STEPS)
        self._lock = threading.Lock()
        self._allow = allow_list or AllowList()

    def __repr__(self) -> str:
        return "SlackInstallStore()"

    @property
    def logger(self) -> Logger:
        return log

    def close(self) -> None:
        with self._lock:
            self._db.conn.close()

    # --- installations ------------------------------------------------------------------
    async def async_save(self, installation: Installation) -> None:
        await self.async_save_bot(installation.to_bot())
        if installation.user_id:
            with self._lock, transaction(self._db.conn) as conn:
                conn.execute("UPDATE slack_installations SET installer_user_id = ? "
                             "WHERE enterprise_id = ? AND team_id = ?",
                             [installation.user_id, installation.enterprise_id or "",
                              _team_key(installation.team_id, installation.is_enterprise_install)])

    async def async_save_bot(self, bot: Bot) -> None:
        team = _team_key(bot.team_id, bot.is_enterprise_install)
        served = bot.enterprise_id if bot.is_enterprise_install else bot.team_id
        if not self._allow.allows(ChatPlatform.SLACK, served):
            log.warning("refused to install in Slack workspace %s (%r): it is not in "
                        "BRIEFBOT_WORKSPACES", served, bot.team_name)
            raise NotServedError(f"workspace {served} is not served")
        expires = bot.bot_token_expires_at
        with self._lock, transaction(self._db.conn) as conn:
            conn.execute(
                """INSERT INTO slack_installations (enterprise_id, team_id, team_name, app_id,
                       bot_id, bot_user_id, bot_token, bot_scopes, bot_refresh_token,
                       bot_token_expires_at, is_enterprise_install, installed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (enterprise_id, team_id) DO UPDATE SET
                       team_name = excluded.team_name, app_id = excluded.app_id,
                       bot_id = excluded.bot_id, bot_user_id = excluded.bot_user_id,
                       bot_token = excluded.bot_token, bot_scopes = excluded.bot_scopes,
                       bot_refresh_token = excluded.bot_refresh_token,
                       bot_token_expires_at = excluded.bot_token_expires_at,
                       is_enterprise_install = excluded.is_enterprise_install,
                       installed_at = excluded.installed_at""",
                [bot.enterprise_id or "", team, bot.team_name or "", bot.app_id, bot.bot_id,
                 bot.bot_user_id, bot.bot_token, ",".join(bot.bot_scopes),
                 bot.bot_refresh_token, expires, int(bool(bot.is_enterprise_install)),
                 bot.installed_at])
        log.info("Slack workspace %s (%r) installed briefbot", served, bot.team_name)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        return self.find_bot(enterprise_id=enterprise_id, team_id=team_id,
                             is_enterprise_install=is_enterprise_install)

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        """The workspace's bot installation; for a workspace of an org-wide install, the org's."""
        with self._lock:
            row = self._db.conn.execute(
                "SELECT enterprise_id, team_id, team_name, app_id, bot_id, bot_user_id, "
                "bot_token, bot_scopes, bot_refresh_token, bot_token_expires_at, "
                "is_enterprise_install, installed_at FROM slack_installations "
                "WHERE (enterprise_id = ? AND team_id = ?) "
                "OR (? <> '' AND enterprise_id = ? AND is_enterprise_install = 1) "
                "ORDER BY is_enterprise_install LIMIT 1",
                [enterprise_id or "", _team_key(team_id, is_enterprise_install),
                 enterprise_id or "", enterprise_id or ""]).fetchone()
        if row is None:
            return None
        return Bot(enterprise_id=row[0] or None, team_id=row[1] or None, team_name=row[2],
                   app_id=row[3], bot_id=row[4], bot_user_id=row[5], bot_token=row[6],
                   bot_scopes=row[7], bot_refresh_token=row[8], bot_token_expires_at=row[9],
                   is_enterprise_install=bool(row[10]), installed_at=row[11])

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False
                                      ) -> Installation | None:
        bot = self.find_bot(enterprise_id=enterprise_id, team_id=team_id,
                            is_enterprise_install=is_enterprise_install)
        if bot is None or user_id is not None:
            return None  # only bot tokens are kept: there are no user installations
        return Installation(
            app_id=bot.app_id, enterprise_id=bot.enterprise_id, team_id=bot.team_id,
            team_name=bot.team_name, bot_token=bot.bot_token, bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id, bot_scopes=bot.bot_scopes,
            bot_refresh_token=bot.bot_refresh_token,
            bot_token_expires_at=bot.bot_token_expires_at, user_id="",
            is_enterprise_install=bot.is_enterprise_install, installed_at=bot.installed_at)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self._lock, transaction(self._db.conn) as conn:
            conn.execute("DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?",
                         [enterprise_id or "", team_id or ""])
        log.info("Slack workspace %s uninstalled briefbot (or revoked its token)",
                 team_id or enterprise_id)

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None, user_id: str | None = None) -> None:
        if user_id is None:
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def installed_teams(self) -> list[str]:
        """The team (or org) ids with a stored token, for the start-up log line."""
        with self._lock:
            rows = self._db.conn.execute(
                "SELECT CASE WHEN team_id = '' THEN enterprise_id ELSE team_id END "
                "FROM slack_installations ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    # --- which workspace a channel is in ------------------------------------------------
    def remember_channel(self, channel_id: str, team_id: str) -> None:
        """Record that `channel_id` is in `team_id` (a command just came from there)."""
        if not channel_id or not team_id:
            return
        with self._lock, transaction(self._db.conn) as conn:
            conn.execute("INSERT INTO slack_channel_teams (channel_id, team_id, seen_at) "
                         "VALUES (?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
                         "team_id = excluded.team_id, seen_at = excluded.seen_at",
                         [channel_id, team_id, time.time()])

    def team_of(self, channel_id: str) -> str | None:
        with self._lock:
            row = self._db.conn.execute("SELECT team_id FROM slack_channel_teams "
                                        "WHERE channel_id = ?", [channel_id]).fetchone()
        return row[0] if row else None

    # --- OAuth states (one-time, expiring) ------------------------------------------------
    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = token_urlsafe(24)
        now = time.time()
        with self._lock, transaction(self._db.conn) as conn:
            conn.execute("DELETE FROM slack_oauth_states WHERE expires_at < ?", [now])
            conn.execute("INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)",
                         [state, now + STATE_SECONDS])
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state this store issued and that has not expired."""
        with self._lock, transaction(self._db.conn) as conn:
            row = conn.execute("DELETE FROM slack_oauth_states WHERE state = ? "
                               "RETURNING expires_at", [state]).fetchone()
        return row is not None and row[0] >= time.time()


def _team_key(team_id: str | None, is_enterprise_install: bool | None) -> str:
    """An org-wide install is stored under its enterprise id with no team."""
    return "" if is_enterprise_install else (team_id or "")
