"""Loopback test peers for the feed and fetch tests: an HTTP server, a resolver, a connect guard.

Every request in these tests goes to 127.0.0.1. Hostnames the tests use
("news.test", "internal.test") are answered by `FakeResolver`, which the test
controls, and `connect_guard` records every outgoing socket connect and blocks
any that is not loopback, so a bug in the fetcher cannot reach a real network.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.feeds.addresses import AddressPolicy
from bot.feeds.fetch import SafeFetcher

LOOPBACK_ONLY = AddressPolicy.build(allow_networks=["127.0.0.1/32"])


@dataclass
class Page:
    """What the server answers on one path."""

    body: bytes | str = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: Answer 304 when the request carries this ETag in If-None-Match.
    etag: str | None = None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LoopbackServer:
    """An aiohttp server on 127.0.0.1 (random port) whose pages tests set and change."""

    def __init__(self) -> None:
        self.pages: dict[str, Page | Handler] = {}
        self.hits: dict[str, int] = {}
        self.requests: list[web.Request] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def url(self, path: str, host: str = "news.test") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        self.requests.append(request)
        page = self.pages.get(request.path)
        if page is None:
            return web.Response(status=404, text="not found")
        if not isinstance(page, Page):
            return await page(request)
        if page.etag and request.headers.get("If-None-Match") == page.etag:
            return web.Response(status=304, headers={"ETag": page.etag})
        body = page.body.encode() if isinstance(page.body, str) else page.body
        headers = dict(page.headers)
        if page.etag:
            headers["ETag"] = page.etag
        return web.Response(status=page.status, body=body, headers=headers,
                            content_type=None if "Content-Type" in headers else
                            page.content_type.split(";")[0],
                            charset="utf-8" if "charset" in page.content_type else None)


class FakeResolver:
    """A resolver the test controls: a fixed name -> addresses map, recording each lookup."""

    def __init__(self, mapping: dict[str, list[str]]) -> None:
        self.mapping = mapping
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        if host not in self.mapping:
            raise OSError(f"test resolver has no entry for {host}")
        return self.mapping[host]


class ConnectGuard:
    """Every socket connect made during a test; non-loopback ones are blocked."""

    def __init__(self) -> None:
        self.connects: list[tuple] = []
        self.blocked: list[tuple] = []


@pytest.fixture
def connect_guard(monkeypatch: pytest.MonkeyPatch) -> ConnectGuard:
    guard = ConnectGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def allowed(sock: socket.socket, address: object) -> bool:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return True  # socketpairs and unix sockets the event loop uses internally
        guard.connects.append(address)  # type: ignore[arg-type]
        host = address[0] if isinstance(address, tuple) else ""
        if host in ("127.0.0.1", "::1"):
            return True
        guard.blocked.append(address)  # type: ignore[arg-type]
        return False

    def connect(sock: socket.socket, address: object) -> None:
        if not allowed(sock, address):
            raise ConnectionRefusedError(f"test guard: connect to {address} blocked")
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: object) -> int:
        if not allowed(sock, address):
            return 111
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield guard
    assert not guard.blocked, f"a test tried to leave loopback: {guard.blocked}"


@pytest.fixture
async def server() -> LoopbackServer:
    srv = LoopbackServer()
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver({
        "news.test": ["127.0.0.1"],
        "other.test": ["127.0.0.1"],
        "internal.test": ["10.0.0.5"],
        "metadata.test": ["169.254.169.254"],
        "cgnat.test": ["100.64.1.2"],
        "ula.test": ["fd12:3456::1"],
        "mapped.test": ["::ffff:192.168.1.10"],
        "mixed.test": ["127.0.0.1", "10.1.2.3"],
        "localhost.test": ["127.0.0.1"],
    })


#: "Now" in the feed tests: a fixed instant, so backfill windows and poll times are exact.
FEED_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def svc(fast_services_each_backend):
    """Real services over an empty index, their clock stopped at FEED_NOW; the fast pair,
    since feed tests are about fetching, parsing, storing and status, not entities.
    On each backend: SQLite, then PostgreSQL."""
    fast_services_each_backend.clock = lambda: FEED_NOW
    yield fast_services_each_backend
    fast_services_each_backend.feed_worker.close()


@pytest.fixture
def fetcher(resolver, connect_guard):
    """A fetcher that reaches only the loopback server, every connect guarded."""
    return make_fetcher(resolver)


def make_fetcher(resolver: FakeResolver, *, policy: AddressPolicy = LOOPBACK_ONLY,
                 max_bytes: int = 5 * 1024 * 1024, timeout: float = 1.0) -> SafeFetcher:
    """A fetcher that may reach only the loopback test server, with a short deadline."""
    return SafeFetcher(max_bytes=max_bytes, timeout=timeout, user_agent="briefbot-test",
                       policy=policy, resolver=resolver)


async def drip(request: web.Request) -> web.StreamResponse:
    """A server that sends a byte every 100 ms, far longer than any test deadline."""
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    try:
        for _ in range(600):
            await resp.write(b" ")
            await asyncio.sleep(0.1)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return resp


# --- feed documents ------------------------------------------------------------------------------

#: Distinct stories (each a few full paragraphs), so the index's near-duplicate check keeps them apart.
STORIES = {
    "bridge": ("Harbor bridge reopens after two years of repairs",
               "The Harbor Street bridge in Marlow reopened to traffic on Monday after a repair "
               "project that lasted two years and cost the city 48 million dollars. Engineers "
               "replaced the steel deck, repainted the towers and installed new sensors that "
               "measure strain during storms.\nMayor Elena Fischer cut the ribbon at dawn and "
               "walked across with a group of schoolchildren. She said the crossing would carry "
               "about thirty thousand vehicles a day. Local shop owners on both banks said "
               "the closure had cut their sales by a third, and they expect customers to return "
               "before the holiday season."),
    "buses": ("Council approves eleven new bus routes for the east side",
              "The Dunmore city council voted nine to two on Tuesday to create eleven new bus "
              "routes serving the eastern districts, where many residents have no car. The plan "
              "adds night services on weekends and a direct line to the regional hospital.\n"
              "Councillor Ravi Menon, who proposed the routes, said buses will run every twelve "
              "minutes at peak hours. The transit agency will hire sixty drivers and lease "
              "twenty electric buses. Opponents argued that the budget should first repair the "
              "existing depots, which flooded last spring."),
    "orchestra": ("Regional orchestra announces a winter season of forgotten composers",
                  "The Northvale Philharmonic will devote its winter season to composers whose "
                  "works are rarely performed, conductor Amara Osei announced on Wednesday. The "
                  "programme includes symphonies by Louise Farrenc and Florence Price and a "
                  "newly restored cello concerto.\nTickets go on sale next week, and students "
                  "will be admitted free to every Thursday matinee. Osei said the orchestra spent "
                  "a year reconstructing orchestral parts from handwritten copies found in a "
                  "library archive. The first concert opens in the renovated Corn Exchange hall."),
    "drought": ("Drought forces water limits in valley towns",
                "Five towns in the Keller Valley will limit garden watering to two evenings a "
                "week from Friday, as reservoir levels fell to their lowest point in three "
                "decades. The water board said lawns and car washing come first on the list of "
                "cuts.\nFarmers in the valley have already sold part of their herds because "
                "pastures dried out in August. Hydrologist Tomas Varga said an ordinary winter "
                "would refill the reservoirs only halfway. The board will review the limits "
                "every month and publish the levels on its website."),
    "robots": ("High school robotics team wins national title",
               "A team of eight students from Westbrook High School won the national robotics "
               "championship on Saturday with a machine that sorts recycling by colour and "
               "weight. The team beat forty other finalists in a three-day tournament.\nTheir "
               "coach, physics teacher Nadia Petrov, said the students built the robot from "
               "spare parts donated by a local garage. The prize includes a trip to the world "
               "finals in the spring. The school plans to show the robot at the town library "
               "during the winter break."),
    "mill": ("Old textile mill becomes a public library",
             "The former Ashby textile mill, empty since 1987, opened on Friday as a public "
             "library with reading rooms on four floors. Architects kept the cast iron columns "
             "and the original loom shed roof.\nLibrarian Owen Price said the building holds "
             "ninety thousand books and a workshop where visitors can repair bicycles and "
             "sewing machines. The conversion was paid for by a heritage grant and a local "
             "bond approved by voters. Opening hours run until ten in the evening."),
    "piers": ("Storm damages coastal piers along the bay",
              "A storm with winds of one hundred and twenty kilometres an hour damaged three "
              "piers along Saltmarsh Bay overnight, the coast guard said on Sunday. No one was "
              "hurt, but two fishing boats sank at their moorings.\nRepair crews began "
              "removing broken planks at first light. Harbour master Lena Kovacs said the main "
              "pier would stay closed for at least a month. Insurers sent assessors to the "
              "bay, and the regional government promised emergency funds for the fishing "
              "cooperative."),
    "market": ("Farmers market extends its opening hours",
               "The Greenfield farmers market will open on Wednesday evenings as well as "
               "Saturdays from next month, its organisers said. Stallholders asked for the "
               "change because many customers work on weekends.\nThe market has grown to "
               "sixty stalls selling vegetables, cheese, bread and honey from farms within "
               "forty kilometres. Organiser Priya Shah said the evening market will add "
               "lighting and a small stage for local musicians. Parking on the square will be "
               "free after six o'clock."),
    "museum": ("Museum acquires a rare collection of sea charts",
               "The Port Alder maritime museum has bought a collection of two hundred hand "
               "drawn sea charts from the eighteenth century, its director said on Thursday. "
               "The charts record depths and currents along the northern coast.\nDirector "
               "Samuel Okafor said the museum raised the purchase price through a public "
               "appeal that drew four thousand donors. Conservators will clean and scan every "
               "chart before an exhibition next autumn. Researchers hope the charts will show "
               "how the coastline moved over three centuries."),
}


async def kill_once_fetching(child, server: LoopbackServer, path: str) -> None:
    """SIGKILL a child process (tests/multiproc_child.py) the moment it is fetching `path`
    from the loopback server, i.e. while it holds a lease on that work."""
    import signal

    try:
        for _ in range(600):
            if server.hits.get(path) or child.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert server.hits.get(path) == 1, child.stderr.read() if child.poll() else ""
        child.send_signal(signal.SIGKILL)
        await asyncio.to_thread(child.wait, 30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def rfc822(dt) -> str:
    from email.utils import format_datetime
    return format_datetime(dt, usegmt=True)


def rss(title: str, items: list[dict], *, link: str = "http://news.test/") -> str:
    """An RSS 2.0 document; each item dict has title, text, and optional guid, link, date."""
    from xml.sax.saxutils import escape
    parts = []
    for it in items:
        fields = [f"<title>{escape(it['title'])}</title>"]
        if it.get("link"):
            fields.append(f"<link>{escape(it['link'])}</link>")
        if it.get("guid"):
            fields.append(f"<guid isPermaLink=\"false\">{escape(it['guid'])}</guid>")
        if it.get("date"):
            fields.append(f"<pubDate>{rfc822(it['date'])}</pubDate>")
        html = "".join(f"<p>{escape(p)}</p>" for p in it["text"].split("\n"))
        fields.append(f"<description>{escape(html)}</description>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<description>test</description>{''.join(parts)}</channel></rss>")


def atom(title: str, items: list[dict]) -> str:
    from xml.sax.saxutils import escape
    entries = []
    for it in items:
        html = "".join(f"<p>{escape(p)}</p>" for p in it["text"].split("\n"))
        entries.append(
            f"<entry><title>{escape(it['title'])}</title><id>{escape(it['guid'])}</id>"
            f"<link href=\"{escape(it['link'])}\"/><updated>{it['date'].isoformat()}</updated>"
            f"<content type=\"html\">{escape(html)}</content></entry>")
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"
            f"<title>{escape(title)}</title><id>urn:test:atom</id>"
            f"<updated>2026-11-23T10:00:00Z</updated>{''.join(entries)}</feed>")


def article_page(title: str, text: str, *, publisher: str = "Test Gazette") -> str:
    paras = "".join(f"<p>{p}</p>" for p in text.split("\n"))
    return (f"<!doctype html><html><head><title>{title}</title>"
            f"<meta property=\"og:site_name\" content=\"{publisher}\">"
            f"<meta property=\"article:published_time\" content=\"2026-11-22T08:00:00+00:00\">"
            f"</head><body><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a></nav>"
            f"<article><h1>{title}</h1>{paras}</article>"
            f"<footer>Subscribe to our newsletter for daily updates.</footer></body></html>")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&secret;</title>
<description>&secret;</description></item></channel></rss>"""

BROKEN = """<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>
<item><title>Half an item</title><description>This feed stops in the mid"""
