"""The safe fetcher on loopback: what it refuses, before connecting, and what it caps."""

from __future__ import annotations

import gzip
import ipaddress

import pytest
from aiohttp import web

from bot.feeds.addresses import AddressPolicy, blocked_reason
from bot.feeds.fetch import FetchError, FetchRefused
from test_feeds_support import (LoopbackServer, Page, connect_guard, drip,  # noqa: F401
                                make_fetcher, resolver, server)

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"


async def test_fetches_from_the_checked_address_with_the_right_host(server, resolver,
                                                                      connect_guard):
    server.pages["/rss"] = Page(RSS, "application/rss+xml", etag='"v1"')
    result = await make_fetcher(resolver).fetch(server.url("/rss"))
    assert result.status == 200 and result.body == RSS
    assert result.etag == '"v1"'
    assert resolver.calls == ["news.test"]
    assert [c[0] for c in connect_guard.connects] == ["127.0.0.1"]
    assert server.requests[0].headers["Host"] == f"news.test:{server.port}"
    assert server.requests[0].headers["User-Agent"] == "briefbot-test"


async def test_conditional_request_gets_304(server, resolver, connect_guard):
    server.pages["/rss"] = Page(RSS, "application/rss+xml", etag='"v1"',
                                headers={"Last-Modified": "Mon, 23 Nov 2026 10:00:00 GMT"})
    fetcher = make_fetcher(resolver)
    first = await fetcher.fetch(server.url("/rss"))
    again = await fetcher.fetch(server.url("/rss"), etag=first.etag,
                                last_modified=first.last_modified)
    assert again.not_modified and again.body == b""
    assert server.requests[1].headers["If-None-Match"] == '"v1"'
    assert server.requests[1].headers["If-Modified-Since"] == "Mon, 23 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize("host, message", [
    ("internal.test", "refused: internal.test resolves to 10.0.0.5, a private address"),
    ("metadata.test", "refused: metadata.test resolves to 169.254.169.254, "
                      "the cloud metadata address"),
    ("cgnat.test", "refused: cgnat.test resolves to 100.64.1.2, a carrier-grade NAT"),
    ("ula.test", "refused: ula.test resolves to fd12:3456::1, a unique-local (private) address"),
    ("mapped.test", "refused: mapped.test resolves to ::ffff:c0a8:10a, "
                    "a private address in IPv6 form (192.168.1.10)"),
    ("mixed.test", "refused: mixed.test resolves to 10.1.2.3, a private address"),
])
async def test_private_names_are_refused_before_connecting(server, resolver, connect_guard,
                                                           host, message):
    with pytest.raises(FetchRefused) as err:
        await make_fetcher(resolver).fetch(f"http://{host}:{server.port}/rss")
    assert str(err.value).startswith(message)
    assert resolver.calls == [host]
    assert connect_guard.connects == [] and server.total_hits == 0


@pytest.mark.parametrize("url, message", [
    ("http://10.0.0.5/", "refused: 10.0.0.5 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is the cloud metadata"),
    ("http://[fe80::1]/", "refused: fe80::1 is a link-local address"),
    ("http://[::ffff:127.0.0.1]:80/", "refused: ::ffff:7f00:1 is a loopback address in IPv6 form"),
    ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address"),
    ("http://224.0.0.1/", "refused: 224.0.0.1 is a multicast address"),
])
async def test_private_ip_literals_are_refused_without_resolving(resolver, connect_guard,
                                                                 url, message):
    with pytest.raises(FetchRefused) as err:
        await make_fetcher(resolver).fetch(url)
    assert str(err.value).startswith(message)
    assert resolver.calls == [] and connect_guard.connects == []


async def test_loopback_is_refused_unless_explicitly_allowed(server, resolver, connect_guard):
    fetcher = make_fetcher(resolver, policy=AddressPolicy())
    with pytest.raises(FetchRefused, match="resolves to 127.0.0.1, a loopback address"):
        await fetcher.fetch(server.url("/rss"))
    assert connect_guard.connects == [] and server.total_hits == 0


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "refused: file: URLs are not fetched; only http and https"),
    ("ftp://news.test/feed.xml", "refused: ftp: URLs are not fetched"),
    ("data:text/xml,<rss/>", "refused: data: URLs are not fetched"),
    ("news.test/feed.xml", "refused: URLs without http:// or https:// are not fetched"),
    ("/etc/passwd", "refused: URLs without http:// or https:// are not fetched"),
    ("http://user:secret@news.test/", "refused: URLs with a user name or password"),
])
async def test_other_schemes_are_refused(resolver, connect_guard, url, message):
    with pytest.raises(FetchRefused) as err:
        await make_fetcher(resolver).fetch(url)
    assert str(err.value).startswith(message)
    assert resolver.calls == [] and connect_guard.connects == []


async def test_redirect_to_a_private_host_is_checked_and_refused(server, resolver,
                                                                 connect_guard):
    server.pages["/go"] = Page(status=302, headers={"Location": "http://internal.test/admin"})
    with pytest.raises(FetchRefused) as err:
        await make_fetcher(resolver).fetch(server.url("/go"))
    assert str(err.value) == (f"refused: {server.url('/go')} redirected to internal.test, "
                              "which resolves to 10.0.0.5, a private address")
    assert resolver.calls == ["news.test", "internal.test"]
    assert len(connect_guard.connects) == 1 and server.total_hits == 1


@pytest.mark.parametrize("location, message", [
    ("http://169.254.169.254/latest/meta-data/", "which is the cloud metadata address"),
    ("file:///etc/passwd", "file: URLs are not fetched"),
    ("gopher://news.test/", "gopher: URLs are not fetched"),
])
async def test_redirects_to_forbidden_targets(server, resolver, connect_guard, location, message):
    server.pages["/go"] = Page(status=301, headers={"Location": location})
    with pytest.raises(FetchRefused, match=message):
        await make_fetcher(resolver).fetch(server.url("/go"))
    assert server.total_hits == 1 and len(connect_guard.connects) == 1


async def test_redirects_are_followed_to_another_allowed_host(server, resolver, connect_guard):
    server.pages["/old"] = Page(status=308, headers={"Location": server.url("/rss", "other.test")})
    server.pages["/rss"] = Page(RSS, "application/rss+xml")
    result = await make_fetcher(resolver).fetch(server.url("/old"))
    assert result.body == RSS and result.url == server.url("/rss", "other.test")
    assert server.requests[1].headers["Host"] == f"other.test:{server.port}"
    assert resolver.calls == ["news.test", "other.test"]


@pytest.mark.parametrize("hops, ok", [(5, True), (6, False)])
async def test_at_most_five_redirects(server, resolver, connect_guard, hops, ok):
    for n in range(hops, 0, -1):
        server.pages[f"/r{n}"] = Page(status=302, headers={"Location": f"/r{n - 1}"})
    server.pages["/r0"] = Page(RSS, "application/rss+xml")
    fetcher = make_fetcher(resolver)
    if ok:
        assert (await fetcher.fetch(server.url(f"/r{hops}"))).body == RSS
    else:
        with pytest.raises(FetchError, match="redirected more than 5 times; gave up"):
            await fetcher.fetch(server.url(f"/r{hops}"))
        assert server.hits.get("/r0") is None


async def test_declared_oversize_body_is_refused_early(server, resolver, connect_guard):
    server.pages["/big"] = Page(b"x" * (6 * 1024 * 1024), "application/rss+xml")
    with pytest.raises(FetchError, match=r"is 6.0 MiB, over the 5.0 MiB limit; not downloaded"):
        await make_fetcher(resolver).fetch(server.url("/big"))


async def test_streamed_oversize_body_stops_at_the_cap(server, resolver, connect_guard):
    sent = []

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)  # chunked: no Content-Length to refuse early
        try:
            for _ in range(6 * 16):
                await resp.write(b"y" * 65536)
                sent.append(1)
        except ConnectionResetError:
            pass
        return resp

    server.pages["/big"] = endless
    with pytest.raises(FetchError, match="is larger than the 5.0 MiB limit; stopped reading"):
        await make_fetcher(resolver).fetch(server.url("/big"))


async def test_compressed_bomb_is_capped_after_decompression(server, resolver, connect_guard):
    bomb = gzip.compress(b"\0" * (6 * 1024 * 1024))
    server.pages["/bomb"] = Page(bomb, "application/rss+xml",
                                 headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 100_000
    with pytest.raises(FetchError, match="larger than the 5.0 MiB limit"):
        await make_fetcher(resolver).fetch(server.url("/bomb"))


async def test_slow_drip_hits_the_total_deadline(server, resolver, connect_guard):
    server.pages["/slow"] = drip
    with pytest.raises(FetchError, match=r"took longer than 0.5 s; gave up"):
        await make_fetcher(resolver, timeout=0.5).fetch(server.url("/slow"))


async def test_http_errors_are_reported(server, resolver, connect_guard):
    with pytest.raises(FetchError, match="answered HTTP 404 Not Found"):
        await make_fetcher(resolver).fetch(server.url("/missing"))


async def test_unknown_host_is_a_clear_error(resolver, connect_guard):
    with pytest.raises(FetchError, match="nowhere.test could not be found"):
        await make_fetcher(resolver).fetch("http://nowhere.test/feed")
    assert connect_guard.connects == []


async def test_a_second_dns_answer_never_reaches_the_socket(server, connect_guard):
    """DNS rebinding: the name turns private after the check; we connect to what we checked."""
    answers = [["127.0.0.1"], ["10.0.0.5"], ["10.0.0.5"]]
    calls = []

    def rebinding(host: str) -> list[str]:
        calls.append(host)
        return answers[len(calls) - 1]

    server.pages["/rss"] = Page(RSS, "application/rss+xml")
    result = await make_fetcher(rebinding).fetch(server.url("/rss"))  # type: ignore[arg-type]
    assert result.body == RSS
    assert calls == ["news.test"]
    assert [c[0] for c in connect_guard.connects] == ["127.0.0.1"]


@pytest.mark.parametrize("address, reason", [
    ("8.8.8.8", None),
    ("93.184.216.34", None),
    ("2606:4700:4700::1111", None),
    ("127.0.0.53", "a loopback address"),
    ("172.20.1.1", "a private address"),
    ("192.168.0.1", "a private address"),
    ("169.254.10.10", "a link-local address"),
    ("100.127.255.254", "a carrier-grade NAT (shared) address"),
    ("198.18.0.1", "a benchmarking address"),
    ("255.255.255.255", "a reserved address"),
    ("::1", "a loopback address"),
    ("::", "an unspecified address"),
    ("fe80::abcd", "a link-local address"),
    ("fd00:ec2::254", "a unique-local (private) address"),
    ("ff02::1", "a multicast address"),
    ("::ffff:169.254.169.254", "the cloud metadata address in IPv6 form (169.254.169.254)"),
    ("64:ff9b::10.0.0.5", "a private address in IPv6 form (10.0.0.5)"),
    ("2002:a00:5::1", "a private address in IPv6 form (10.0.0.5)"),
    ("::ffff:8.8.8.8", None),
])
def test_address_classes(address, reason):
    assert blocked_reason(ipaddress.ip_address(address)) == reason


def test_allow_private_still_refuses_metadata_and_multicast():
    policy = AddressPolicy.build(allow_private=True)
    assert policy.refusal(ipaddress.ip_address("10.0.0.5")) is None
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) == "the cloud metadata address"
    assert policy.refusal(ipaddress.ip_address("239.1.1.1")) == "a multicast address"


def test_allow_list_opens_only_the_named_network():
    policy = AddressPolicy.build(allow_networks=["127.0.0.1/32", "10.9.0.0/16"])
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("10.9.3.4")) is None
    assert policy.refusal(ipaddress.ip_address("127.0.0.2")) == "a loopback address"
    assert policy.refusal(ipaddress.ip_address("10.8.0.1")) == "a private address"


def test_the_connect_guard_really_blocks_non_loopback(connect_guard):
    """The tests' safety net: a connect to a non-loopback address never leaves the machine."""
    import socket

    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="test guard"):
        s.connect(("10.0.0.5", 80))
    assert connect_guard.blocked == [("10.0.0.5", 80)]
    connect_guard.blocked.clear()  # seen; do not fail the teardown check


def test_allow_list_from_settings_text():
    from bot.config import Settings
    from bot.feeds.fetch import SafeFetcher

    fetcher = SafeFetcher.from_settings(Settings(), allow_networks="127.0.0.1/32, 10.9.0.0/16")
    assert [str(n) for n in fetcher.policy.allow_networks] == ["127.0.0.1/32", "10.9.0.0/16"]
    assert SafeFetcher.from_settings(Settings()).policy.allow_networks == ()
