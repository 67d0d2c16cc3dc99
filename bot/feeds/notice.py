"""Telling the channel a feed was added from that the feed has been paused.

A paused feed is no longer polled, so without a word in chat the person who
added it would only find out from `feeds list`, if ever. The serving process
passes `channel_notifier(posters)` to the feed poller; feeds added from the CLI
have no channel and are only logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.core import Poster, Reply
from bot.feeds.poll import Notify, PollOutcome, PollStatus
from bot.redact import redact_url, redact_urls

log = logging.getLogger(__name__)


def pause_notice(outcome: PollOutcome) -> Reply:
    """The message posted to the channel: which feed, why, and how to resume it.

    Everything that quotes the feed's address is redacted, as its query may hold a token
    and the whole channel sees the notice."""
    url = redact_url(outcome.url)
    name = f"“{outcome.title}” ({url})" if outcome.title else url
    error = redact_urls(outcome.error or "unknown error")
    text = (f"Feed {outcome.feed_id} {name} was paused after {outcome.failures} failed polls "
            f"in a row, and will not be polled until it is resumed.\n"
            f"Last error: {error}\n"
            f"Resume it with `/feeds resume {outcome.feed_id}` once the feed works again.")
    return Reply.plain(text, title="Feed paused")


def channel_notifier(posters: Mapping[str, Poster]) -> Notify:
    """A `notify` for poll_due_feeds that posts the notice through the platform's Poster.

    `posters` is read at each pause, so a platform that connects later (Discord, after
    login) is used once it is there."""

    async def notify(outcome: PollOutcome) -> None:
        if outcome.status != PollStatus.PAUSED or not outcome.notify_channel:
            return
        poster = posters.get(outcome.notify_platform or "")
        if poster is None:
            log.info("feed %s paused; no %s connection here to tell channel %s",
                     outcome.feed_id, outcome.notify_platform, outcome.notify_channel)
            return
        await poster.post(outcome.notify_channel, pause_notice(outcome))
        log.info("told %s:%s that feed %s was paused", outcome.notify_platform,
                 outcome.notify_channel, outcome.feed_id)

    return notify
