"""Who may change a channel's settings on Slack (what `Request.can_manage` means here).

Slack has no per-channel "Manage Channels" permission for apps to read, so the
rule is: workspace admins and owners (users.info), and the member who created the
channel (conversations.info). Asked only for commands that need it.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


async def can_manage(client: AsyncWebClient, user_id: str, channel_id: str) -> bool:
    """True for an admin/owner of the workspace or the creator of the channel.

    A failed look-up (missing scope, unknown channel) answers False: refusing is safe,
    and the core then tells the user which permission is needed.
    """
    if not user_id:
        return False
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not shown to be allowed"
        log.warning("users.info failed for permission check: %s", _reason(exc))
    if not channel_id or channel_id.startswith("D"):  # a DM has no creator to ask about
        return False
    try:
        channel = (await client.conversations_info(channel=channel_id)).get("channel") or {}
        return bool(channel.get("creator")) and channel.get("creator") == user_id
    except Exception as exc:  # noqa: BLE001
        log.warning("conversations.info failed for permission check: %s", _reason(exc))
        return False


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return type(exc).__name__
