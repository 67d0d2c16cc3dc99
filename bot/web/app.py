"""The aiohttp application behind `briefbot web` and `briefbot serve --web-port`.

Read-only by construction: only GET routes, and the search box refuses commands that
change state. It listens on loopback unless told otherwise; any other address needs
BRIEFBOT_WEB_TOKEN, checked on every request as the HTTP Basic password (a header, so
it never lands in a URL or an access log).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.charts import ChartFormat
from bot.config import ConfigError
from bot.core import MAX_QUERY_CHARS
from bot.services import Services
from bot.web import html, pages

log = logging.getLogger(__name__)

#: No script may run, nothing may be framed; images and styles come only from this app.
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
TOKEN: web.AppKey[str] = web.AppKey("token", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str) -> None:
    """Refuse to listen beyond loopback without a token: the pages show channel names."""
    if not is_loopback(host) and not token:
        raise ConfigError(f"BRIEFBOT_WEB_TOKEN is not set: it is required to serve the web "
                          f"pages on {host}, which is not a loopback address")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(SECURITY_HEADERS)
    return response


@web.middleware
async def basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.app[TOKEN]
    if token and not _authorised(request.headers.get("Authorization", ""), token):
        return web.Response(status=401, text="briefbot: this page needs the web token.\n",
                            headers={"WWW-Authenticate": 'Basic realm="briefbot", charset="UTF-8"'})
    return await handler(request)


def _authorised(header: str, token: str) -> bool:
    """Any user name; the password must be the token (compared in constant time)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    _user, _, password = decoded.partition(":")
    return hmac.compare_digest(password.encode(), token.encode())


def _html(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/html", charset="utf-8")


def _question(request: web.Request) -> str:
    return request.query.get("q", "")[: MAX_QUERY_CHARS * 2]


async def overview(request: web.Request) -> web.Response:
    return _html(await asyncio.to_thread(pages.overview, request.app[SERVICES]))


async def feeds(request: web.Request) -> web.Response:
    return _html(await asyncio.to_thread(pages.feeds_page, request.app[SERVICES]))


async def topic(request: web.Request) -> web.Response:
    return _html(await pages.topic_page(request.app[SERVICES], _question(request)))


async def search(request: web.Request) -> web.Response:
    return _html(await pages.search_page(request.app[SERVICES], _question(request)))


async def chart(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    if not services.settings.charts:
        raise web.HTTPNotFound(text="Charts are turned off (BRIEFBOT_CHARTS=false).")
    fmt = ChartFormat(request.match_info["fmt"])
    drawn = await asyncio.to_thread(pages.chart_for, services, _question(request), fmt)
    if drawn is None:
        raise web.HTTPNotFound(text="No coverage of that topic.")
    return web.Response(body=drawn.data, content_type=fmt.mime)


async def stylesheet(_request: web.Request) -> web.Response:
    return web.Response(text=html.STYLESHEET, content_type="text/css")


async def icon(_request: web.Request) -> web.Response:
    return web.Response(text=html.ICON, content_type="image/svg+xml")


async def no_favicon(_request: web.Request) -> web.Response:
    return web.Response(status=204)


def make_app(services: Services) -> web.Application:
    app = web.Application(middlewares=[security_headers, basic_auth])
    app[SERVICES] = services
    app[TOKEN] = str(services.settings.web_token or "")
    app.router.add_get("/", overview)
    app.router.add_get("/feeds", feeds)
    app.router.add_get("/topic", topic)
    app.router.add_get("/search", search)
    app.router.add_get(r"/chart.{fmt:png|svg}", chart)
    app.router.add_get("/static/style.css", stylesheet)
    app.router.add_get("/static/icon.svg", icon)
    app.router.add_get("/favicon.ico", no_favicon)
    return app


async def start_web(services: Services, host: str, port: int) -> web.AppRunner:
    """Start serving in the running loop; the caller cleans the runner up."""
    check_bind(host, str(services.settings.web_token or ""))
    runner = web.AppRunner(make_app(services), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("web pages on http://%s:%d/ (database %s)", host, port, services.settings.database)
    return runner


async def serve_web(services: Services, host: str, port: int) -> None:
    """`briefbot web`: serve until interrupted."""
    runner = await start_web(services, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
