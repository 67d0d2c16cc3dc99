"""Sending rendered replies: chat.postMessage / chat.postEphemeral and response_url.

The Web API client retries HTTP 429 itself (slack_sdk's rate-limit retry handler,
see run.make_client); response_url posts go through Bolt's `respond`, whose
webhook client does not, so `respond_reply` waits out Retry-After here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SlackMessage, render
from bot.core import Reply

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


def _retry_after(headers: dict[str, Any]) -> float:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), "1")
    if isinstance(value, list):
        value = value[0] if value else "1"
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return 1.0


class SlackPoster:
    """bot.core.Poster for Slack: the scheduler posts digests with it."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post `reply` to the channel; returns the message ts the digest log records."""
        return await post_message(self._client, channel_id, render(reply))
