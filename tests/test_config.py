"""Settings: environment over .env, one clear line per bad value, secrets never printed."""

from __future__ import annotations

import logging

import pytest

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
