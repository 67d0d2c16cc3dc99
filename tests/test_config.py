"""Settings: environment over .env, one clear line per bad value, secrets never printed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, Settings

GOOD_DISCORD = "MTAxMjM0NTY3ODkwMTIzNDU2Nw.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_environment_wins_over_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("BRIEFBOT_FEED_BACKFILL_DAYS=9\nBRIEFBOT_DB=/from/dotenv.db\n")
    s = Settings.load(env={"BRIEFBOT_DB": str(tmp_path / "env.db")}, dotenv=env_file)
    assert s.feed_backfill_days == 9
    assert s.db_path == tmp_path / "env.db"


def test_malformed_number_names_the_setting():
    with pytest.raises(ConfigError, match="BRIEFBOT_FETCH_MAX_BYTES is malformed"):
        Settings.load(env={"BRIEFBOT_FETCH_MAX_BYTES": "five megs"}, dotenv=None)


@pytest.mark.parametrize("env, message", [
    ({}, "DISCORD_TOKEN is not set"),
    ({"DISCORD_TOKEN": "12345"}, "DISCORD_TOKEN is malformed"),
])
def test_discord_token_problems_name_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env, dotenv=None).require_discord()


def test_good_discord_token_passes():
    Settings.load(env={"DISCORD_TOKEN": GOOD_DISCORD}, dotenv=None).require_discord()


@pytest.mark.parametrize("env, http, message", [
    ({}, False, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxp-user"}, False, "SLACK_BOT_TOKEN is malformed"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, False, "SLACK_APP_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, False, "SLACK_APP_TOKEN is malformed"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, True, "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "nothex"}, True,
     "SLACK_SIGNING_SECRET is malformed"),
])
def test_slack_setting_problems_name_the_setting(env, http, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env, dotenv=None).require_slack(http=http)


def test_secrets_never_show_in_repr_or_logs(caplog):
    s = Settings.load(env={"DISCORD_TOKEN": GOOD_DISCORD, "SLACK_BOT_TOKEN": "xoxb-sekrit-42"},
                      dotenv=None)
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("settings: %r", s)
    assert GOOD_DISCORD not in repr(s) and "xoxb-sekrit-42" not in caplog.text
    assert s.discord_token == GOOD_DISCORD  # still usable as the real value


def test_every_setting_is_documented_in_env_example():
    from dataclasses import fields
    from pathlib import Path

    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    s = Settings()
    for f in fields(Settings):
        assert f"{s.env_name(f.name)}=" in example, f.name


# --- ranges, checked at start ------------------------------------------------------------------

RANGE, FORM = "out of range", "malformed"


@pytest.mark.parametrize("name, raw, problem, accepts", [
    ("BRIEFBOT_FEED_POLL_MINUTES", "0", RANGE, "from 1 to 10080"),
    ("BRIEFBOT_FEED_POLL_MINUTES", "-5", RANGE, "from 1 to 10080"),
    ("BRIEFBOT_FEED_POLL_MINUTES", "20000", RANGE, "from 1 to 10080"),
    ("BRIEFBOT_DIGEST_GRACE_HOURS", "-3", RANGE, "from 0 to 24"),
    ("BRIEFBOT_FEED_BACKFILL_DAYS", "-1", RANGE, "from 0 to 3650"),
    ("BRIEFBOT_FETCH_TIMEOUT_SECONDS", "0", RANGE, "more than 0"),
    ("BRIEFBOT_FETCH_TIMEOUT_SECONDS", "nan", RANGE, "more than 0"),
    ("BRIEFBOT_COMMAND_TIMEOUT_SECONDS", "-1", RANGE, "more than 0"),
    ("BRIEFBOT_INGEST_MAX_BYTES", "0", RANGE, "from 1 to"),
    ("BRIEFBOT_FETCH_MAX_BYTES", "-100", RANGE, "from 1 to"),
    ("DISCORD_GUILD_IDS", "123, -4", RANGE, "positive whole numbers"),
    ("BRIEFBOT_DIGEST_DEFAULT_TZ", "Mars/Olympus", FORM, "IANA time zone"),
    ("BRIEFBOT_DIGEST_DEFAULT_TZ", "Kyiv", FORM, "did you mean Europe/Kyiv"),
    ("BRIEFBOT_DIGEST_DEFAULT_TIME", "24:30", FORM, "HH:MM"),
    ("BRIEFBOT_DIGEST_DEFAULT_TIME", "8am", FORM, "HH:MM"),
    ("BRIEFBOT_LOG_LEVEL", "chatty", FORM, "DEBUG, INFO"),
    ("BRIEFBOT_FETCH_ALLOW_PRIVATE", "perhaps", FORM, "true or false"),
    ("BRIEFBOT_FETCH_ALLOW_NETWORKS", "10.9.0.0/16, intranet", FORM, "CIDR"),
    ("SLACK_API_URL", "slack.com/api", FORM, "http(s) URL"),
    ("BRIEFBOT_DB", "   ", FORM, "path of a SQLite file"),
])
def test_a_bad_value_names_the_setting_and_what_it_accepts(name, raw, problem, accepts):
    with pytest.raises(ConfigError) as caught:
        Settings.load(env={name: raw}, dotenv=None)
    message = str(caught.value)
    assert message.startswith(f"{name} is {problem}") and accepts in message


def test_good_values_are_normalised():
    s = Settings.load(env={"BRIEFBOT_DIGEST_DEFAULT_TZ": "europe/kyiv",
                           "BRIEFBOT_DIGEST_DEFAULT_TIME": "7:05", "BRIEFBOT_LOG_LEVEL": "debug",
                           "DISCORD_GUILD_IDS": "12, 34 56", "SLACK_API_URL": "http://127.0.0.1:9/api",
                           "BRIEFBOT_FEED_POLL_MINUTES": " 15 ", "BRIEFBOT_FETCH_ALLOW_PRIVATE": "yes"},
                      dotenv=None)
    assert (s.digest_default_tz, s.digest_default_time, s.log_level) == ("Europe/Kyiv", "07:05", "DEBUG")
    assert s.discord_guild_ids == (12, 34, 56) and s.slack_api_url == "http://127.0.0.1:9/api/"
    assert s.feed_poll_minutes == 15 and s.fetch_allow_private is True


def test_a_bad_value_in_dotenv_names_the_setting(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("BRIEFBOT_FEED_POLL_MINUTES=0\n")
    with pytest.raises(ConfigError, match="BRIEFBOT_FEED_POLL_MINUTES is out of range"):
        Settings.load(env={}, dotenv=env_file)


def test_overrides_and_replace_are_checked_too():
    from dataclasses import replace

    with pytest.raises(ConfigError, match="BRIEFBOT_FEED_POLL_MINUTES is out of range"):
        Settings.load(env={}, dotenv=None, feed_poll_minutes=0)
    s = Settings.load(env={}, dotenv=None)
    assert replace(s, feed_poll_minutes=5).feed_poll_minutes == 5
    with pytest.raises(ConfigError, match="BRIEFBOT_DIGEST_GRACE_HOURS is out of range"):
        replace(s, digest_grace_hours=-1)
    with pytest.raises(ConfigError, match="feed_pol_minutes is not a setting"):
        Settings.load(env={}, dotenv=None, feed_pol_minutes=5)


def test_the_cli_stops_at_start_on_a_bad_setting(monkeypatch, tmp_path, capsys):
    from bot.cli import main

    monkeypatch.setenv("BRIEFBOT_FEED_POLL_MINUTES", "-5")
    assert main(["--db", str(tmp_path / "x.db"), "--env-file", str(tmp_path / "none"),
                 "entities"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("briefbot: error: BRIEFBOT_FEED_POLL_MINUTES is out of range")
    assert err.count("\n") == 1 and not (tmp_path / "x.db").exists()


# --- property: any text either loads or is refused naming that setting ------------------------

_ENV_NAMES = [Settings.env_name(name) for name in Settings.model_fields]
_NEAR_MISSES = st.sampled_from(["", " ", "0", "-1", "1e309", "nan", "inf", "true", "no", "08:00",
                                "24:00", "UTC", "Europe/Kyiv", "10.0.0.0/8", "https://x/",
                                "9" * 40, "1,2", "\n", "\x00"])


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(_ENV_NAMES),
       raw=st.one_of(st.text(max_size=40), _NEAR_MISSES, st.integers().map(str),
                     st.floats().map(str), st.text(alphabet="0123456789:,./- ", max_size=12)))
def test_any_text_loads_or_is_refused_naming_that_setting(name, raw):
    try:
        loaded = Settings.load(env={name: raw}, dotenv=None)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{name} is ") and "\n" not in message
        if name in {"DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}:
            assert raw.strip() not in message or not raw.strip()
    else:
        assert isinstance(loaded, Settings)


def test_the_example_settings_file_loads_as_it_is():
    example = Path(__file__).resolve().parent.parent / ".env.example"
    assert Settings.load(env={}, dotenv=example) == Settings.load(env={}, dotenv=None)


@pytest.mark.parametrize("url, says", [
    ("mysql://bob:s3cret@db.example/news", "expected a postgresql:// URL"),
    ("postgresql://bob:s3cret@db.example:99999/news", "not a URL"),
    ("postgresql://bob:s3cret@/news", "no server named"),
    ("postgresql://bob:s3cret@db.example/", "no database named"),
])
def test_a_bad_database_url_is_one_line_without_its_password(url, says):
    with pytest.raises(ConfigError) as err:
        Settings.load(env={"BRIEFBOT_DATABASE_URL": url}, dotenv=None)
    message = str(err.value)
    assert message.startswith("BRIEFBOT_DATABASE_URL is malformed") and says in message
    assert "s3cret" not in message and "\n" not in message


def test_a_database_url_sends_everything_to_postgresql_and_never_prints_its_password():
    settings = Settings.load(env={"BRIEFBOT_DATABASE_URL":
                                  "postgresql://bob:s3cret@db.example:5433/news"}, dotenv=None)
    assert settings.database is settings.database_url
    assert settings.database.dsn == "postgresql://bob:s3cret@db.example:5433/news"
    shown = f"{settings.database} {settings.database!r} {settings!r}"
    assert "postgresql://bob@db.example:5433/news" in shown and "s3cret" not in shown
    assert Settings.load(env={}, dotenv=None).database == Settings.load(env={}, dotenv=None).db_path
