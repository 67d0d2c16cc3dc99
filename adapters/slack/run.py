"""Starting the Slack side: Socket Mode by default, or an HTTP endpoint.

Socket Mode needs no public URL (an app-level xapp- token opens a websocket);
HTTP mode serves Slack's requests on /slack/events and verifies every request's
signature (v0 HMAC-SHA256, 5-minute window) with the signing secret.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import SlackBot, raise_if_token_refused
from adapters.slack.poster import SlackPoster
from adapters.slack.worker import CommandWorker
from bot.config import Settings
from bot.core import Registry
from bot.services import Services

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: How many times one Web API call answered with 429 is retried after Retry-After.
RATE_LIMIT_RETRIES = 3


def make_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: base URL from settings, 429s waited out and retried."""
    client = AsyncWebClient(token=str(settings.slack_bot_token), base_url=settings.slack_api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


def make_bot(services: Services, *, http: bool, registry: Registry | None = None,
             worker: CommandWorker | None = None) -> SlackBot:
    """Check the settings for the chosen mode, then build the bot (no network yet).

    Pass `worker` to share one command thread with other surfaces (`serve all`).
    """
    settings = services.settings
    settings.require_slack(http=http)
    return SlackBot(services, client=make_client(settings),
                    signing_secret=str(settings.slack_signing_secret) if http else None,
                    registry=registry, worker=worker)


def make_poster(bot: SlackBot) -> SlackPoster:
    """The Poster the digest scheduler uses, sharing the bot's client."""
    return SlackPoster(bot.client)


@dataclass
class HttpServer:
    runner: web.AppRunner
    port: int

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_http(bot: SlackBot, *, host: str = "0.0.0.0", port: int = 3000) -> HttpServer:
    """Serve Slack's requests on http://host:port/slack/events (port 0 = any free port)."""
    runner = web.AppRunner(bot.app.web_app(path=EVENTS_PATH, port=port), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("Slack HTTP endpoint listening on %s:%s%s", host, bound, EVENTS_PATH)
    return HttpServer(runner, bound)


async def serve(bot: SlackBot, *, http: bool, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Run until cancelled; closes the server, socket and worker on the way out.

    Raises ConfigError (one line, naming the setting) when Slack refuses the token.
    """
    settings = bot.services.settings
    try:
        await bot.check_token()
        if http:
            server = await start_http(bot, host=host, port=port)
            try:
                await asyncio.Event().wait()
            finally:
                await server.close()
        else:
            handler = AsyncSocketModeHandler(bot.app, str(settings.slack_app_token))
            try:
                log.info("connecting to Slack in Socket Mode")
                # Ask for the websocket URL ourselves: the SDK's own connect loop retries a
                # refused app token forever, where a clear stop is what a user needs.
                handler.client.wss_uri = await _socket_url(handler)
                await handler.start_async()
            finally:
                await handler.close_async()
    finally:
        bot.close()


async def _socket_url(handler: AsyncSocketModeHandler) -> str:
    try:
        return await handler.client.issue_new_wss_url()
    except SlackApiError as exc:
        raise_if_token_refused(exc, "SLACK_APP_TOKEN",
                               "generate an app-level token with connections:write")
        raise


async def run_slack(services: Services, *, http: bool, port: int = 3000,
                    host: str = "0.0.0.0") -> None:
    """`briefbot serve slack [--http --port N]`: raises ConfigError before any network."""
    await serve(make_bot(services, http=http), http=http, port=port, host=host)
