"""Files that go with a Slack reply (a coverage chart), uploaded into the answer's thread.

Uploading needs the `files:write` scope and the bot in the channel; without them the
answer stays text-only (it is complete on its own) and the reason is logged once per call.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Attachment

log = logging.getLogger(__name__)


async def upload(client: AsyncWebClient, channel: str, attachments: tuple[Attachment, ...], *,
                 thread_ts: str | None = None) -> bool:
    """Upload every attachment with its alt text; False (logged) when Slack refuses."""
    if not attachments or not channel:
        return False
    files = [{"file": a.data, "filename": a.filename, "title": a.alt[:250], "alt_txt": a.alt[:1000]}
             for a in attachments]
    try:
        await client.files_upload_v2(file_uploads=files, channel=channel, thread_ts=thread_ts)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown"
        hint = " (add the files:write scope and reinstall)" if error == "missing_scope" else ""
        log.warning("chart not attached in %s: Slack said %s%s; the answer stays text-only",
                    channel, error, hint)
        return False
    except SlackRequestError as exc:
        log.warning("chart not attached in %s: %s", channel, exc)
        return False
    return True
