"""discord.py's real HTTP client against a loopback server that speaks Discord's REST API.

The server (the peer) records what the bot sent and behaves as Discord documents:
429 with Retry-After, `enforce_nonce` returning the message already created, the
interaction callback and webhook follow-up endpoints. On our side everything is
real: login, command sync, INTERACTION_CREATE parsed by discord.py's ConnectionState
and routed through the CommandTree, the Poster sending to a channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from datetime import UTC, datetime

import discord
import discord.http
import pytest
from aiohttp import web

from adapters.discord.client import BriefBot
from adapters.discord.run import check_discord_settings, run_discord
from bot.config import ConfigError, Settings
from bot.core import Claim, Registry, Reply, Request, Section, Source
from bot.services import Services

TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
APP_ID = 4242424242424242
GUILD_ID = 555555555555555555
CHANNEL_ID = 777777777777777777


def json_response(data, *, status: int = 200, headers: dict | None = None) -> web.Response:
    """discord.py parses a body as JSON only for exactly "application/json", as Discord sends."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def user_json(uid: int, name: str, *, bot: bool = False) -> dict:
    return {"id": str(uid), "username": name, "discriminator": "0", "global_name": None,
            "avatar": None, "bot": bot}


class FakeDiscord:
    """The Discord REST API as far as briefbot uses it, recording every request."""

    def __init__(self) -> None:
        self.ids = itertools.count(900000000000000000)
        self.requests: list[tuple[str, str, dict | None]] = []
        self.messages: list[dict] = []  # created channel messages
        self.webhook_posts: list[dict] = []
        self.callbacks: list[dict] = []
        self.synced: dict[str, list[dict]] = {}
        self.rate_limit_next = 0  # answer this many message creates with 429
        self.fail_after_create_next = 0  # create, then answer 502 (a lost response)
        self.followup_seen = asyncio.Event()
        self.auth_headers: set[str] = set()
        self.reject_token = False
        self.missing_access: set[str] = set()  # guilds the bot was not invited to
        self.rate_limit_followups_next = 0

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/api/v10/users/@me", self.me)
        r.add_get("/api/v10/oauth2/applications/@me", self.application)
        r.add_get("/api/v10/channels/{cid}", self.channel)
        r.add_post("/api/v10/channels/{cid}/messages", self.create_message)
        r.add_post("/api/v10/channels/{cid}/typing", self.no_content)
        r.add_put("/api/v10/applications/{app}/commands", self.sync)
        r.add_put("/api/v10/applications/{app}/guilds/{gid}/commands", self.sync)
        r.add_post("/api/v10/interactions/{iid}/{tok}/callback", self.callback)
        r.add_post("/api/v10/webhooks/{app}/{tok}", self.followup)
        r.add_patch("/api/v10/webhooks/{app}/{tok}/messages/@original", self.edit_original)
        r.add_delete("/api/v10/webhooks/{app}/{tok}/messages/@original", self.no_content)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler):
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, body))
        if "Authorization" in request.headers:
            self.auth_headers.add(request.headers["Authorization"])
        return await handler(request)

    def message_json(self, channel_id: str, body: dict) -> dict:
        return {"id": str(next(self.ids)), "channel_id": channel_id, "type": 0,
                "content": body.get("content") or "", "embeds": body.get("embeds") or [],
                "author": user_json(APP_ID, "briefbot", bot=True), "attachments": [],
                "mentions": [], "mention_roles": [], "mention_everyone": False,
                "pinned": False, "tts": False, "flags": body.get("flags", 0),
                "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None,
                "components": [], "nonce": body.get("nonce")}

    async def me(self, request):
        if self.reject_token:
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return json_response(user_json(APP_ID, "briefbot", bot=True))

    async def application(self, request):
        return json_response({
            "id": str(APP_ID), "name": "briefbot", "description": "", "icon": None,
            "bot_public": False, "bot_require_code_grant": False, "verify_key": "00",
            "owner": user_json(1, "owner"), "flags": 0})

    async def channel(self, request):
        return json_response({"id": request.match_info["cid"], "type": 0,
                                  "guild_id": str(GUILD_ID), "name": "news", "position": 0,
                                  "permission_overwrites": [], "nsfw": False,
                                  "parent_id": None})

    async def create_message(self, request):
        body = await request.json()
        if self.rate_limit_next:
            self.rate_limit_next -= 1
            return self.too_many_requests()
        if body.get("enforce_nonce"):
            for message in self.messages:  # Discord: same nonce soon after -> same message
                if message["nonce"] == body.get("nonce"):
                    return json_response(message)
        message = self.message_json(request.match_info["cid"], body)
        self.messages.append(message)
        if self.fail_after_create_next:
            self.fail_after_create_next -= 1
            return json_response({"message": "Bad Gateway"}, status=502)
        return json_response(message)

    @staticmethod
    def too_many_requests() -> web.Response:
        return json_response(
            {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
            status=429, headers={"Retry-After": "0.05", "X-RateLimit-Scope": "user",
                                 "Via": "1.1 google"})  # Discord's 429s come through its proxy

    async def sync(self, request):
        key = request.match_info.get("gid", "global")
        if key in self.missing_access:
            return json_response({"message": "Missing Access", "code": 50001}, status=403)
        self.synced[key] = await request.json()
        return json_response([
            {**c, "id": str(next(self.ids)), "application_id": str(APP_ID), "version": "1"}
            for c in await request.json()])

    async def callback(self, request):
        body = await request.json()
        self.callbacks.append(body)
        flags = (body.get("data") or {}).get("flags", 0)
        return json_response({
            "interaction": {"id": request.match_info["iid"], "type": 2,
                            "response_message_loading": body["type"] == 5,
                            "response_message_ephemeral": bool(flags & 64)},
            "resource": {"type": body["type"]}})

    async def followup(self, request):
        if self.rate_limit_followups_next:
            self.rate_limit_followups_next -= 1
            return self.too_many_requests()
        body = await request.json()
        self.webhook_posts.append(body)
        self.followup_seen.set()
        return json_response(self.message_json(str(CHANNEL_ID), body))

    async def edit_original(self, request):
        return json_response(self.message_json(str(CHANNEL_ID), await request.json()))

    async def no_content(self, request):
        return web.Response(status=204)


@contextlib.asynccontextmanager
async def serving(fake: FakeDiscord, monkeypatch):
    """Run `fake` on loopback and point discord.py at it (the only thing changed on its side)."""
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.fixture
async def discord_api(monkeypatch):
    async with serving(FakeDiscord(), monkeypatch) as fake:
        yield fake


def make_registry(seen: list) -> Registry:
    reg = Registry()

    @reg.command("latest", "What's new on a topic", arg="topic", arg_required=True)
    async def latest(req: Request, services: Services) -> Reply:
        seen.append(req)
        if req.text == "private":
            return Reply.plain("Only for you.", ephemeral=True)
        return Reply(sections=(Section.cited([Claim(f"@everyone {req.text} happened.", (1,))]),),
                     title=f"Latest on {req.text}",
                     sources=(Source(1, 1, "Story", "AP", None, "https://example.com/s"),))

    @reg.command("subscribe", "Daily digest here", arg="time", requires_manage=True)
    async def subscribe(req: Request, services: Services) -> Reply:
        seen.append(req)
        return Reply.plain("Subscribed.")

    return reg


def make_services(reg: Registry, **settings) -> Services:
    return Services(settings=Settings.load(env={}, dotenv=None, **settings), index=None,
                    summarizer=None, registry=reg)


@pytest.fixture
async def logged_in(discord_api, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list = []
    bot = BriefBot(make_services(make_registry(seen), discord_guild_ids=(GUILD_ID,)),
                   sync="guild")
    await bot.login(TOKEN)  # REST login: no gateway needed for these tests
    yield bot, discord_api, seen
    await bot.close()
    assert TOKEN not in caplog.text  # the token never reaches the logs
    assert discord_api.auth_headers <= {f"Bot {TOKEN}"}


def interaction_payload(name: str, options: list[dict], *, permissions: int,
                        guild: bool = True) -> dict:
    payload = {
        "id": "123456789012345678", "application_id": str(APP_ID), "type": 2,
        "token": "interaction-token", "version": 1, "channel_id": str(CHANNEL_ID),
        "app_permissions": str(discord.Permissions.text().value), "locale": "en-US",
        "entitlements": [], "attachment_size_limit": 10485760,
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "data": {"id": "1", "name": name, "type": 1, "options": options},
    }
    person = user_json(31337, "reader")
    if guild:
        payload.update(guild_id=str(GUILD_ID), guild_locale="en-US", context=0,
                       member={"user": person, "roles": [], "permissions": str(permissions),
                               "joined_at": "2025-01-01T00:00:00+00:00", "deaf": False,
                               "mute": False, "flags": 0})
    else:
        payload.update(user=person, context=1)
    return payload


async def run_interaction(bot: BriefBot, fake: FakeDiscord, payload: dict) -> None:
    """Hand discord.py an INTERACTION_CREATE exactly as the gateway would, await the answer."""
    bot._connection.parse_interaction_create(payload)
    await asyncio.wait_for(fake.followup_seen.wait(), 20)
    await asyncio.sleep(0)  # let a trailing delete of the placeholder go out


async def test_guild_sync_sends_the_registry_commands(logged_in):
    bot, fake, _ = logged_in
    synced = fake.synced[str(GUILD_ID)]
    assert sorted(c["name"] for c in synced) == ["latest", "subscribe"]
    subscribe = next(c for c in synced if c["name"] == "subscribe")
    assert subscribe["default_member_permissions"] == discord.Permissions(
        manage_channels=True).value
    assert subscribe["options"][0]["name"] == "time"


async def test_global_sync_registers_everywhere_and_removes_guild_copies(discord_api):
    bot = BriefBot(make_services(make_registry([]), discord_guild_ids=(GUILD_ID,)),
                   sync="global")
    await bot.login(TOKEN)
    await bot.close()
    assert sorted(c["name"] for c in discord_api.synced["global"]) == ["latest", "subscribe"]
    assert discord_api.synced[str(GUILD_ID)] == []


async def test_a_guild_that_refuses_the_sync_is_logged_and_the_others_still_sync(
        discord_api, caplog):
    other = GUILD_ID + 1
    discord_api.missing_access.add(str(GUILD_ID))
    bot = BriefBot(make_services(make_registry([]), discord_guild_ids=(GUILD_ID, other)),
                   sync="guild")
    await bot.login(TOKEN)
    await bot.close()
    assert str(GUILD_ID) not in discord_api.synced
    assert len(discord_api.synced[str(other)]) == 2
    assert f"cannot sync commands to guild {GUILD_ID}" in caplog.text


async def test_real_interaction_is_deferred_then_answered_by_follow_up(logged_in):
    bot, fake, seen = logged_in
    payload = interaction_payload("latest", [{"name": "topic", "type": 3, "value": "Kyiv"}],
                                  permissions=discord.Permissions.text().value)
    await run_interaction(bot, fake, payload)
    order = [(m, p.split("/")[3]) for m, p, _ in fake.requests if "/interactions/" in p
             or "/webhooks/" in p]
    assert order == [("POST", "interactions"), ("POST", "webhooks")]
    assert fake.callbacks[0]["type"] == 5  # deferred "thinking" response
    assert not fake.callbacks[0].get("data", {}).get("flags", 0) & 64
    (post,) = fake.webhook_posts
    assert post["allowed_mentions"] == {"parse": []}
    embed = post["embeds"][0]
    assert embed["title"] == "Latest on Kyiv"
    assert embed["description"] == "@\u200beveryone Kyiv happened. [1]"
    assert embed["fields"][0]["value"].startswith("[1] [Story](https://example.com/s) — AP")
    assert seen[0].text == "Kyiv" and not seen[0].can_manage


async def test_real_interaction_without_manage_channels_is_refused_privately(logged_in):
    bot, fake, seen = logged_in
    payload = interaction_payload("subscribe", [{"name": "time", "type": 3, "value": "08:00"}],
                                  permissions=discord.Permissions.text().value)
    await run_interaction(bot, fake, payload)
    assert fake.callbacks[0]["data"]["flags"] & 64  # ephemeral from the start
    (post,) = fake.webhook_posts
    assert "Manage Channels" in post["embeds"][0]["description"]
    assert seen == []


async def test_real_interaction_with_manage_channels_runs_the_command(logged_in):
    bot, fake, seen = logged_in
    payload = interaction_payload("subscribe", [],
                                  permissions=discord.Permissions(manage_channels=True).value)
    await run_interaction(bot, fake, payload)
    assert fake.webhook_posts[0]["embeds"][0]["description"] == "Subscribed."
    assert seen[0].can_manage and seen[0].extra["guild_id"] == str(GUILD_ID)


async def test_private_answer_after_public_defer_removes_the_placeholder(logged_in):
    bot, fake, _ = logged_in
    payload = interaction_payload("latest", [{"name": "topic", "type": 3, "value": "private"}],
                                  permissions=0)
    await run_interaction(bot, fake, payload)
    for _ in range(50):
        if any(m == "DELETE" for m, _, _ in fake.requests):
            break
        await asyncio.sleep(0.01)
    calls = [m for m, p, _ in fake.requests if "/interactions/" in p or "/webhooks/" in p]
    assert calls == ["POST", "PATCH", "POST", "DELETE"]
    assert fake.webhook_posts[0]["flags"] & 64


async def test_a_rate_limited_follow_up_is_waited_out_and_delivered_once(logged_in):
    bot, fake, _ = logged_in
    fake.rate_limit_followups_next = 1
    payload = interaction_payload("latest", [{"name": "topic", "type": 3, "value": "Kyiv"}],
                                  permissions=0)
    await run_interaction(bot, fake, payload)
    attempts = [p for m, p, _ in fake.requests if m == "POST" and "/webhooks/" in p]
    assert len(attempts) == 2 and len(fake.webhook_posts) == 1
    assert fake.webhook_posts[0]["embeds"][0]["title"] == "Latest on Kyiv"


async def test_poster_waits_out_a_429_and_posts_once(logged_in):
    bot, fake, _ = logged_in
    fake.rate_limit_next = 2
    reply = Reply(sections=(Section.cited([Claim("Digest line.", (1,))]),), title="Daily digest",
                  sources=(Source(1, 1, "Story", "AP", None, "https://example.com/s"),))
    message_id = await bot.poster.post(str(CHANNEL_ID), reply)
    attempts = [r for r in fake.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(attempts) == 3
    (message,) = fake.messages
    assert message_id == message["id"]
    assert message["embeds"][0]["title"] == "Daily digest"
    assert attempts[-1][2]["allowed_mentions"] == {"parse": []}


async def test_a_lost_response_or_a_retried_post_does_not_post_twice(logged_in):
    bot, fake, _ = logged_in
    fake.fail_after_create_next = 1  # Discord created it, but the answer got lost
    reply = Reply.plain("Only once, please.", title="Digest")
    first = await bot.poster.post(str(CHANNEL_ID), reply)
    again = await bot.poster.post(str(CHANNEL_ID), reply)  # the scheduler retries
    assert len(fake.messages) == 1
    assert first == again == fake.messages[0]["id"]


def test_settings_are_checked_before_connecting():
    reg = Registry()
    with pytest.raises(ConfigError, match="^DISCORD_TOKEN is not set"):
        check_discord_settings(make_services(reg), "none")
    with pytest.raises(ConfigError, match="^DISCORD_TOKEN is malformed"):
        check_discord_settings(make_services(reg, discord_token="not-a-token"), "none")
    with pytest.raises(ConfigError, match="^DISCORD_GUILD_IDS is not set"):
        check_discord_settings(make_services(reg, discord_token=TOKEN), "guild")
    with pytest.raises(ConfigError, match="^--sync must be one of"):
        check_discord_settings(make_services(reg, discord_token=TOKEN), "everywhere")
    check_discord_settings(make_services(reg, discord_token=TOKEN), "global")


async def test_a_token_discord_refuses_stops_the_start_with_one_line(discord_api, caplog):
    discord_api.reject_token = True
    services = make_services(make_registry([]), discord_token=TOKEN)
    with pytest.raises(ConfigError, match="^DISCORD_TOKEN was refused by Discord"):
        await run_discord(services, sync="none")
    assert TOKEN not in caplog.text


async def test_real_interaction_in_a_dm_may_change_that_conversation(logged_in):
    bot, fake, seen = logged_in
    payload = interaction_payload("subscribe", [{"name": "time", "type": 3, "value": "09:15"}],
                                  permissions=0, guild=False)
    await run_interaction(bot, fake, payload)
    assert fake.webhook_posts[0]["embeds"][0]["description"] == "Subscribed."
    assert seen[0].is_direct and seen[0].can_manage and seen[0].text == "09:15"


async def test_an_over_long_option_gets_a_clear_private_answer(logged_in):
    bot, fake, seen = logged_in
    payload = interaction_payload("latest", [{"name": "topic", "type": 3, "value": "x" * 400}],
                                  permissions=0)
    await run_interaction(bot, fake, payload)
    assert fake.callbacks[0]["data"]["flags"] & 64  # private from the start
    text = fake.webhook_posts[0]["embeds"][0]["description"]
    assert "400 characters" in text and "300" in text
    assert seen == []


async def test_a_command_out_of_sync_with_discord_gets_a_clear_answer(logged_in, caplog):
    bot, fake, seen = logged_in
    stale = interaction_payload("latest", [{"name": "query", "type": 3, "value": "Kyiv"}],
                                permissions=0)
    bot._connection.parse_interaction_create(stale)
    for _ in range(200):
        if fake.callbacks:
            break
        await asyncio.sleep(0.01)
    (answer,) = fake.callbacks
    assert answer["type"] == 4 and answer["data"]["flags"] & 64
    assert "sync its commands" in answer["data"]["embeds"][0]["description"]
    assert "sync the commands" in caplog.text and seen == []


async def test_an_empty_registry_never_wipes_the_commands_on_discord(discord_api, caplog):
    bot = BriefBot(make_services(Registry(), discord_guild_ids=(GUILD_ID,)), sync="global")
    await bot.login(TOKEN)
    await bot.close()
    assert discord_api.synced == {}
    assert "not syncing: no commands are registered" in caplog.text
