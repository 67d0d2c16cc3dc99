"""The Bolt app: one slash command per registry command, mentions and DMs.

Every entry point acks at once (Bolt answers Slack's HTTP request as soon as
`ack()` runs, or straight away for events), then runs the command on the worker
thread and answers: slash commands through `respond`, mentions and DMs with
chat.postMessage in the thread of the message that asked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.attachments import upload
from adapters.slack.installs import SlackInstallStore
from adapters.slack.permissions import ManageChecker
from adapters.slack.poster import post_message, respond_reply
from adapters.slack.render import render
from adapters.slack.seen import SeenEvents
from adapters.slack.tokens import WorkspaceClients
from adapters.slack.worker import CommandWorker
from bot.config import ConfigError
from bot.core import CommandSpec, Registry, Reply, ReplyKind, Request
from bot.redact import TokenFilter
from bot.services import Services
from bot.workspaces import ChatPlatform

log = logging.getLogger(__name__)

NOT_SERVED = ("This Slack workspace is not served by this briefbot: its operator has not "
              "listed it among the workspaces the bot answers. Ask them to add it.")
NOT_INSTALLED = ("briefbot is not installed in this Slack workspace yet: ask a workspace admin "
                 "to install it from the bot's install page.")
TOKEN_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                 "token_expired", "not_allowed_token_type"}


class _SameTokenNotice(logging.Filter):
    """Bolt warns "`token` will be unused" whenever SLACK_BOT_TOKEN is in the environment
    and a client is given, as here, where the client carries that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


BOLT_LOG = logging.getLogger("slack_bolt")
BOLT_LOG.addFilter(_SameTokenNotice())
#: The loggers that print Web API request and response bodies (at DEBUG) or OAuth results.
for _name in ("slack_bolt", "slack_bolt.oauth", "slack_sdk.web.async_base_client",
              "slack_sdk.web.base_client", "slack_sdk.oauth"):
    logging.getLogger(_name).addFilter(TokenFilter())


def raise_if_token_refused(exc: SlackApiError, setting: str, hint: str) -> None:
    """Turn Slack's "this token is no good" answers into one line naming the setting."""
    error = exc.response.get("error") if exc.response is not None else ""
    if error in TOKEN_ERRORS:
        raise ConfigError(f"{setting} was refused by Slack ({error}): {hint}") from None


def slash_name(spec: CommandSpec) -> str:
    return f"/{spec.name}"


_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def incoming_text(text: str, bot_user_id: str | None = None) -> str:
    """What the user typed, as they saw it: the bot's own mention removed, Slack's
    markup unwrapped (`<https://x|x>` → the URL, `<@U1|ann>` → @ann, `<#C1|news>` →
    #news) and its entities decoded, so `ingest https://...` gets a plain URL."""
    text = text or ""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:  # bot id unknown: drop a leading mention, which is how a mention starts
        text = re.sub(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>", " ", text)
    text = _SLACK_MARKUP.sub(_unwrap, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unwrap(m: re.Match[str]) -> str:
    target, label = m.group(1), m.group(2)
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        special = target[1:].split("^", 1)[0]
        return label if label else f"@{special}"
    return target  # a link: the URL itself, which is what a command wants


class SlackBot:
    """Holds the Bolt app, its Web API client(s) and the command worker.

    With `oauth` (the install flow), Bolt finds each request's workspace token in
    `installs`; answers use the client Bolt hands each handler, which carries it.
    """

    def __init__(self, services: Services, *, client: AsyncWebClient,
                 signing_secret: str | None, registry: Registry | None = None,
                 worker: CommandWorker | None = None, installs: SlackInstallStore | None = None,
                 oauth: AsyncOAuthSettings | None = None,
                 seen: SeenEvents | None = None) -> None:
        self.services = services
        self.registry = registry or services.registry
        self.client = client
        self.installs = installs
        self.clients = WorkspaceClients(client, installs)
        self.allow_list = services.settings.allow_list
        #: A worker passed in may be shared with other surfaces; only our own is closed.
        self.owns_worker = worker is None
        self.worker = worker or CommandWorker()
        #: Answered event ids, shared by every process on this database (adapters/slack/seen.py).
        self.seen = seen or SeenEvents(services.settings.database)
        self.manage = ManageChecker(client)
        if oauth is not None:
            self.app = AsyncApp(client=client, signing_secret=signing_secret or "",
                                oauth_settings=oauth, installation_store_bot_only=True,
                                user_facing_authorize_error_message=NOT_INSTALLED,
                                process_before_response=False, logger=BOLT_LOG)
            self.app.enable_token_revocation_listeners()
        else:
            self.app = AsyncApp(client=client, signing_secret=signing_secret or "",
                                process_before_response=False, logger=BOLT_LOG)
        self.app.middleware(self._skip_repeated_events)
        for spec in self.registry:
            self.app.command(slash_name(spec))(self._slash_handler(spec))
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)

    async def check_token(self) -> str:
        """auth.test before serving, so a revoked or wrong token stops the start clearly.

        With the install flow there is no one token to check: say who is installed.
        """
        if self.installs is not None:
            teams = self.installs.installed_teams()
            log.info("Slack: install flow on; %d workspaces installed (%s)", len(teams),
                     ", ".join(teams) or "none yet: open /slack/install")
            return ""
        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            raise_if_token_refused(exc, "SLACK_BOT_TOKEN",
                                   "copy the Bot User OAuth Token (xoxb-...) again")
            raise
        log.info("Slack: signed in as %s in team %s", resp.get("user"), resp.get("team"))
        return str(resp.get("user_id") or "")

    def close(self) -> None:
        if self.owns_worker:
            self.worker.close()
        if self.installs is not None:
            self.installs.close()
        self.seen.close()

    # --- entry points ----------------------------------------------------------
    async def _skip_repeated_events(self, body: dict[str, Any], request: Any,
                                    next: Any) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        """Ack a retried or repeated event without answering it a second time.

        A retry (X-Slack-Retry-Num) whose original reached us is dropped; one whose
        original never arrived (we were down) has an unseen event_id and is answered.
        """
        if body.get("type") == "event_callback":
            event = body.get("event") or {}
            retry = (request.headers.get("x-slack-retry-num") or [None])[0]
            if not self.seen.first_time(body.get("event_id"), event.get("client_msg_id")):
                log.info("skipping repeated Slack event %s (retry %s)", body.get("event_id"), retry)
                return BoltResponse(status=200, body="")
        return await next()

    def _slash_handler(self, spec: CommandSpec):
        async def handle(ack: Any, command: dict[str, Any], respond: AsyncRespond,
                         client: AsyncWebClient) -> None:
            await ack()
            user, channel = command.get("user_id", ""), command.get("channel_id", "")
            team = command.get("team_id", "")
            request = Request(
                command=spec.name, text=incoming_text(command.get("text", "")), platform="slack",
                user_id=user, channel_id=channel,
                is_direct=command.get("channel_name") == "directmessage",
                extra={"team_id": team})
            reply = await self._run(request, client, served_team=team)
            try:
                answered = await respond_reply(respond, render(reply), ephemeral=reply.ephemeral)
            except Exception:  # the bot lives on; the user sees Slack's own failure notice
                log.exception("could not answer /%s through response_url", spec.name)
                return
            if answered and reply.attachments and not reply.ephemeral:
                await upload(client, channel, reply.attachments)

        handle.__name__ = f"slash_{spec.name}"
        return handle

    async def _on_mention(self, event: dict[str, Any], context: Any) -> None:
        await self._answer_message(event, context, is_direct=False)

    async def _on_message(self, event: dict[str, Any], context: Any) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, bots and channel chatter are not questions to us
        await self._answer_message(event, context, is_direct=True)

    # --- answering ----------------------------------------------------------------
    async def _run(self, request: Request, client: AsyncWebClient, *, served_team: str) -> Reply:
        """The allow-list, Slack's permission rule, then the command on the worker thread.

        `served_team` is the workspace the bot answers in (the one it is installed in,
        which in a channel shared with another organisation is not the asker's).
        can_manage is worked out for every command, since some decide per action
        (`feeds add`). The core refuses requires_manage commands too; refusing here
        first lets the message name Slack's rule instead of Discord's "Manage Channels".
        """
        if not self.allow_list.allows(ChatPlatform.SLACK, served_team):
            log.warning("refused %s from Slack workspace %s: not in BRIEFBOT_WORKSPACES",
                        request.command or "a message", served_team or "(unknown)")
            return Reply.plain(NOT_SERVED, kind=ReplyKind.FORBIDDEN, ephemeral=True)
        if self.installs is not None:
            # digests and feed notices posted here later need this workspace's token
            await self.worker.call(lambda: self.installs.remember_channel(  # type: ignore[union-attr]
                request.channel_id, served_team))
        spec = self.registry.get(request.command)
        if spec is not None:
            allowed = await self.manage.allowed(request.user_id, request.channel_id, client)
            if spec.requires_manage and not allowed:
                return Reply.plain(
                    f"/{spec.name} changes this channel's settings, so only workspace admins "
                    "and owners and the channel's creator can use it.",
                    kind=ReplyKind.FORBIDDEN, ephemeral=True)
            request = replace(request, can_manage=allowed)
        return await self.worker.dispatch(self.registry, request, self.services)

    async def _answer_message(self, event: dict[str, Any], context: Any, *,
                              is_direct: bool) -> None:
        if event.get("bot_id") or event.get("subtype"):
            return
        user, channel = event.get("user", ""), event.get("channel", "")
        client: AsyncWebClient = context.get("client") or self.client
        request = self.registry.parse(
            incoming_text(event.get("text", ""), context.get("bot_user_id")), platform="slack",
            user_id=user, channel_id=channel, is_direct=is_direct,
            extra={"team_id": event.get("team") or context.get("team_id") or ""})
        reply = await self._run(request, client,
                                served_team=context.get("team_id") or event.get("team") or "")
        thread_ts = event.get("thread_ts") or event.get("ts")
        private = reply.ephemeral and not is_direct
        try:
            await post_message(client, channel, render(reply), thread_ts=thread_ts,
                               ephemeral_user=user if private else None)
        except Exception:
            log.exception("could not post the answer in channel %s", channel)
            return
        if reply.attachments and not private:
            await upload(client, channel, reply.attachments, thread_ts=thread_ts)
