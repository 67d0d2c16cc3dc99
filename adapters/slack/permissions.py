"""Who may change a channel's settings on Slack (what `Request.can_manage` means here).

Slack has no per-channel "Manage Channels" permission for apps to read, so the
rule is: workspace admins and owners (users.info), and the member who created the
channel (conversations.info). Every command gets the answer, because some commands
(`feeds add`) decide per action; answers are cached for a few minutes so a busy
channel does not spend Slack's rate limits on it.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
CACHE_MAX = 5_000


class ManageChecker:
    """can_manage(user, channel) with a short-lived cache of Slack's answers."""

    def __init__(self, client: AsyncWebClient, ttl: float = CACHE_SECONDS) -> None:
        self._client, self._ttl = client, ttl
        self._admins: dict[str, tuple[float, bool]] = {}
        self._creators: dict[str, tuple[float, str]] = {}

    async def allowed(self, user_id: str, channel_id: str,
                      client: AsyncWebClient | None = None) -> bool:
        """True for an admin/owner of the workspace or the creator of the channel.

        `client` is the asking workspace's (the install flow has one token per workspace).

        A failed look-up (missing scope, unknown channel, network) answers False:
        refusing is safe, and the user is told who may use the command.
        """
        if not user_id:
            return False
        client = client or self._client
        if await self._is_admin(user_id, client):
            return True
        if not channel_id or channel_id.startswith("D"):  # a DM has no creator to ask about
            return False
        return await self._creator(channel_id, client) == user_id

    async def _is_admin(self, user_id: str, client: AsyncWebClient) -> bool:
        cached = self._fresh(self._admins, user_id)
        if cached is not None:
            return cached
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except Exception as exc:  # noqa: BLE001 - any failure means "not shown to be allowed"
            log.warning("users.info failed for permission check: %s", _reason(exc))
            return False
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._store(self._admins, user_id, admin)
        return admin

    async def _creator(self, channel_id: str, client: AsyncWebClient) -> str:
        cached = self._fresh(self._creators, channel_id)
        if cached is not None:
            return cached
        try:
            channel = (await client.conversations_info(channel=channel_id)).get("channel")
        except Exception as exc:  # noqa: BLE001
            log.warning("conversations.info failed for permission check: %s", _reason(exc))
            return ""
        creator = str((channel or {}).get("creator") or "")
        self._store(self._creators, channel_id, creator)
        return creator

    def _fresh(self, cache: dict, key: str):
        hit = cache.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def _store(self, cache: dict, key: str, value) -> None:
        if len(cache) >= CACHE_MAX:
            cache.clear()
        cache[key] = (time.monotonic() + self._ttl, value)


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return type(exc).__name__
