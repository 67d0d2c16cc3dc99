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
from slack_bolt.oauth.async_callback_options import (AsyncCallbackOptions, AsyncFailureArgs,
                                                     AsyncSuccessArgs)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import SlackBot, raise_if_token_refused
from adapters.slack.installs import NotServedError, SlackInstallStore
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.poster import SlackPoster
from adapters.slack.worker import CommandWorker
from bot.config import Settings
from bot.core import Registry
from bot.services import Services
from bot.workspaces import ChatPlatform

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: How many times one Web API call answered with 429 is retried after Retry-After.
RATE_LIMIT_RETRIES = 3


def make_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: base URL from settings, 429s waited out and retried.

    With the install flow it has no token of its own; each workspace's is added per call.
    """
    client = AsyncWebClient(token=str(settings.slack_bot_token) or None,
                            base_url=settings.slack_api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


def make_bot(services: Services, *, http: bool, registry: Registry | None = None,
             worker: CommandWorker | None = None) -> SlackBot:
    """Check the settings for the chosen mode, then build the bot (no network yet).

    Pass `worker` to share one command thread with other surfaces (`serve all`).
    """
    settings = services.settings
    settings.require_slack(http=http)
    if settings.allow_list.restricted:
        log.info("serving only the Slack workspaces in BRIEFBOT_WORKSPACES: %s",
                 ", ".join(settings.allow_list.ids(ChatPlatform.SLACK)) or "none")
    installs = oauth = None
    if settings.slack_oauth:
        installs = SlackInstallStore(settings.database, settings.allow_list)
        oauth = oauth_settings(settings, installs)
    return SlackBot(services, client=make_client(settings),
                    signing_secret=str(settings.slack_signing_secret) if http else None,
                    registry=registry, worker=worker, installs=installs, oauth=oauth)


def oauth_settings(settings: Settings, installs: SlackInstallStore) -> AsyncOAuthSettings:
    """Bolt's install flow: /slack/install and /slack/oauth_redirect, scopes from the manifest."""
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id, client_secret=str(settings.slack_client_secret),
        scopes=list(BOT_SCOPES), redirect_uri=settings.slack_redirect_uri or None,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        installation_store=installs, installation_store_bot_only=True, state_store=installs,
        callback_options=AsyncCallbackOptions(success=_installed, failure=_not_installed),
        logger=logging.getLogger("slack_bolt.oauth"))


async def _installed(args: AsyncSuccessArgs) -> BoltResponse:
    return await args.default.success(args)


async def _not_installed(args: AsyncFailureArgs) -> BoltResponse:
    """Bolt's failure page, or a plain word when the workspace is not on the allow-list."""
    if isinstance(args.error, NotServedError):
        return BoltResponse(status=403, headers={"Content-Type": "text/html; charset=utf-8"},
                            body="<html><body><p>This Slack workspace is not served by this "
                                 "briefbot: its operator has not listed it.</p></body></html>")
    return await args.default.failure(args)


def make_poster(bot: SlackBot) -> SlackPoster:
    """The Poster the digest scheduler uses: the bot's client, or each workspace's token."""
    return SlackPoster(bot.client, clients=bot.clients)


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
    if bot.installs is not None:
        log.info("Slack install page on %s:%s%s", host, bound, INSTALL_PATH)
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
