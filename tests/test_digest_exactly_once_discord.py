"""Exactly-once digests on Discord, through discord.py's real HTTP client.

The peer extends test_discord_http's FakeDiscord the way Discord behaves where it
matters here: a nonce is enforced only for a few minutes (by a clock the test
sets), so a successor re-sending half an hour later would create a second message;
the channel's history (GET /channels/{id}/messages) returns the messages with
their embeds, but not the nonce. What finds a digest part again is its footer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import discord.http
import discord.utils
import pytest
from aiohttp import web
from digest_fakes import ManualClock, day_one_db, services_on_copy
from test_discord_http import CHANNEL_ID, TOKEN, FakeDiscord, json_response, serving

from adapters.discord.client import BriefBot
from bot.digests.delivery import DigestStatus, PartTag
from bot.digests.manage import listing
from bot.digests.store import DigestStore
from bot.scheduler import DigestScheduler

DUE = datetime(2026, 7, 13, 20, 0, tzinfo=UTC)
DAY = "2026-07-13"
CHANNEL = str(CHANNEL_ID)
NONCE_TTL = timedelta(minutes=5)


class ForgetfulDiscord(FakeDiscord):
    """Nonces remembered for NONCE_TTL by `clock`; history readable unless refused;
    `hang_next` creates the message and never answers (the test kills the bot there)."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock
        self.nonce_seen: dict[str, datetime] = {}
        self.hang_next = 0
        self.history_forbidden = False
        self.created = asyncio.Event()
        self.release = asyncio.Event()
        self.ids = (discord.utils.time_snowflake(datetime.now(UTC)) + n
                    for n in itertools.count())

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/api/v10/channels/{cid}/messages", self.history)
        return app

    async def create_message(self, request):
        body = await request.json()
        nonce = body.get("nonce")
        if self.rate_limit_next:
            self.rate_limit_next -= 1
            return self.too_many_requests()
        seen = self.nonce_seen.get(nonce)
        if body.get("enforce_nonce") and seen and self.clock() - seen < NONCE_TTL:
            return json_response(next(m for m in self.messages if m["nonce"] == nonce))
        message = self.message_json(request.match_info["cid"], body)
        self.messages.append(message)
        self.nonce_seen[nonce] = self.clock()
        self.created.set()
        if self.hang_next:
            self.hang_next -= 1
            await self.release.wait()
        if self.fail_after_create_next:
            self.fail_after_create_next -= 1
            return json_response({"message": "Bad Gateway"}, status=502)
        return json_response(message)

    async def history(self, request):
        if self.history_forbidden:
            return json_response({"message": "Missing Access", "code": 50001}, status=403)
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 50))
        cid = request.match_info["cid"]
        newer = sorted((m for m in self.messages if m["channel_id"] == cid
                        and int(m["id"]) > after), key=lambda m: int(m["id"]))[:limit]
        return json_response([{k: v for k, v in m.items() if k != "nonce"}  # no nonce in history
                              for m in reversed(newer)])

    def copies(self) -> dict[tuple[int, int], int]:
        out: dict[tuple[int, int], int] = {}
        for m in self.messages:
            tag = PartTag.parse(m["embeds"][-1].get("footer", {}).get("text")
                                if m["embeds"] else m["content"])
            key = (tag.claim, tag.part) if tag else (0, 0)
            out[key] = out.get(key, 0) + 1
        return out


@pytest.fixture
def clock():
    return ManualClock(DUE + timedelta(seconds=5))


@pytest.fixture
async def peer(monkeypatch, clock):
    fake = ForgetfulDiscord(clock)
    async with serving(fake, monkeypatch):
        yield fake
        fake.release.set()


@pytest.fixture(scope="module")
def day_one(tmp_path_factory, fast_encoder, blank_nlp):
    """A day of news and the channel subscribed for 20:00 UTC (built once, copied per test)."""
    return day_one_db(tmp_path_factory.mktemp("exactly-once-discord") / "bot.db", fast_encoder,
                      "discord",
                      CHANNEL, DUE, blank_nlp)


@pytest.fixture
def services(tmp_path, fast_encoder, blank_nlp, clock, day_one, database):
    """The fast pair: these claims are about delivery, not which sentences are chosen."""
    with services_on_copy(day_one, tmp_path, fast_encoder, clock, blank_nlp,
                          database) as svc:  # on SQLite, then on PostgreSQL
        yield svc


@contextlib.asynccontextmanager
async def process(services):
    """One serving process: a logged-in bot (REST only) and its digest scheduler."""
    bot = BriefBot(services, sync="none")
    await bot.login(TOKEN)
    sched = DigestScheduler(services, {"discord": bot.poster})
    try:
        yield sched
    finally:
        sched.shutdown()
        await bot.close()


def row(services):
    store = DigestStore(services.settings.database)
    try:
        return store.digest("discord", CHANNEL, DAY)
    finally:
        store.close()


async def kill_after_create(services, peer) -> None:
    peer.hang_next = 1
    async with process(services) as first:
        task = asyncio.create_task(first.fire("discord", CHANNEL))
        await asyncio.wait_for(peer.created.wait(), 20)
        task.cancel()  # kill -9 after Discord created the message, before it was recorded
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_killed_after_discord_created_it_the_successor_finds_the_footer(
        services, peer, clock):
    await kill_after_create(services, peer)
    clock.advance(minutes=31)  # stale claim; Discord forgot the nonce long ago
    async with process(services) as successor:
        outcome = await successor.fire("discord", CHANNEL, DAY)
    assert outcome.status == "sent"
    (message,) = peer.messages
    assert peer.copies() == {(row(services).id, 1): 1}
    assert row(services).status is DigestStatus.SENT
    assert row(services).message_id == message["id"]
    assert row(services).sent_at - DUE <= timedelta(hours=services.settings.digest_grace_hours)
    assert "digest 2026-07-13 · #" in message["embeds"][-1]["footer"]["text"]
    assert message["embeds"][0]["title"].startswith("Digest")


async def test_a_lost_answer_is_retried_by_discord_py_under_the_same_nonce(services, peer,
                                                                          clock):
    peer.fail_after_create_next = 1  # Discord created it, the 502 lost the answer
    async with process(services) as sched:
        outcome = await sched.fire("discord", CHANNEL)
    assert outcome.status == "sent"
    assert len(peer.messages) == 1 and outcome.message_id == peer.messages[0]["id"]


async def test_without_read_message_history_a_doubtful_digest_is_never_resent(
        services, peer, clock):
    await kill_after_create(services, peer)
    peer.history_forbidden = True
    clock.advance(minutes=31)
    async with process(services) as successor:
        outcome = await successor.fire("discord", CHANNEL, DAY)
        while outcome.retry_at is not None:
            clock.set(outcome.retry_at)
            outcome = await successor.fire("discord", CHANNEL, DAY)
        shown = listing(successor.store, successor.store.subscriptions(), clock.now)[0]
    assert outcome.status == "uncertain" and len(peer.messages) == 1
    assert (f"last digest of {DAY} may not have arrived: briefbot cannot read this "
            "channel's history") in shown and "Read Message History" in shown


def test_the_invite_links_ask_for_every_permission_the_bot_uses():
    """Without Read Message History a doubtful digest can only be reported, never checked;
    without Attach Files a timeline has no chart (docs and README)."""
    root = Path(__file__).resolve().parent.parent
    for doc in (root / "README.md", root / "docs" / "discord.md"):
        values = {int(v) for v in re.findall(r"permissions=(\d+)", doc.read_text("utf-8"))}
        assert values, doc
        for value in values:
            perms = discord.Permissions(value)
            assert perms.read_message_history and perms.send_messages and perms.view_channel
            assert perms.embed_links and perms.send_messages_in_threads and perms.attach_files
