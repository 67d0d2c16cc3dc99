"""The Slack adapter end to end, against real peers on loopback.

A local aiohttp server speaks Slack's Web API (auth.test, chat.postMessage,
chat.postEphemeral, users.info, conversations.info, apps.connections.open, a
Socket Mode websocket) and takes response_url posts, recording what a user would
see. The Bolt app runs in HTTP mode on 127.0.0.1 and gets requests signed exactly
as Slack signs them (v0 HMAC-SHA256 over "v0:{timestamp}:{body}").
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
from aiohttp import web

from adapters.slack.app import SlackBot
from adapters.slack.run import (
    EVENTS_PATH,
    HttpServer,
    make_bot,
    make_poster,
    run_slack,
    serve,
    start_http,
)
from adapters.slack.worker import CommandWorker
from bot.config import ConfigError, Secret, Settings
from bot.core import Claim, Registry, Reply, Request, Section, Source
from bot.registry import load_commands
from bot.services import Services

BOT_TOKEN = "xoxb-111-222-RecognizableBotToken0123456789"
APP_TOKEN = "xapp-1-A111-333-RecognizableAppToken0123456789"
SIGNING_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
BOT_USER = "UBOT"
WAIT = 20.0  # upper bound for something that must happen; never a speed assertion
GATE = threading.Event()  # holds the `blocking` test command until a test sets it


# --- a fake Slack on loopback ----------------------------------------------------------
@dataclass
class FakeSlack:
    """Slack's side of the wire: records posts, can rate-limit, knows users and channels."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)  # accepted messages, in order
    attempts: dict[str, int] = field(default_factory=dict)  # every call, 429s included
    rate_limit_next: dict[str, int] = field(default_factory=dict)
    socket_envelopes: list[dict[str, Any]] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    refused_tokens: set[str] = field(default_factory=set)
    #: channel -> error that chat.postMessage answers there (e.g. not_in_channel)
    broken_channels: dict[str, str] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._socket_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def _record(self, kind: str, payload: dict[str, Any]) -> None:
        async with self._changed:
            self.posts.append({"kind": kind, **payload})
            self._changed.notify_all()

    async def wait_posts(self, n: int) -> list[dict[str, Any]]:
        """Wait until at least n messages were accepted (bounded, for failing loudly)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.posts) >= n), WAIT)
        return self.posts

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        data: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and raw:
            data.update(json.loads(raw))
        elif raw:
            data.update(parse_qsl(raw))
        for key in ("blocks",):
            if isinstance(data.get(key), str):
                data[key] = json.loads(data[key])
        return data

    def _limited(self, name: str) -> web.Response | None:
        self.attempts[name] = self.attempts.get(name, 0) + 1
        if self.rate_limit_next.get(name, 0) > 0:
            self.rate_limit_next[name] -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": "1"})
        return None

    async def api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        limited = self._limited(name)
        if limited is not None:
            return limited
        data = await self._payload(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self.refused_tokens or data.get("token") in self.refused_tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if name == "auth.test":
            return web.json_response({"ok": True, "user_id": BOT_USER, "bot_id": "BBOT",
                                      "team_id": "T1", "team": "Test", "user": "briefbot",
                                      "url": "https://test.slack.com/"})
        if name in ("chat.postMessage", "chat.postEphemeral"):
            if data.get("channel") in self.broken_channels:
                return web.json_response({"ok": False,
                                          "error": self.broken_channels[data["channel"]]})
            ts = f"{time.time():.6f}"
            await self._record(name, data)
            return web.json_response({"ok": True, "channel": data.get("channel"), "ts": ts,
                                      "message_ts": ts})
        if name == "users.info":
            user = self.users.get(data.get("user", ""))
            return web.json_response({"ok": True, "user": user} if user
                                     else {"ok": False, "error": "user_not_found"})
        if name == "conversations.info":
            channel = self.channels.get(data.get("channel", ""))
            return web.json_response({"ok": True, "channel": channel} if channel
                                     else {"ok": False, "error": "channel_not_found"})
        if name == "apps.connections.open":
            return web.json_response({"ok": True, "url": self.url.replace("http", "ws") + "socket"})
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    async def response_url(self, request: web.Request) -> web.Response:
        limited = self._limited("response_url")
        if limited is not None:
            return limited
        await self._record("response_url", {"hook": request.match_info["hook"],
                                            **await request.json()})
        return web.Response(text="ok")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A1"}})

        async def pump() -> None:
            while True:
                await ws.send_json(await self._socket_queue.get())

        sender = asyncio.create_task(pump())
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    async with self._changed:
                        self.socket_acks.append(json.loads(msg.data))
                        self._changed.notify_all()
        finally:
            sender.cancel()
        return ws

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        await self._socket_queue.put(envelope)

    async def wait_acks(self, n: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.socket_acks) >= n),
                                   WAIT)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(
        users={"UADMIN": {"id": "UADMIN", "is_admin": True},
               "UCREATOR": {"id": "UCREATOR", "is_admin": False},
               "UPLAIN": {"id": "UPLAIN", "is_admin": False, "is_owner": False}},
        channels={"C1": {"id": "C1", "creator": "UCREATOR"}})
    async with serving(fake):
        yield fake


@asynccontextmanager
async def serving(fake: FakeSlack, *extra: tuple[str, str, Any]) -> AsyncIterator[FakeSlack]:
    """Serve `fake` on a free loopback port (plus `extra` (method, path, handler) routes)."""
    app = web.Application()
    app.router.add_post("/api/{method}", fake.api)
    app.router.add_get("/api/{method}", fake.api)
    app.router.add_post("/response/{hook}", fake.response_url)
    app.router.add_get("/socket", fake.socket)
    for method, path, handler in extra:
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    try:
        yield fake
    finally:
        await runner.cleanup()


# --- the bot under test ----------------------------------------------------------------
def slack_settings(tmp_path: Path, fake: FakeSlack) -> Settings:
    return Settings.load(env={}, dotenv=None, db_path=tmp_path / "briefbot.db",
                         slack_bot_token=Secret(BOT_TOKEN), slack_app_token=Secret(APP_TOKEN),
                         slack_signing_secret=Secret(SIGNING_SECRET),
                         slack_api_url=fake.url + "api/")


def no_index_services(settings: Settings, registry: Registry | None = None) -> Services:
    """Services for commands that never touch the index (help, the test commands)."""
    return Services(settings=settings, index=None, summarizer=None,  # type: ignore[arg-type]
                    registry=registry or load_commands())


HOSTILE = ("Read this <!channel> and <@U123> and <!subteam^S1> @everyone @here *bold* "
           "_it_ ~s~ `code` & <https://evil.example|click> now.")


def make_test_registry() -> Registry:
    """Commands a test needs that the real registry rightly does not have."""
    reg = Registry()

    @reg.command("echo", "Echo the text back as a cited sentence", arg="text")
    async def echo(req: Request, services: Services) -> Reply:
        return Reply(title=f"Echo: {req.text}", sections=(Section.cited([Claim(req.text, (1,))]),),
                     sources=(Source(1, 1, "A <b>title</b> *x*", "Pub <!here>", None,
                                     "https://example.com/a?x=1&y=2"),))

    @reg.command("hostile", "Reply with hostile article text")
    async def hostile(req: Request, services: Services) -> Reply:
        return Reply(title="<!here> *Alert*", sections=(Section.cited([Claim(HOSTILE, (1,))], heading="_News_ <@U9>"),),
                     sources=(Source(1, 1, "<!channel> title", "@everyone News", None, None),))

    @reg.command("boom", "Always fails")
    async def boom(req: Request, services: Services) -> Reply:
        raise RuntimeError("kaput in the command")

    @reg.command("configure", "Change this channel's settings", requires_manage=True)
    async def configure(req: Request, services: Services) -> Reply:
        return Reply.plain(f"Configured for {req.user_id}.")

    @reg.command("tidy", "Lists for anyone; `tidy up` changes settings (decided per action)",
                 arg="action")
    async def tidy(req: Request, services: Services) -> Reply:
        if req.text == "up" and not req.can_manage:
            return Reply.plain("Refused by the command itself.", kind="forbidden")
        return Reply.plain(f"Tidy {req.text or 'list'} done.")

    @reg.command("blocking", "Blocks its thread until the test lets go, like a slow model")
    async def blocking(req: Request, services: Services) -> Reply:
        GATE.wait(WAIT)  # deliberately blocking: must not stall Slack's acks
        return Reply.plain("Done blocking.")

    @reg.command("postnow", "Posts to the channel from inside the command, as `digest now` does")
    async def postnow(req: Request, services: Services) -> Reply:
        ts = await services.extra_poster.post(req.channel_id, Reply(sections=(Section.cited([Claim("Posted digest.", (1,))]),)))
        return Reply.plain(f"Digest posted ({'with' if ts else 'without'} a message id).",
                           ephemeral=True)

    return reg


@dataclass
class Running:
    bot: SlackBot
    server: HttpServer
    fake: FakeSlack

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{EVENTS_PATH}"


async def start_bot(tmp_path: Path, fake: FakeSlack, registry: Registry | None = None) -> Running:
    settings = slack_settings(tmp_path, fake)
    services = no_index_services(settings, registry)
    bot = make_bot(services, http=True, registry=registry)
    server = await start_http(bot, host="127.0.0.1", port=0)
    return Running(bot, server, fake)


@pytest.fixture
async def running(tmp_path, fake_slack) -> AsyncIterator[Running]:
    r = await start_bot(tmp_path, fake_slack, make_test_registry())
    yield r
    await r.server.close()
    r.bot.worker.close()


@pytest.fixture
async def running_real(tmp_path, fake_slack) -> AsyncIterator[Running]:
    """The bot with the real command registry (help needs no index)."""
    r = await start_bot(tmp_path, fake_slack)
    yield r
    await r.server.close()
    r.bot.worker.close()


# --- signed requests -------------------------------------------------------------------
def signed_headers(body: str, *, ts: int | None = None, secret: str = SIGNING_SECRET,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    base = f"v0:{ts}:{body}".encode()
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig,
            "Content-Type": content_type}


async def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, data=body.encode(),
                                                                headers=headers) as resp:
        return resp.status, await resp.text()


def slash_body(fake: FakeSlack, command: str, text: str = "", *, user: str = "UPLAIN",
               channel: str = "C1", hook: str = "h1") -> str:
    return urlencode({"token": "legacy", "team_id": "T1", "team_domain": "test",
                      "channel_id": channel, "channel_name": "general", "user_id": user,
                      "user_name": "someone", "command": command, "text": text,
                      "api_app_id": "A1", "response_url": f"{fake.url}response/{hook}",
                      "trigger_id": "1.2.3"})


async def slash(r: Running, command: str, text: str = "", **kw: Any) -> tuple[int, str]:
    body = slash_body(r.fake, command, text, **kw)
    return await post(r.url, body, signed_headers(body))


def event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "event": event,
                       "type": "event_callback", "event_id": event_id,
                       "event_time": int(time.time())})


def mention(text: str, *, ts: str = "1700000000.000100", channel: str = "C1",
            user: str = "UPLAIN", **extra: Any) -> dict[str, Any]:
    return {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel,
            "event_ts": ts, **extra}


def dm(text: str, *, ts: str = "1700000000.000200", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "user": "UPLAIN", "text": text, "ts": ts,
            "channel": "D1", "event_ts": ts, "client_msg_id": f"cm-{ts}", **extra}


async def send_event(r: Running, event: dict[str, Any], event_id: str,
                     retry: int | None = None) -> tuple[int, str]:
    body = event_body(event, event_id)
    headers = signed_headers(body, content_type="application/json")
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return await post(r.url, body, headers)


def visible_text(message: dict[str, Any]) -> str:
    """Everything a reader sees in a Block Kit message, block texts joined."""
    out = []
    for block in message.get("blocks") or []:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            out.append(element.get("text", ""))
    return "\n".join(out)


# --- slash commands --------------------------------------------------------------------
async def test_slash_help_is_acked_and_answered_through_response_url(running_real):
    status, body = await slash(running_real, "/help")
    assert status == 200 and body == ""  # ack(): an empty 200, the answer comes later
    [answer] = await running_real.fake.wait_posts(1)
    assert answer["kind"] == "response_url" and answer["hook"] == "h1"
    assert answer["response_type"] == "in_channel"
    assert answer["unfurl_links"] is False
    assert answer["blocks"][0] == {"type": "header",
                                   "text": {"type": "plain_text", "text": "briefbot help",
                                            "emoji": False}}
    shown = visible_text(answer)
    for spec in load_commands():
        assert spec.description in shown
    assert answer["text"] == "briefbot help"


async def test_every_registry_command_is_a_slash_command(running_real):
    registered = {c for c in load_commands()}
    assert registered
    for spec in registered:
        status, _ = await slash(running_real, f"/{spec.name}", hook=spec.name)
        assert status == 200
    posts = await running_real.fake.wait_posts(len(registered))
    assert {p["hook"] for p in posts} == {s.name for s in registered}


async def test_slash_reply_keeps_untrusted_text_as_text(running):
    # the user typed the tokens literally; Slack escapes &, < and > in what it sends
    status, _ = await slash(running, "/echo", "hi &lt;@U777&gt; &amp; &lt;!channel&gt; *now*")
    assert status == 200
    [answer] = await running.fake.wait_posts(1)
    shown = visible_text(answer)
    # decoded for the command, escaped again for display: shown as text, never live tokens
    assert "&lt;@U777&gt;" in shown and "&lt;!channel&gt;" in shown and "&amp;" in shown
    assert "<@U777>" not in shown and "<!channel>" not in shown
    sources = answer["blocks"][-1]
    assert sources["type"] == "context"
    assert sources["elements"][0]["text"].startswith(
        "[1] <https://example.com/a?x=1&amp;y=2|A &lt;b&gt;title&lt;/b&gt; \u200b*\u200bx\u200b*\u200b>")
    assert "Pub &lt;!here&gt;" in sources["elements"][0]["text"]


async def test_a_crashing_command_apologises_and_the_bot_lives_on(running, caplog):
    caplog.set_level(logging.ERROR)
    await slash(running, "/boom", hook="boom")
    [apology] = await running.fake.wait_posts(1)
    assert "something went wrong" in visible_text(apology)
    assert apology["response_type"] == "ephemeral"
    assert "kaput in the command" in caplog.text  # the error was logged with its traceback
    await slash(running, "/echo", "still here", hook="after")
    posts = await running.fake.wait_posts(2)
    assert "still here" in visible_text(posts[1])


async def test_a_blocking_command_does_not_stall_acks_or_events(running):
    """While a command holds the worker thread, requests are still acked and queued."""
    GATE.clear()
    try:
        assert (await slash(running, "/blocking", hook="b1"))[0] == 200
        # the command is now blocked on GATE; the event loop must still answer Slack
        assert (await slash(running, "/echo", "queued", hook="b2"))[0] == 200
        assert (await send_event(running, mention(f"<@{BOT_USER}> echo too"), "EvQ"))[0] == 200
        assert running.fake.posts == []  # nothing answered while the worker is held
    finally:
        GATE.set()
    posts = await running.fake.wait_posts(3)
    assert "Done blocking." in visible_text(posts[0])  # one worker: answers keep their order
    assert {p.get("hook") for p in posts} == {"b1", "b2", None}


async def test_url_verification_challenge_is_answered(running):
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    status, text = await post(running.url, body,
                              signed_headers(body, content_type="application/json"))
    assert status == 200 and json.loads(text) == {"challenge": "c-123"}


@pytest.mark.parametrize(("user", "channel", "allowed"), [
    ("UADMIN", "C1", True), ("UCREATOR", "C1", True), ("UPLAIN", "C1", False),
    ("UNOBODY", "C1", False), ("UCREATOR", "C404", False), ("UADMIN", "C404", True)])
async def test_manage_commands_need_admin_or_channel_creator(running, user, channel, allowed):
    await slash(running, "/configure", user=user, channel=channel)
    [answer] = await running.fake.wait_posts(1)
    shown = visible_text(answer)
    if allowed:
        assert f"Configured for {user}." in shown
    else:
        assert "only workspace admins and owners and the channel's creator" in shown
        assert "Configured" not in shown
        assert answer["response_type"] == "ephemeral"


async def test_commands_that_decide_per_action_get_the_permission_too(running):
    for n, (text, user, hook) in enumerate([("up", "UADMIN", "admin"), ("up", "UPLAIN", "plain"),
                                            ("", "UPLAIN", "list"), ("up", "UPLAIN", "again")]):
        await slash(running, "/tidy", text, user=user, hook=hook)
        await running.fake.wait_posts(n + 1)  # one at a time, so the cache is filled
    posts = {p["hook"]: visible_text(p) for p in running.fake.posts}
    assert "Tidy up done." in posts["admin"]
    assert "Refused by the command itself." in posts["plain"]
    assert "Tidy list done." in posts["list"]
    assert "Refused by the command itself." in posts["again"]
    # Slack's answers are cached: one users.info per user, one conversations.info per channel
    assert running.fake.attempts["users.info"] == 2
    assert running.fake.attempts["conversations.info"] == 1


async def test_a_failed_post_is_logged_and_the_bot_answers_the_next_one(running, caplog):
    caplog.set_level(logging.ERROR)
    running.fake.broken_channels["CGONE"] = "not_in_channel"
    await send_event(running, mention(f"<@{BOT_USER}> echo lost", channel="CGONE"), "EvGone")
    await send_event(running, mention(f"<@{BOT_USER}> echo fine", ts="7.0"), "EvFine")
    [answer] = await running.fake.wait_posts(1)
    assert "fine" in visible_text(answer)
    await asyncio.sleep(0.2)
    assert "could not post the answer in channel CGONE" in caplog.text
    assert "not_in_channel" in caplog.text


# --- signatures ------------------------------------------------------------------------
async def test_forged_stale_and_unsigned_requests_get_401(running):
    body = slash_body(running.fake, "/echo", "forged")
    forged = signed_headers(body, secret="0" * 32)
    stale = signed_headers(body, ts=int(time.time()) - 6 * 60)
    tampered = signed_headers(body)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await post(running.url, body, forged))[0] == 401
    assert (await post(running.url, body, stale))[0] == 401
    assert (await post(running.url, body.replace("forged", "forgeD"), tampered))[0] == 401
    assert (await post(running.url, body, unsigned))[0] == 401
    # a correctly signed request still works, and is the only one answered
    assert (await slash(running, "/echo", "genuine"))[0] == 200
    posts = await running.fake.wait_posts(1)
    await asyncio.sleep(0)  # let any (wrongly) accepted request reach the fake first
    assert len(posts) == 1 and "genuine" in visible_text(posts[0])


async def test_a_request_within_five_minutes_is_accepted(running):
    body = slash_body(running.fake, "/echo", "four minutes old")
    status, _ = await post(running.url, body, signed_headers(body, ts=int(time.time()) - 240))
    assert status == 200
    [answer] = await running.fake.wait_posts(1)
    assert "four minutes old" in visible_text(answer)


# --- mentions and DMs ------------------------------------------------------------------
async def test_app_mention_is_answered_in_thread(running_real):
    status, _ = await send_event(running_real, mention(f"<@{BOT_USER}> help"), "Ev1")
    assert status == 200
    [answer] = await running_real.fake.wait_posts(1)
    assert answer["kind"] == "chat.postMessage"
    assert answer["channel"] == "C1" and answer["thread_ts"] == "1700000000.000100"
    assert answer["unfurl_links"] is False
    assert answer["blocks"][0]["text"]["text"] == "briefbot help"


async def test_mention_inside_a_thread_answers_in_that_thread(running):
    event = mention(f"<@{BOT_USER}> echo threaded", ts="1700000000.000900",
                    thread_ts="1700000000.000001")
    await send_event(running, event, "EvT")
    [answer] = await running.fake.wait_posts(1)
    assert answer["thread_ts"] == "1700000000.000001"
    assert "threaded" in visible_text(answer) and BOT_USER not in visible_text(answer)


async def test_slack_markup_in_a_question_reaches_the_command_as_plain_text(running):
    text = (f"<@{BOT_USER}> echo <https://news.example/a?b=1&amp;c=2> for <@U5|ann> "
            "in <#C9|world-news>")
    await send_event(running, mention(text), "EvMarkup")
    [answer] = await running.fake.wait_posts(1)
    assert answer["blocks"][0]["text"]["text"] == (
        "Echo: https://news.example/a?b=1&amp;c=2 for @ann in #world-news")


async def test_lone_surrogates_and_bidi_in_a_question_are_answered_as_clean_text(running):
    # Slack's JSON may carry "\ud800" escapes; they must not crash or reach the reply
    text = f"<@{BOT_USER}> echo bad \ud800 bytes \u202e<!here>\u202c end"
    await send_event(running, mention(text), "EvSurrogate")
    [answer] = await running.fake.wait_posts(1)
    shown = visible_text(answer) + answer["text"]
    assert not any(0xD800 <= ord(ch) <= 0xDFFF or ch in "\u202e\u202c" for ch in shown)
    # the question is decoded to plain "@here", which plain_text and the escaped
    # notification text show without pinging
    assert answer["blocks"][0]["text"]["text"] == "Echo: bad \ufffd bytes @here end"
    assert "bad \ufffd bytes @here end [1]" in visible_text(answer)
    assert "@here" not in answer["text"]


async def test_direct_message_goes_through_the_free_text_parser(running_real):
    await send_event(running_real, dm("what can you do?"), "EvD")
    [answer] = await running_real.fake.wait_posts(1)
    assert answer["channel"] == "D1" and answer["thread_ts"] == "1700000000.000200"
    assert answer["blocks"][0]["text"]["text"] == "briefbot help"


async def test_bots_edits_joins_and_channel_chatter_are_ignored(running):
    ignored = [
        dm("echo from a bot", ts="1.1", bot_id="B2"),
        dm("echo edited", ts="1.2", subtype="message_changed"),
        dm("echo joined", ts="1.3", subtype="channel_join"),
        {**dm("echo in a channel", ts="1.4"), "channel_type": "channel", "channel": "C1"},
        dm("echo my own message", ts="1.5", user=BOT_USER),
    ]
    for i, event in enumerate(ignored):
        assert (await send_event(running, event, f"EvI{i}"))[0] == 200
    await send_event(running, dm("echo the real question", ts="1.9"), "EvReal")
    posts = await running.fake.wait_posts(1)
    await asyncio.sleep(0.2)  # room for a wrong extra answer to arrive; not a speed check
    assert [visible_text(p).count("real question") for p in posts] == [2]  # title + body


async def test_retried_event_is_not_answered_twice(running):
    await send_event(running, mention(f"<@{BOT_USER}> echo once"), "EvR")
    await running.fake.wait_posts(1)
    for n in (1, 2):
        status, _ = await send_event(running, mention(f"<@{BOT_USER}> echo once"), "EvR",
                                     retry=n)
        assert status == 200  # acked, so Slack stops retrying
    await send_event(running, mention(f"<@{BOT_USER}> echo marker", ts="2.0"), "EvM")
    await running.fake.wait_posts(2)
    await asyncio.sleep(0.2)
    texts = [visible_text(p) for p in running.fake.posts]
    assert sum("once" in t for t in texts) == 1 and sum("marker" in t for t in texts) == 1


async def test_one_message_delivered_as_mention_and_dm_is_answered_once(running):
    """A DM that also @mentions the bot arrives as message.im and app_mention."""
    text = f"<@{BOT_USER}> echo both ways"
    as_dm = dm(text, ts="8.0")
    as_mention = mention(text, ts="8.0", channel="D1", client_msg_id=as_dm["client_msg_id"])
    await send_event(running, as_dm, "EvBoth1")
    await send_event(running, as_mention, "EvBoth2")
    await send_event(running, mention(f"<@{BOT_USER}> echo marker", ts="9.0"), "EvM3")
    await running.fake.wait_posts(2)
    await asyncio.sleep(0.2)
    texts = [visible_text(p) for p in running.fake.posts]
    assert sum("both ways" in t for t in texts) == 1


async def test_a_retry_whose_original_never_arrived_is_answered_once(running):
    event = mention(f"<@{BOT_USER}> echo lost original")
    await send_event(running, event, "EvLost", retry=1)
    await send_event(running, event, "EvLost", retry=2)
    await running.fake.wait_posts(1)
    await send_event(running, mention(f"<@{BOT_USER}> echo marker", ts="3.0"), "EvM2")
    await running.fake.wait_posts(2)
    texts = [visible_text(p) for p in running.fake.posts]
    assert sum("lost original" in t for t in texts) == 1


async def test_ephemeral_reply_to_a_mention_is_shown_only_to_the_asker(running):
    await send_event(running, mention(f"<@{BOT_USER}> configure"), "EvE")
    [answer] = await running.fake.wait_posts(1)
    assert answer["kind"] == "chat.postEphemeral" and answer["user"] == "UPLAIN"
    assert "only workspace admins" in visible_text(answer)


# --- rate limits -----------------------------------------------------------------------
async def test_rate_limited_post_is_waited_out_and_delivered_once(running):
    running.fake.rate_limit_next["chat.postMessage"] = 1
    await send_event(running, mention(f"<@{BOT_USER}> echo patience"), "Ev429")
    posts = await running.fake.wait_posts(1)
    await asyncio.sleep(0.2)
    assert running.fake.attempts["chat.postMessage"] == 2  # one 429, one success
    assert len(posts) == 1 and "patience" in visible_text(posts[0])


async def test_rate_limited_response_url_is_waited_out_and_delivered_once(running):
    running.fake.rate_limit_next["response_url"] = 1
    await slash(running, "/echo", "patience")
    posts = await running.fake.wait_posts(1)
    await asyncio.sleep(0.2)
    assert running.fake.attempts["response_url"] == 2
    assert len(posts) == 1 and "patience" in visible_text(posts[0])


# --- settings and secrets --------------------------------------------------------------
@pytest.mark.parametrize(("http", "missing", "named"), [
    (True, "slack_bot_token", "SLACK_BOT_TOKEN"),
    (True, "slack_signing_secret", "SLACK_SIGNING_SECRET"),
    (False, "slack_app_token", "SLACK_APP_TOKEN"),
])
def test_missing_setting_stops_the_start_naming_it(tmp_path, http, missing, named):
    settings = Settings.load(env={}, dotenv=None, db_path=tmp_path / "x.db",
                             **{k: Secret(v) for k, v in {
                                 "slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN,
                                 "slack_signing_secret": SIGNING_SECRET}.items() if k != missing})
    services = no_index_services(settings)
    with pytest.raises(ConfigError, match=named) as err:
        make_bot(services, http=http)
    assert "\n" not in str(err.value)


async def test_tokens_never_reach_the_logs(running, caplog):
    caplog.set_level(logging.DEBUG)
    await slash(running, "/echo", "logged run")
    await send_event(running, mention(f"<@{BOT_USER}> echo logged"), "EvLog")
    await send_event(running, mention(f"<@{BOT_USER}> boom"), "EvBoom")
    await running.fake.wait_posts(3)
    assert "chat.postMessage" in caplog.text  # the client did log its requests
    for secret in (BOT_TOKEN, SIGNING_SECRET, "RecognizableBotToken"):
        assert secret not in caplog.text


# --- Socket Mode -----------------------------------------------------------------------
async def test_socket_mode_answers_and_drops_redelivered_events(tmp_path, fake_slack, caplog):
    caplog.set_level(logging.DEBUG)
    settings = slack_settings(tmp_path, fake_slack)
    services = no_index_services(settings, make_test_registry())
    bot = make_bot(services, http=False)
    task = asyncio.create_task(serve(bot, http=False))
    body = json.loads(event_body(mention(f"<@{BOT_USER}> echo over the socket"), "EvS"))
    envelope = {"type": "events_api", "envelope_id": "env-1", "payload": body,
                "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": ""}
    await fake_slack.send_envelope(envelope)
    await fake_slack.send_envelope({**envelope, "envelope_id": "env-2", "retry_attempt": 1,
                                    "retry_reason": "timeout"})
    await fake_slack.wait_acks(2)
    assert {a["envelope_id"] for a in fake_slack.socket_acks} == {"env-1", "env-2"}
    marker = json.loads(event_body(mention(f"<@{BOT_USER}> echo marker", ts="5.0"), "EvS2"))
    await fake_slack.send_envelope({**envelope, "envelope_id": "env-3", "payload": marker})
    posts = await fake_slack.wait_posts(2)
    command = {"token": "legacy", "team_id": "T1", "channel_id": "C1", "user_id": "UPLAIN",
               "command": "/echo", "text": "slash via websocket",
               "response_url": f"{fake_slack.url}response/sock", "trigger_id": "1.2"}
    await fake_slack.send_envelope({"type": "slash_commands", "envelope_id": "env-4",
                                    "payload": command, "accepts_response_payload": True})
    posts = await fake_slack.wait_posts(3)
    await fake_slack.wait_acks(4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    texts = [visible_text(p) for p in posts]
    assert sum("over the socket" in t for t in texts) == 1
    assert posts[0]["thread_ts"] == "1700000000.000100"
    assert posts[2]["hook"] == "sock" and "slash via websocket" in visible_text(posts[2])
    assert "env-4" in {a["envelope_id"] for a in fake_slack.socket_acks}
    for secret in (APP_TOKEN, BOT_TOKEN):
        assert secret not in caplog.text


@pytest.mark.parametrize(("http", "refused", "named"), [
    (True, BOT_TOKEN, "SLACK_BOT_TOKEN"), (False, BOT_TOKEN, "SLACK_BOT_TOKEN"),
    (False, APP_TOKEN, "SLACK_APP_TOKEN")])
async def test_a_token_slack_refuses_stops_the_start_naming_it(tmp_path, fake_slack, http,
                                                               refused, named):
    fake_slack.refused_tokens.add(refused)
    services = no_index_services(slack_settings(tmp_path, fake_slack), make_test_registry())
    with pytest.raises(ConfigError, match=f"^{named} was refused by Slack \\(invalid_auth\\)"):
        await serve(make_bot(services, http=http), http=http, host="127.0.0.1", port=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_run_slack_serves_http_until_cancelled(tmp_path, fake_slack):
    """What `briefbot serve slack --http --port N` runs, start to stop."""
    services = no_index_services(slack_settings(tmp_path, fake_slack))
    port = free_port()
    task = asyncio.create_task(run_slack(services, http=True, port=port, host="127.0.0.1"))
    body = slash_body(fake_slack, "/help")
    for _ in range(200):  # until the server listens (bounded)
        try:
            status, _ = await post(f"http://127.0.0.1:{port}{EVENTS_PATH}", body,
                                   signed_headers(body))
            break
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    assert status == 200
    [answer] = await fake_slack.wait_posts(1)
    assert answer["blocks"][0]["text"]["text"] == "briefbot help"
    assert fake_slack.attempts["auth.test"] >= 1  # the token was checked at start
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --- the Poster the digest scheduler uses ----------------------------------------------
async def test_poster_posts_a_digest_once_through_a_rate_limit(tmp_path, fake_slack):
    services = no_index_services(slack_settings(tmp_path, fake_slack), make_test_registry())
    bot = make_bot(services, http=True)
    poster = make_poster(bot)
    fake_slack.rate_limit_next["chat.postMessage"] = 1
    reply = Reply(title="Daily digest", sections=(Section.cited([Claim("Talks resumed <!here>.", (1,))],
                                                           heading="Budapest summit"),),
                  sources=(Source(1, 7, "Summit set", "Reuters", None, "https://r.example/1"),))
    ts = await poster.post("C42", reply)
    bot.close()
    [posted] = fake_slack.posts
    assert poster.platform == "slack" and ts and re.fullmatch(r"\d+\.\d+", ts)
    assert fake_slack.attempts["chat.postMessage"] == 2
    assert posted["channel"] == "C42" and "thread_ts" not in posted
    assert posted["unfurl_links"] is False and posted["text"] == "Daily digest"
    assert "Talks resumed &lt;!here&gt;. [1]" in visible_text(posted)
    assert "[1] <https://r.example/1|Summit set> — Reuters" in visible_text(posted)


async def test_a_command_can_post_through_the_poster_from_the_worker_thread(running):
    """`digest now` posts through the scheduler's Poster from inside a command."""
    running.bot.services.extra_poster = make_poster(running.bot)  # type: ignore[attr-defined]
    await slash(running, "/postnow", hook="now")
    posts = await running.fake.wait_posts(2)
    channel_post = next(p for p in posts if p["kind"] == "chat.postMessage")
    answer = next(p for p in posts if p["kind"] == "response_url")
    assert channel_post["channel"] == "C1" and "Posted digest. [1]" in visible_text(channel_post)
    assert "Digest posted (with a message id)." in visible_text(answer)


def test_a_shared_worker_is_left_running_for_the_other_surfaces(tmp_path, fake_slack):
    services = no_index_services(slack_settings(tmp_path, fake_slack), make_test_registry())
    shared = CommandWorker()
    make_bot(services, http=True, worker=shared).close()
    assert asyncio.run(shared.call(lambda: "still running")) == "still running"
    shared.close()


# --- real commands over the seeded index -----------------------------------------------
async def test_latest_on_the_seeds_arrives_cited_in_block_kit(seeded_services, fake_slack):
    settings = slack_settings(seeded_services.settings.db_path.parent, fake_slack)
    services = Services(settings=settings, index=seeded_services.index,
                        summarizer=seeded_services.summarizer, registry=seeded_services.registry)
    bot = make_bot(services, http=True)
    server = await start_http(bot, host="127.0.0.1", port=0)
    r = Running(bot, server, fake_slack)
    try:
        assert (await slash(r, "/latest", "Budapest summit"))[0] == 200
        await send_event(r, dm("who is Steve Witkoff"), "EvWho")
        posts = await fake_slack.wait_posts(2)
    finally:
        await server.close()
        bot.close()
    latest = next(p for p in posts if p["kind"] == "response_url")
    sections = [b["text"]["text"] for b in latest["blocks"]
                if b["type"] == "section" and b["text"]["type"] == "plain_text"]
    assert sections and all(re.search(r"\[\d+\]$", s) for s in sections)
    cited = {int(n) for s in sections for n in re.findall(r"\[(\d+)\]", s)}
    context = latest["blocks"][-1]
    assert context["type"] == "context"
    lines = "\n".join(e["text"] for e in context["elements"]).split("\n")
    assert {int(re.match(r"\[(\d+)\] ", line).group(1)) for line in lines} >= cited
    assert "Budapest" in visible_text(latest)
    who = next(p for p in posts if p["kind"] == "chat.postMessage")
    assert who["channel"] == "D1" and "Witkoff" in visible_text(who)


async def test_subscribe_needs_admin_or_creator_with_the_real_commands(services, fake_slack):
    settings = slack_settings(services.settings.db_path.parent, fake_slack)
    real = Services(settings=settings, index=services.index, summarizer=services.summarizer,
                    registry=services.registry)
    bot = make_bot(real, http=True)
    server = await start_http(bot, host="127.0.0.1", port=0)
    r = Running(bot, server, fake_slack)
    try:
        await slash(r, "/subscribe", "08:00 Europe/Kyiv", user="UPLAIN", hook="plain")
        await fake_slack.wait_posts(1)
        await slash(r, "/subscribe", "08:00 Europe/Kyiv", user="UCREATOR", hook="creator")
        await fake_slack.wait_posts(2)
        await slash(r, "/subscriptions", user="UPLAIN", hook="list")
        posts = await fake_slack.wait_posts(3)
    finally:
        await server.close()
        bot.close()
    by_hook = {p["hook"]: visible_text(p) for p in posts}
    assert "only workspace admins" in by_hook["plain"] and "Subscribed" not in by_hook["plain"]
    assert "Subscribed this channel" in by_hook["creator"] and "08:00" in by_hook["creator"]
    assert "Europe/Kyiv" in by_hook["list"]
