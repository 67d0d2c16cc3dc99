"""Fakes and data for digest and scheduler tests: a clock you set, a platform peer that
records posts, and three days of dated articles (written for these tests).

The RecordingPoster stands for Discord/Slack on the far side of a Poster: it
keeps what would have appeared in each channel, and can be told to fail.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import Reply
from bot.digests.delivery import HistoryUnavailable, PartTag
from bot.ingest.model import Article


class ManualClock:
    """`services.clock`: returns the time the test set, moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class RecordingPoster:
    """A platform that records posts; `fail_next` makes the next sends raise like a 503.

    It also speaks bot.digests.delivery: each digest part is kept with its tag in the
    channel's history (what `find_part` reads, unless `history_readable` is False),
    and with `one_part_per_section` a digest becomes one message per section.
    """

    def __init__(self, platform: str = "slack", *, fail_next: int = 0,
                 one_part_per_section: bool = False, history_readable: bool = True) -> None:
        self.platform = platform
        self.fail_next = fail_next
        self.one_part_per_section = one_part_per_section
        self.history_readable = history_readable
        self.posts: list[tuple[str, Reply]] = []
        self.tags: list[PartTag | None] = []  # parallel to posts
        self.attempts = 0
        #: The event loop each post ran on (a platform client works on its own loop only).
        self.loops: list = []
        self._lock = threading.Lock()

    async def post(self, channel_id: str, reply: Reply, tag: PartTag | None = None) -> str:
        with self._lock:
            self.loops.append(asyncio.get_running_loop())
            self.attempts += 1
            if self.fail_next:
                self.fail_next -= 1
                raise ConnectionError("platform answered HTTP 503")
            self.posts.append((channel_id, reply))
            self.tags.append(tag)
            return f"msg-{len(self.posts)}"

    async def split(self, channel_id: str, reply: Reply) -> list[Reply]:
        if not self.one_part_per_section or len(reply.sections) < 2:
            return [reply]
        return [Reply(sections=(s,), title=reply.title, sources=reply.sources, kind=reply.kind)
                for s in reply.sections]

    async def send_part(self, channel_id: str, part: Reply, tag: PartTag) -> str:
        return await self.post(channel_id, part, tag)

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        if not self.history_readable:
            raise HistoryUnavailable("no permission to read history")
        for i, ((channel, _), seen) in enumerate(zip(self.posts, self.tags, strict=True)):
            if channel == channel_id and seen == tag:
                return f"msg-{i + 1}"
        return None

    def texts(self, channel_id: str | None = None) -> list[str]:
        return [r.text for c, r in self.posts if channel_id in (None, c)]


def make_services(db_path, encoder, clock, nlp=None, **settings_overrides):
    """Real Index, summarizer and commands on `db_path` (a SQLite path, or a `DatabaseUrl`
    for PostgreSQL), with a settable clock.

    `nlp` None means the configured spaCy model; tests of delivery pass `blank_nlp`."""
    from bot.config import Settings
    from bot.index.backend import DatabaseUrl
    from bot.index.store import Index
    from bot.registry import load_commands
    from bot.services import Services
    from summarizer import make_summarizer

    where = ({"database_url": db_path} if isinstance(db_path, DatabaseUrl)
             else {"db_path": db_path})
    settings = Settings.load(env={}, dotenv=None, **where, **settings_overrides)
    index = Index(settings.database, settings, encoder=encoder, nlp=nlp)
    return Services(settings=settings, index=index, summarizer=make_summarizer(settings, encoder),
                    registry=load_commands(), clock=clock)


@contextmanager
def services_on_copy(template: Path, folder: Path, encoder, clock, nlp=None,
                     database=None) -> Iterator:
    """Services over a fresh copy of `template` (built once per module, used per test);
    with a PostgreSQL `database` (conftest's fixture), the copy is migrated there."""
    from bot.index.backend import DatabaseUrl
    from bot.index.transfer import transfer

    shutil.copyfile(template, folder / "bot.db")
    overrides = {}
    if isinstance(database, DatabaseUrl):
        transfer(folder / "bot.db", database)
        overrides["database_url"] = database
    services = make_services(folder / "bot.db", encoder, clock, nlp, **overrides)
    try:
        yield services
    finally:
        services.index.close()


def day_one_db(path: Path, encoder, platform: str, channel: str, due: datetime, nlp=None) -> Path:
    """A database with DAY1's news and `channel` subscribed at `due`'s UTC time (the day before)."""
    from bot.digests.manage import subscribe
    from bot.digests.store import DigestStore

    services = make_services(path, encoder, ManualClock(due), nlp)
    for a in DAY1:
        services.index.add(a)
    store = DigestStore(path)
    subscribe(store, platform, channel, f"{due:%H:%M}", "UTC", None, False,
              settings=services.settings, now=due - timedelta(days=1))
    store.close()
    services.index.close()
    return path


def article(title, publisher, day, hour, *paragraphs):
    return Article(title=title, text="\n".join(paragraphs), publisher=publisher,
                   published=datetime(2026, 7, day, hour, 0, tzinfo=UTC),
                   url=f"https://news.example/{publisher.lower().replace(' ', '-')}/{day}/{hour}",
                   origin=f"test/{publisher.lower()}-{day}-{hour}", date_source="metadata")


SUMMIT_BACKGROUND = ("Donald Trump and Vladimir Putin agreed during a two-hour phone call to meet "
                     "in Budapest to discuss ending the war in Ukraine.")

DAY1 = [
    article("Trump and Putin agree to hold summit in Budapest", "Reuters", 13, 9,
            SUMMIT_BACKGROUND,
            "Hungarian Prime Minister Viktor Orban said his government would host the talks "
            "and offered security guarantees for both delegations.",
            "No date has been set for the meeting, officials in Washington said."),
    article("Budapest chosen as venue for Trump-Putin meeting", "Associated Press", 13, 11,
            "The leaders of the United States and Russia will meet in the Hungarian capital, "
            "the Kremlin confirmed after a lengthy telephone conversation on Thursday.",
            "Kremlin aide Yuri Ushakov said preparations for the Budapest meeting would begin "
            "at the level of foreign ministers.",
            "Ukrainian President Volodymyr Zelensky is due in Washington on Friday."),
    article("Heatwave grips southern Europe as temperatures pass 44C", "BBC", 13, 8,
            "Spain, Italy and Greece issued red alerts on Sunday as a heatwave pushed "
            "temperatures above 44C in several cities.",
            "Firefighters in Greece battled dozens of wildfires near Athens, and the Acropolis "
            "was closed to visitors in the afternoon.",
            "Doctors urged elderly people to stay indoors during the hottest hours."),
]

DAY2 = [
    article("Budapest summit put on hold, White House says", "Reuters", 14, 10,
            "The White House said on Monday that the planned summit in Budapest had been put "
            "on hold after Russia rejected a ceasefire along the current front line.",
            SUMMIT_BACKGROUND,
            "Secretary of State Marco Rubio and Foreign Minister Sergei Lavrov cancelled a "
            "preparatory meeting that had been due this week."),
    article("Floods in Bangladesh force thousands from their homes", "The Guardian", 14, 7,
            "Monsoon floods in northern Bangladesh have forced more than 60,000 people from "
            "their homes, the disaster ministry said on Monday.",
            "Rivers in Sylhet and Sunamganj rose above danger levels after three days of "
            "torrential rain.",
            "Army units were deployed to evacuate villages cut off by the water."),
    article("Southern Europe swelters in heatwave", "Euronews", 14, 6,
            "Spain, Italy and Greece put out red alerts on Sunday as the heatwave pushed "
            "temperatures past 44C in several cities.",
            "Firefighters in Greece fought dozens of wildfires near Athens, and the Acropolis "
            "was shut to visitors in the afternoon."),
]

DAY3 = [
    article("Bangladesh flood death toll rises to 40", "Reuters", 15, 9,
            "At least 40 people have died in the floods in northern Bangladesh, officials said "
            "on Tuesday, as the waters began to recede in Sylhet.",
            "Monsoon floods in northern Bangladesh forced more than 60,000 people from their "
            "homes, the disaster ministry said.",
            "The government announced emergency food aid for 200,000 families."),
    article("European Central Bank raises interest rates to fight inflation", "Financial Times",
            15, 12,
            "The European Central Bank raised its main interest rate by a quarter point on "
            "Tuesday, its first increase in two years.",
            "ECB President Christine Lagarde said inflation in the eurozone remained too high "
            "for too long.",
            "Markets had widely expected the move, and the euro rose slightly against the "
            "dollar."),
    article("White House puts Budapest meeting on hold", "CNN", 15, 8,
            "The White House said the planned summit in Budapest had been put on hold after "
            "Russia refused a ceasefire along the current front line.",
            "Rubio and Lavrov called off a preparatory meeting that had been due this week."),
]


# --- a Slack Web API peer for digests: scripted faults, history with metadata -----------
class SlackPeer:
    """Slack's side of the wire for digests, on 127.0.0.1: chat.postMessage keeps each
    message (with its metadata) in the channel's history, conversations.history returns
    it as Slack does (newest first, metadata only with include_all_metadata).

    Each chat.postMessage call takes the next fault from `script` (or asks `chooser`):
    "ok"; "drop" (posted, then the connection is closed before the answer); "slow"
    (posted, answered after `slow_seconds`, past a short client timeout); "hang"
    (posted, never answered: the test kills the poster there); "lost" (the connection
    is closed before Slack posted anything); "refuse" (answered ok=false, not posted);
    "503" (not posted); "429:SECONDS" (rate-limited with that Retry-After).
    """

    def __init__(self, *, slow_seconds: float = 1.5) -> None:
        self.history: dict[str, list[dict]] = {}
        self.script: list[str] = []
        self.chooser = None  # optional callable(payload) -> fault, used when script is empty
        self.slow_seconds = slow_seconds
        self.history_error: str | None = None  # e.g. "missing_scope"
        self.calls: dict[str, int] = {}
        self.accepted = asyncio.Event()  # set at each accepted post (for "hang")
        self.url = ""
        self._runner = None
        self._seq = 0
        self._closing = asyncio.Event()  # releases "hang" handlers when the peer stops

    async def start(self) -> SlackPeer:
        from aiohttp import web

        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/"
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def copies(self, channel: str) -> dict[tuple[int, int], int]:
        """(claim, part) -> how many messages carrying that tag the channel shows."""
        out: dict[tuple[int, int], int] = {}
        for m in self.history.get(channel, []):
            p = (m.get("metadata") or {}).get("event_payload") or {}
            key = (int(p.get("claim", 0)), int(p.get("part", 0)))
            out[key] = out.get(key, 0) + 1
        return out

    def texts(self, channel: str) -> list[str]:
        return [m["text"] for m in self.history.get(channel, [])]

    async def _payload(self, request) -> dict:
        import json
        from urllib.parse import parse_qsl

        data = dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json" and raw:
            data.update(json.loads(raw))
        elif raw:
            data.update(parse_qsl(raw))
        return data

    async def api(self, request):
        from aiohttp import web

        name = request.match_info["method"]
        self.calls[name] = self.calls.get(name, 0) + 1
        data = await self._payload(request)
        if name == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT", "team_id": "T1"})
        if name == "conversations.history":
            return self._history(data)
        if name != "chat.postMessage":
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        fault = self.script.pop(0) if self.script else (
            self.chooser(data) if self.chooser else "ok")
        if fault.startswith("429:"):
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": fault[4:]})
        if fault == "503":
            return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)
        if fault == "refuse":
            return web.json_response({"ok": False, "error": "fatal_error"})
        if fault == "lost":
            request.transport.close()
            return web.Response(status=204)
        self._seq += 1
        ts = f"{time.time():.0f}.{self._seq:06d}"
        message = {"type": "message", "ts": ts, "text": data.get("text", ""),
                   "blocks": data.get("blocks"), "bot_id": "BBOT", "metadata": data.get("metadata")}
        self.history.setdefault(data.get("channel", ""), []).append(message)
        self.accepted.set()
        if fault == "drop":
            request.transport.close()
            return web.Response(status=204)
        if fault == "hang":
            await self._closing.wait()
            if request.transport is not None:  # None once the client that posted has died
                request.transport.close()
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        return web.json_response({"ok": True, "channel": data.get("channel"), "ts": ts})

    def _history(self, data: dict):
        from aiohttp import web

        if self.history_error:
            return web.json_response({"ok": False, "error": self.history_error})
        oldest = float(data.get("oldest") or 0)
        with_meta = str(data.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m for m in reversed(self.history.get(data.get("channel", ""), []))
                 if float(m["ts"]) > oldest]
        if not with_meta:
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        return web.json_response({"ok": True, "messages": found[:int(data.get("limit", 100))],
                                  "has_more": False})
