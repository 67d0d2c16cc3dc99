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
