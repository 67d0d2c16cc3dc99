"""Sending rendered replies: chat.postMessage / chat.postEphemeral and response_url.

The Web API client retries HTTP 429 itself (slack_sdk's rate-limit retry handler,
see run.make_client); response_url posts go through Bolt's `respond`, whose
webhook client does not, so `respond_reply` waits out Retry-After here.

Digests are different (bot.digests.delivery): they go through a client with no
retry handlers at all, since slack_sdk's default one re-sends a request whose
connection dropped, after Slack may already have posted it. Each digest message
carries message metadata (event type `briefbot_digest`, payload claim + part), and
`find_part` looks for it with conversations.history (needs channels:history /
groups:history) when a post's outcome is unknown.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import MAX_BLOCKS, SlackMessage, render
from adapters.slack.tokens import WorkspaceClients
from bot.core import Reply
from bot.digests.delivery import (
    EVENT_TYPE,
    DeliveryUncertain,
    HistoryUnavailable,
    PartTag,
    RateLimited,
)

log = logging.getLogger(__name__)

#: How often a response_url post answered with 429 is tried again.
RESPOND_RETRIES = 3
MAX_RETRY_AFTER = 60.0


async def post_message(client: AsyncWebClient, channel: str, message: SlackMessage, *,
                       thread_ts: str | None = None, ephemeral_user: str | None = None) -> str:
    """Post to a channel (or only to one user); returns the message ts."""
    args: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": message.blocks}
    if thread_ts:
        args["thread_ts"] = thread_ts
    if ephemeral_user:
        resp = await client.chat_postEphemeral(user=ephemeral_user, **args)
        return str(resp.get("message_ts") or "")
    resp = await client.chat_postMessage(unfurl_links=False, unfurl_media=False, **args)
    return str(resp["ts"])


async def respond_reply(respond: AsyncRespond, message: SlackMessage, *, ephemeral: bool) -> bool:
    """Answer a slash command through its response_url; True once Slack accepted it."""
    for attempt in range(RESPOND_RETRIES + 1):
        resp = await respond(text=message.text, blocks=message.blocks,
                             response_type="ephemeral" if ephemeral else "in_channel",
                             unfurl_links=False, unfurl_media=False)
        if resp.status_code != 429 or attempt == RESPOND_RETRIES:
            break
        wait = _retry_after(resp.headers)
        log.warning("response_url rate-limited; retrying in %.1f s", wait)
        await asyncio.sleep(wait)
    if resp.status_code >= 300:
        log.error("response_url post failed with HTTP %s", resp.status_code)
        return False
    return True


def _retry_after(headers: Mapping[str, Any], cap: float = MAX_RETRY_AFTER) -> float:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), "1")
    if isinstance(value, list):
        value = value[0] if value else "1"
    try:
        return min(max(float(value), 0.0), cap)
    except (TypeError, ValueError):
        return 1.0


#: Pages of conversations.history read when looking for a digest message (200 each).
HISTORY_PAGES = 5
#: Slack errors meaning the bot may not read this channel's history.
NO_HISTORY = {"missing_scope", "not_in_channel", "channel_not_found", "not_allowed_token_type",
              "no_permission", "access_denied"}
_TRIMMED = re.compile(r"^\(\d+ more sentences? trimmed\)$")


def no_retry_client(client: AsyncWebClient) -> AsyncWebClient:
    """A copy of `client` that never re-sends a request by itself (no retry handlers)."""
    return AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                          ssl=client.ssl, proxy=client.proxy, headers=dict(client.headers),
                          retry_handlers=[])


def split_reply(reply: Reply, max_blocks: int = MAX_BLOCKS) -> list[Reply]:
    """A reply too long for one message as several, cut between sections.

    The first part keeps the title, the last the numbered sources; a single section
    too long even alone is left to the renderer, which trims it and says so.
    """
    def piece(sections: list, first: bool, last: bool) -> Reply:
        title = reply.title if first else (f"{reply.title} (continued)" if reply.title else None)
        return Reply(sections=tuple(sections), title=title,
                     sources=reply.sources if last else (), kind=reply.kind)

    def fits(r: Reply) -> bool:
        blocks = render(r).blocks
        return len(blocks) <= max_blocks and not any(_is_trim_note(b) for b in blocks)

    if fits(reply) or len(reply.sections) < 2:
        return [reply]
    groups: list[list] = []
    current: list = []
    for section in reply.sections:
        if current and not fits(piece(current + [section], not groups, True)):
            groups.append(current)
            current = []
        current.append(section)
    groups.append(current)
    return [piece(g, i == 0, i == len(groups) - 1) for i, g in enumerate(groups)]


def _is_trim_note(block: dict[str, Any]) -> bool:
    return block.get("type") == "context" and any(
        _TRIMMED.match(str(e.get("text", ""))) for e in block.get("elements", []))


def carries(message: Any, tag: PartTag) -> bool:
    """Does this message from conversations.history carry `tag` in its metadata?

    History is other people's data too: anything not shaped like our metadata is not ours.
    """
    if not isinstance(message, dict) or "ts" not in message:
        return False
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != EVENT_TYPE:
        return False
    payload = meta.get("event_payload")
    return isinstance(payload, dict) and tag.matches(payload.get("claim"), payload.get("part"),
                                                     payload.get("date"))


class SlackPoster:
    """bot.core.Poster and bot.digests.delivery.DigestPoster for Slack.

    With `clients` (the install flow), each channel is posted to with the token of
    the workspace it is in; otherwise with `client`'s one token.
    """

    platform = "slack"

    def __init__(self, client: AsyncWebClient, *, max_blocks: int = MAX_BLOCKS,
                 clients: WorkspaceClients | None = None) -> None:
        self._clients = clients or WorkspaceClients(client)
        self._no_retry: dict[str, AsyncWebClient] = {}
        self.max_blocks = max_blocks

    def _client(self, channel_id: str) -> AsyncWebClient:
        return self._clients.for_channel(channel_id)

    def _digest_client(self, channel_id: str) -> AsyncWebClient:
        client = self._client(channel_id)
        copy = self._no_retry.get(client.token or "")
        if copy is None:
            copy = self._no_retry[client.token or ""] = no_retry_client(client)
        return copy

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post `reply` to the channel; returns the message ts."""
        return await post_message(self._client(channel_id), channel_id, render(reply))

    # --- digests, exactly once ---------------------------------------------------------
    async def split(self, channel_id: str, reply: Reply) -> list[SlackMessage]:
        return [render(r) for r in split_reply(reply, self.max_blocks)]

    async def send_part(self, channel_id: str, part: SlackMessage, tag: PartTag) -> str:
        """One digest message, tagged; which of arrived / refused / unknown it was."""
        try:
            resp = await self._digest_client(channel_id).chat_postMessage(
                channel=channel_id, text=part.text, blocks=part.blocks, unfurl_links=False,
                unfurl_media=False, metadata={"event_type": EVENT_TYPE,
                                              "event_payload": tag.payload})
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                raise RateLimited(_retry_after(exc.response.headers, cap=float("inf")),
                                  "Slack rate-limited chat.postMessage") from exc
            if status >= 500:  # Slack may have posted it before failing
                raise DeliveryUncertain(f"Slack answered HTTP {status}") from exc
            raise  # Slack answered and refused it (not_in_channel...): surely not posted
        except aiohttp.ClientConnectorError:
            raise  # no connection was made: nothing reached Slack
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryUncertain(f"{type(exc).__name__} after sending: {exc}") from exc
        return str(resp["ts"])

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        """The ts of the message tagged `tag` in the channel since `since`, if there is one."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            try:
                resp = await self._digest_client(channel_id).conversations_history(
                    channel=channel_id, oldest=f"{since.timestamp():.6f}",
                    include_all_metadata=True, limit=200, cursor=cursor)
            except SlackApiError as exc:
                error = exc.response.get("error") if exc.response else None
                if error in NO_HISTORY:
                    raise HistoryUnavailable(f"Slack says {error}") from exc
                if exc.response is not None and exc.response.status_code == 429:
                    raise RateLimited(_retry_after(exc.response.headers, cap=float("inf")),
                                      "Slack rate-limited conversations.history") from exc
                raise
            for message in resp.get("messages") or []:
                if carries(message, tag):
                    return str(message["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        # Too much was said since to read it all: not knowing, never post it again.
        raise HistoryUnavailable(f"more than {HISTORY_PAGES * 200} messages since {since:%H:%M}")
