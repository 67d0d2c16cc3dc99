"""Many Slack workspaces: the install flow, one token per workspace, and BRIEFBOT_WORKSPACES.

Slack's side is the fake Web API of test_slack_flows on loopback, taught oauth.v2.access
and recording which bearer token each call carried; the bot runs Bolt in HTTP mode
and gets requests signed as Slack signs them.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from aiohttp import web

from adapters.slack.app import NOT_INSTALLED, NOT_SERVED, SlackBot
from adapters.slack.installs import SlackInstallStore
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.run import (EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, HttpServer, make_bot,
                                make_poster, start_http)
from adapters.slack.tokens import NoWorkspaceToken
from bot.config import ConfigError, Secret, Settings
from bot.core import Reply
from bot.index.backend import DatabaseUrl
from tests.test_slack_flows import (BOT_TOKEN, BOT_USER, SIGNING_SECRET, FakeSlack,
                                    make_test_registry, no_index_services, post, serving,
                                    signed_headers, visible_text)

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "abcdef0123456789abcdef0123456789"
#: What oauth.v2.access hands out, per authorization code.
INSTALLS = {
    "code-two": {"team": {"id": "T0TWO", "name": "Two"}, "access_token": "xoxb-2-Two-SecretToken"},
    "code-three": {"team": {"id": "T0THREE", "name": "Three"},
                   "access_token": "xoxb-3-Three-SecretToken"},
}
TOKEN_TWO = INSTALLS["code-two"]["access_token"]


@dataclass
class FakeSlackWithOAuth(FakeSlack):
    """The fake Slack, plus oauth.v2.access and a record of (method, bearer token)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    codes_used: list[str] = field(default_factory=list)

    async def api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.calls.append((name, token))
        if name != "oauth.v2.access":
            return await super().api(request)
        data = await self._payload(request)
        basic = request.headers.get("Authorization", "")
        if not (data.get("client_id") == CLIENT_ID and data.get("client_secret") == CLIENT_SECRET
                or basic.startswith("Basic ")):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        install = INSTALLS.get(data.get("code", ""))
        if install is None or data["code"] in self.codes_used:
            return web.json_response({"ok": False, "error": "invalid_code"})
        self.codes_used.append(data["code"])
        return web.json_response({
            "ok": True, "app_id": "A1", "token_type": "bot", "scope": ",".join(BOT_SCOPES),
            "bot_user_id": BOT_USER, "authed_user": {"id": "UINSTALLER"}, "enterprise": None,
            "is_enterprise_install": False, **install})

    def tokens_used_for(self, method: str) -> list[str]:
        return [t for name, t in self.calls if name == method]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackWithOAuth]:
    f = FakeSlackWithOAuth(users={"UPLAIN": {"id": "UPLAIN", "is_admin": False}},
                           channels={"C2": {"id": "C2", "creator": "UOTHER"}})
    async with serving(f):
        yield f


@dataclass
class Running:
    bot: SlackBot
    server: HttpServer
    fake: FakeSlackWithOAuth

    def url(self, path: str = EVENTS_PATH) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"


async def start(tmp_path: Path, fake: FakeSlack, database: object = None, **env: str) -> Running:
    """The bot over HTTP; installs kept in `database` (conftest's fixture: a SQLite file or
    PostgreSQL), else in a SQLite file in tmp_path."""
    where = ({"database_url": database} if isinstance(database, DatabaseUrl)
             else {"db_path": database or tmp_path / "briefbot.db"})
    settings = Settings.load(env=env, dotenv=None, **where,
                             slack_signing_secret=Secret(SIGNING_SECRET),
                             slack_api_url=fake.url + "api/")
    bot = make_bot(no_index_services(settings, make_test_registry()), http=True)
    server = await start_http(bot, host="127.0.0.1", port=0)
    return Running(bot, server, fake)  # type: ignore[arg-type]


OAUTH_ENV = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
async def oauth_bot(tmp_path, fake, database) -> AsyncIterator[Running]:
    """On SQLite, then on PostgreSQL: installations and install links live in the database."""
    r = await start(tmp_path, fake, database, **OAUTH_ENV)
    yield r
    await r.server.close()
    r.bot.close()


# --- requests as Slack sends them -------------------------------------------------------------
def slash_body(r: Running, team: str, command: str, text: str, *, channel: str = "C2",
               hook: str = "h1") -> str:
    return urlencode({"token": "legacy", "team_id": team, "team_domain": "x",
                      "channel_id": channel, "channel_name": "general", "user_id": "UPLAIN",
                      "user_name": "someone", "command": command, "text": text,
                      "api_app_id": "A1", "response_url": f"{r.fake.url}response/{hook}",
                      "trigger_id": "1.2.3"})


async def slash(r: Running, team: str, command: str, text: str = "", **kw: Any) -> int:
    body = slash_body(r, team, command, text, **kw)
    status, _ = await post(r.url(), body, signed_headers(body))
    return status


async def mention(r: Running, team: str, text: str, event_id: str, *,
                  channel: str = "C2") -> int:
    ts = f"{time.time():.6f}"
    body = json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A1",
                       "type": "event_callback", "event_id": event_id,
                       "event_time": int(time.time()),
                       "event": {"type": "app_mention", "user": "UPLAIN", "text": text,
                                 "ts": ts, "channel": channel, "event_ts": ts, "team": team}})
    status, _ = await post(r.url(), body, signed_headers(body, content_type="application/json"))
    return status


async def install(r: Running, code: str) -> tuple[int, str]:
    """What a workspace admin does: open the install page, approve on Slack, come back."""
    async with aiohttp.ClientSession() as session:
        async with session.get(r.url(INSTALL_PATH), allow_redirects=False) as resp:
            page = await resp.text()
            cookie = resp.headers.get("Set-Cookie", "").split(";")[0]
            assert resp.status in (200, 302)
        link = resp.headers.get("Location") or unescape(
            re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page).group(1))
        query = parse_qs(urlsplit(link).query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"][0].split(",") == list(BOT_SCOPES)
        state = query["state"][0]
        callback = r.url(REDIRECT_PATH) + "?" + urlencode({"code": code, "state": state})
        async with session.get(callback, headers={"Cookie": cookie},
                               allow_redirects=False) as resp:
            return resp.status, await resp.text()


# --- the install flow ---------------------------------------------------------------------
async def test_an_installed_workspace_is_answered_with_its_own_token(oauth_bot, database):
    status, page = await install(oauth_bot, "code-two")
    assert status == 200 and "error" not in page.lower()
    stored = SlackInstallStore(database).find_bot(enterprise_id=None, team_id="T0TWO")
    assert stored is not None and stored.bot_token == TOKEN_TWO
    assert await mention(oauth_bot, "T0TWO", f"<@{BOT_USER}> echo hello two", "Ev2") == 200
    [answer] = await oauth_bot.fake.wait_posts(1)
    assert answer["kind"] == "chat.postMessage" and "hello two" in visible_text(answer)
    assert oauth_bot.fake.tokens_used_for("chat.postMessage") == [TOKEN_TWO]
    # a slash command: its permission look-up goes out with T0TWO's token as well
    assert await slash(oauth_bot, "T0TWO", "/echo", "again") == 200
    [_, reply] = await oauth_bot.fake.wait_posts(2)
    assert reply["kind"] == "response_url" and "again" in visible_text(reply)
    assert set(oauth_bot.fake.tokens_used_for("users.info")) == {TOKEN_TWO}


async def test_digests_go_to_a_channel_with_its_workspace_token(oauth_bot):
    await install(oauth_bot, "code-two")
    await install(oauth_bot, "code-three")
    await slash(oauth_bot, "T0TWO", "/echo", "in two", channel="C2", hook="a")
    await slash(oauth_bot, "T0THREE", "/echo", "in three", channel="C3", hook="b")
    await oauth_bot.fake.wait_posts(2)
    poster = make_poster(oauth_bot.bot)
    await poster.post("C3", Reply.plain("Digest for three."))
    await poster.post("C2", Reply.plain("Digest for two."))
    posts = [p for p in await oauth_bot.fake.wait_posts(4) if p["kind"] == "chat.postMessage"]
    assert [p["channel"] for p in posts] == ["C3", "C2"]
    assert oauth_bot.fake.tokens_used_for("chat.postMessage") == [
        INSTALLS["code-three"]["access_token"], TOKEN_TWO]
    with pytest.raises(NoWorkspaceToken, match="run any briefbot command in that channel"):
        await poster.post("C404", Reply.plain("Nobody knows this channel."))


async def test_a_workspace_without_installation_is_told_and_nothing_is_posted(oauth_bot):
    await install(oauth_bot, "code-two")
    assert await slash(oauth_bot, "T0NOBODY", "/echo", "hello?") == 200
    [told] = await oauth_bot.fake.wait_posts(1)
    assert told["kind"] == "response_url" and told["text"] == NOT_INSTALLED
    assert await mention(oauth_bot, "T0NOBODY", f"<@{BOT_USER}> echo hi", "EvN") == 200
    assert oauth_bot.fake.tokens_used_for("chat.postMessage") == []


async def test_an_install_link_works_once(oauth_bot):
    async with aiohttp.ClientSession() as session:
        async with session.get(oauth_bot.url(INSTALL_PATH), allow_redirects=False) as resp:
            cookie = resp.headers.get("Set-Cookie", "").split(";")[0]
            page = await resp.text()
    link = resp.headers.get("Location") or unescape(
        re.search(r'href="(https://slack\.com/oauth/v2/authorize[^"]+)"', page).group(1))
    state = parse_qs(urlsplit(link).query)["state"][0]
    results = []
    for code in ("code-two", "code-three"):
        url = oauth_bot.url(REDIRECT_PATH) + "?" + urlencode({"code": code, "state": state})
        async with aiohttp.ClientSession() as session, session.get(
                url, headers={"Cookie": cookie}, allow_redirects=False) as resp:
            results.append(resp.status)
    assert results[0] == 200 and results[1] >= 400
    assert oauth_bot.bot.installs.installed_teams() == ["T0TWO"]


async def test_no_token_reaches_the_log(oauth_bot, caplog):
    caplog.set_level(logging.DEBUG)
    await install(oauth_bot, "code-two")
    await mention(oauth_bot, "T0TWO", f"<@{BOT_USER}> echo quiet", "EvQ")
    await oauth_bot.fake.wait_posts(1)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "T0TWO" in logged  # the install itself is logged...
    assert TOKEN_TWO not in logged and CLIENT_SECRET not in logged  # ...its secrets are not
    assert TOKEN_TWO not in repr(oauth_bot.bot.installs) + repr(oauth_bot.bot.clients)


# --- BRIEFBOT_WORKSPACES --------------------------------------------------------------------
async def test_a_workspace_not_listed_cannot_install(tmp_path, fake, caplog):
    caplog.set_level(logging.WARNING)
    r = await start(tmp_path, fake, BRIEFBOT_WORKSPACES="slack:T0TWO", **OAUTH_ENV)
    try:
        status, page = await install(r, "code-three")
        assert status == 403 and "not served" in page
        assert r.bot.installs.installed_teams() == []
        assert any("T0THREE" in rec.getMessage() and "BRIEFBOT_WORKSPACES" in rec.getMessage()
                   for rec in caplog.records)
        assert (await install(r, "code-two"))[0] == 200
        assert r.bot.installs.installed_teams() == ["T0TWO"]
    finally:
        await r.server.close()
        r.bot.close()


@pytest.fixture
async def single_token_listed(tmp_path, fake) -> AsyncIterator[Running]:
    """Today's single-token mode, serving only T0HOME."""
    r = await start(tmp_path, fake, SLACK_BOT_TOKEN=BOT_TOKEN, BRIEFBOT_WORKSPACES="slack:T0HOME")
    yield r
    await r.server.close()
    r.bot.close()


async def test_a_command_from_a_workspace_not_listed_is_refused_politely(single_token_listed,
                                                                          caplog):
    caplog.set_level(logging.WARNING)
    r = single_token_listed
    assert await slash(r, "T0ELSE", "/echo", "hello") == 200
    [refusal] = await r.fake.wait_posts(1)
    assert refusal["kind"] == "response_url" and refusal["response_type"] == "ephemeral"
    assert visible_text(refusal) == NOT_SERVED
    assert any("T0ELSE" in rec.getMessage() and "BRIEFBOT_WORKSPACES" in rec.getMessage()
               for rec in caplog.records)
    assert BOT_TOKEN not in "\n".join(rec.getMessage() for rec in caplog.records)


async def test_a_mention_from_a_workspace_not_listed_is_refused_in_its_thread(single_token_listed):
    r = single_token_listed
    assert await mention(r, "T0ELSE", f"<@{BOT_USER}> echo hello", "EvElse") == 200
    [refusal] = await r.fake.wait_posts(1)
    assert refusal["kind"] == "chat.postEphemeral" and refusal["user"] == "UPLAIN"
    assert visible_text(refusal) == NOT_SERVED


async def test_the_listed_workspace_is_answered(single_token_listed):
    r = single_token_listed
    await slash(r, "T0HOME", "/echo", "at home")
    [answer] = await r.fake.wait_posts(1)
    assert "at home" in visible_text(answer) and answer["response_type"] == "in_channel"


# --- settings -------------------------------------------------------------------------------
@pytest.mark.parametrize("env, http, says", [
    ({**OAUTH_ENV, "SLACK_BOT_TOKEN": BOT_TOKEN}, True, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID"),
    (OAUTH_ENV, False, "needs the HTTP mode"),
    ({"SLACK_CLIENT_ID": CLIENT_ID}, True, "SLACK_CLIENT_SECRET is not set"),
    ({"SLACK_CLIENT_ID": "my-app", "SLACK_CLIENT_SECRET": CLIENT_SECRET}, True,
     "SLACK_CLIENT_ID is malformed"),
    ({"SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN}, True,
     "SLACK_CLIENT_ID is not"),
])
def test_install_flow_settings_are_checked_before_serving(env, http, says):
    settings = Settings.load(env={**env, "SLACK_SIGNING_SECRET": SIGNING_SECRET}, dotenv=None)
    with pytest.raises(ConfigError) as err:
        settings.require_slack(http=http)
    assert says in str(err.value)
    assert CLIENT_SECRET not in str(err.value) and BOT_TOKEN not in str(err.value)
