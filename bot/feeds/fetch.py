"""The one way the bot fetches a URL a user gave it: checked, pinned, capped, timed.

Each hop (the URL and every redirect) is resolved by us, every address is
checked against the `AddressPolicy`, and the connection goes to exactly those
checked addresses: aiohttp gets a resolver that can only answer with them, so
a second DNS answer (rebinding) never reaches the socket. Redirects are
followed by hand so each target gets the same check. The body is read in
chunks and abandoned past the size cap; one deadline covers the whole fetch,
so a server dripping a byte a second cannot hold the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.config import Settings
from bot.core import UserError
from bot.feeds.addresses import AddressPolicy, parse_ip
from bot.redact import redact_url

log = logging.getLogger(__name__)

#: host -> IP address strings. Blocking is fine: it runs in a worker thread.
Resolver = Callable[[str], Sequence[str]]

MAX_URL_CHARS = 2048
REDIRECT_CODES = {301, 302, 303, 307, 308}
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, "
               "text/xml;q=0.9, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


class FetchError(UserError):
    """Fetching failed (network, HTTP status, size, time); the message says which."""


class FetchRefused(FetchError):
    """The bot will not fetch this URL at all (scheme, address); nothing was sent."""


@dataclass(frozen=True)
class FetchResult:
    """What a fetch brought back. `status` is 200, or 304 when the validators matched."""

    url: str
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def system_resolver(host: str) -> list[str]:
    """Every address the operating system's resolver gives for `host`."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _PinnedResolver(AbstractResolver):
    """Answers aiohttp with the addresses we already checked, for that one host only."""

    def __init__(self, host: str, ips: Sequence[str]) -> None:
        self._host = host
        self._ips = list(ips)

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host != self._host:  # a connection we did not check: never
            raise OSError(f"unexpected host {host!r}")
        return [ResolveResult(hostname=host, host=ip, port=port,
                              family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST) for ip in self._ips]

    async def close(self) -> None:
        return None


class SafeFetcher:
    """Fetch http(s) URLs for users without letting them reach private networks."""

    def __init__(self, *, max_bytes: int = 5 * 1024 * 1024, timeout: float = 20.0,
                 user_agent: str = "briefbot", policy: AddressPolicy | None = None,
                 resolver: Resolver | None = None, max_redirects: int = 5) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.user_agent = user_agent
        self.policy = policy or AddressPolicy()
        self.resolver: Resolver = resolver or system_resolver
        self.max_redirects = max_redirects

    @classmethod
    def from_settings(cls, settings: Settings, *, resolver: Resolver | None = None,
                      allow_networks: Iterable[str] | None = None) -> SafeFetcher:
        """The fetcher the bot uses; `allow_networks` defaults to the settings' allow-list."""
        if allow_networks is None:
            allow_networks = getattr(settings, "fetch_allow_networks", ())
        if isinstance(allow_networks, str):  # "127.0.0.1/32, 10.9.0.0/16" as written in .env
            allow_networks = re.split(r"[,\s]+", allow_networks)
        policy = AddressPolicy.build(allow_private=settings.fetch_allow_private,
                                     allow_networks=allow_networks)
        return cls(max_bytes=settings.fetch_max_bytes, timeout=settings.fetch_timeout_seconds,
                   user_agent=settings.fetch_user_agent, policy=policy, resolver=resolver)

    async def fetch(self, url: str, *, accept: str = FEED_ACCEPT, etag: str | None = None,
                    last_modified: str | None = None) -> FetchResult:
        """GET `url`, following up to `max_redirects` checked redirects."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(url, accept, etag, last_modified)
        except TimeoutError:
            raise FetchError(f"{_short(url)} took longer than {self.timeout:g} s; gave up") from None

    async def _follow(self, url: str, accept: str, etag: str | None,
                      last_modified: str | None) -> FetchResult:
        current = check_url(url)
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for hop in range(self.max_redirects + 1):
            ips = await self.checked_addresses(current, redirected_from=url if hop else None)
            result = await self._get(current, ips, headers)
            if isinstance(result, FetchResult):
                return result
            target = result
            if hop == self.max_redirects:
                raise FetchError(f"{_short(url)} redirected more than {self.max_redirects} "
                                 "times; gave up")
            log.debug("redirect %s -> %s", redact_url(current), redact_url(target))
            current = target
        raise AssertionError("unreachable")

    async def checked_addresses(self, url: URL, *, redirected_from: str | None = None) -> list[str]:
        """Resolve the URL's host and refuse it unless every address is allowed."""
        host = url.raw_host or ""
        via = f"{_short(redirected_from)} redirected to {host}, which" if redirected_from else host
        literal = parse_ip(host)
        if literal is not None:
            ips = [str(literal)]
        else:
            try:
                ips = list(await asyncio.to_thread(self.resolver, host))
            except (OSError, UnicodeError, KeyError) as exc:
                raise FetchError(f"{host} could not be found ({_reason(exc)})") from None
            if not ips:
                raise FetchError(f"{host} could not be found (no addresses)")
        for text in ips:
            ip = parse_ip(text)
            if ip is None:
                raise FetchRefused(f"refused: {host} resolves to {text!r}, not an IP address")
            reason = self.policy.refusal(ip)
            if reason:
                what = f"is {reason}" if literal is not None else f"resolves to {ip}, {reason}"
                raise FetchRefused(f"refused: {via} {what}")
        return ips

    async def _get(self, url: URL, ips: list[str], headers: dict[str, str]) -> FetchResult | URL:
        """One request to the pinned addresses: a result, or the URL it redirects to."""
        connector = aiohttp.TCPConnector(resolver=_PinnedResolver(url.raw_host or "", ips),
                                         use_dns_cache=False, force_close=True)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.timeout)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                             cookie_jar=aiohttp.DummyCookieJar(),
                                             trust_env=False) as session:
                async with session.get(url, headers=headers, allow_redirects=False) as resp:
                    if resp.status in REDIRECT_CODES:
                        return self._redirect_target(url, resp)
                    if resp.status == 304:
                        return FetchResult(str(url), 304, b"", etag=resp.headers.get("ETag"),
                                           last_modified=resp.headers.get("Last-Modified"))
                    if resp.status != 200:
                        raise FetchError(f"{_short(str(url))} answered HTTP {resp.status} "
                                         f"{resp.reason or ''}".rstrip())
                    body = await self._read_capped(url, resp)
                    return FetchResult(str(url), 200, body,
                                       content_type=resp.headers.get("Content-Type", ""),
                                       etag=resp.headers.get("ETag"),
                                       last_modified=resp.headers.get("Last-Modified"))
        except aiohttp.ClientSSLError as exc:
            raise FetchError(f"{url.raw_host}: TLS failed ({_reason(exc)})") from None
        except aiohttp.ClientConnectorError as exc:
            raise FetchError(f"could not connect to {url.raw_host} ({_reason(exc)})") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"fetching {_short(str(url))} failed ({_reason(exc)})") from None

    def _redirect_target(self, url: URL, resp: aiohttp.ClientResponse) -> URL:
        location = resp.headers.get("Location")
        if not location:
            raise FetchError(f"{_short(str(url))} answered HTTP {resp.status} with no Location")
        try:
            target = url.join(URL(location))
        except ValueError:
            raise FetchError(f"{_short(str(url))} redirected to an invalid URL") from None
        return check_url(str(target), redirected_from=str(url))

    async def _read_capped(self, url: URL, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.max_bytes
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise FetchError(f"{_short(str(url))} is {_mib(declared)}, over the "
                             f"{_mib(limit)} limit; not downloaded")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{_short(str(url))} is larger than the {_mib(limit)} limit; "
                                 "stopped reading")
            chunks.append(chunk)
        return b"".join(chunks)


def check_url(url: str, *, redirected_from: str | None = None) -> URL:
    """Parse a user's URL; refuse anything but absolute http(s) without credentials."""
    text = (url or "").strip()
    where = f"{_short(redirected_from)} redirected to {_short(text)}: " if redirected_from else ""
    if len(text) > MAX_URL_CHARS:
        raise FetchRefused(f"refused: {where}the URL is longer than {MAX_URL_CHARS} characters")
    try:
        parsed = URL(text)
    except (ValueError, TypeError):
        raise FetchRefused(f"refused: {where}{_short(text)!r} is not a valid URL") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in {"http", "https"}:
        named = f"{scheme}: URLs" if scheme else "URLs without http:// or https://"
        raise FetchRefused(f"refused: {where}{named} are not fetched; only http and https")
    if not parsed.raw_host:
        raise FetchRefused(f"refused: {where}{_short(text)!r} has no host name")
    if parsed.user or parsed.password:
        raise FetchRefused(f"refused: {where}URLs with a user name or password are not fetched")
    return parsed.with_fragment(None)


def _short(url: str | None, limit: int = 120) -> str:
    url = url or ""
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:160]
