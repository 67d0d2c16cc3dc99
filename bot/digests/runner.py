"""Delivering one channel's digest exactly once: claim, compose, post, record.

The same path serves the daily schedule, catch-up after downtime, retries and
`/digest now`; only the local date claimed and the trigger name differ. Every
decision reads the digest log, so running it twice (a restart, a second
process, a retried request) is harmless: the second run finds the claim taken.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import Poster, Reply
from bot.digests.compose import Draft, channel_digest
from bot.digests.store import DigestRow, DigestStore, Subscription
from bot.digests.timing import last_occurrence, local_date

log = logging.getLogger(__name__)

#: Attempts per digest (the first send and three retries) before it is reported as failed.
MAX_ATTEMPTS = 4
#: Wait before retry n (after the n-th failure).
BACKOFF = (timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
#: A claim this old whose owner never finished is taken to be from a crashed process.
STALE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a delivery attempt did, for logs, commands and tests.

    status: "sent" | "silent" (quiet channel, nothing new; recorded, not posted)
    | "taken" (already sent, or another process is sending) | "failed"
    | "not_due" (nothing scheduled within the grace period) | "unsubscribed"
    | "no_poster" (no platform connection for it in this process).
    """

    status: str
    local_date: str | None = None
    message_id: str | None = None
    reply: Reply | None = None
    error: str | None = None
    #: When the next retry is due, or None if there is none (sent, or attempts used up).
    retry_at: datetime | None = None
    row: DigestRow | None = None


class DigestRunner:
    """Posts digests through the given Posters (one per platform), recording each in the log."""

    def __init__(self, services, store: DigestStore, posters: Mapping[str, Poster], *,
                 owner: str | None = None, max_attempts: int = MAX_ATTEMPTS,
                 backoff: tuple[timedelta, ...] = BACKOFF,
                 stale_after: timedelta = STALE_AFTER) -> None:
        self.services = services
        self.store = store
        self.posters = dict(posters)
        self.owner = owner or uuid.uuid4().hex
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.stale_after = stale_after

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.services.clock

    async def run_due(self, platform: str, channel_id: str) -> Outcome:
        """The scheduled digest due now, if it fell due within the grace period and is unsent."""
        sub = await asyncio.to_thread(self.store.subscription, platform, channel_id)
        if sub is None:
            return Outcome("unsubscribed")
        now = self.clock()
        due = last_occurrence(sub.time, sub.tz, now)
        grace = timedelta(hours=self.services.settings.digest_grace_hours)
        if now - due.at > grace or (sub.active_since and due.at < sub.active_since):
            return Outcome("not_due", due.local_date)
        return await self.deliver(sub, due.local_date, trigger="schedule")

    async def retry(self, platform: str, channel_id: str, day: str) -> Outcome:
        """A failed digest whose backoff is over (a no-op if it got sent meanwhile)."""
        sub = await asyncio.to_thread(self.store.subscription, platform, channel_id)
        if sub is None:
            return Outcome("unsubscribed", day)
        return await self.deliver(sub, day, trigger="retry")

    async def run_now(self, sub: Subscription, *, poster: Poster | None = None) -> Outcome:
        """`/digest now`: this channel's digest at once, claimed like a scheduled one.

        It has its own slot per local day, so asking twice (or a platform retrying
        the request) posts once, and the scheduled digest still comes, with what is
        new since. After a failure, asking again is let through at once.
        """
        day = local_date(self.clock(), sub.tz)
        return await self.deliver(sub, day, trigger="now", poster=poster, force_failed=True,
                                  slot="now")

    async def deliver(self, sub: Subscription, day: str, *, trigger: str,
                      poster: Poster | None = None, force_failed: bool = False,
                      slot: str = "daily") -> Outcome:
        poster = poster or self.posters.get(sub.platform)
        if poster is None:
            log.warning("no %s connection in this process; digest for %s not sent",
                        sub.platform, sub.channel_id)
            return Outcome("no_poster", day)
        now = self.clock()
        claim = await asyncio.to_thread(
            self.store.claim, sub.platform, sub.channel_id, day, owner=self.owner, now=now,
            trigger=trigger, stale_after=self.stale_after, max_attempts=self.max_attempts,
            force_failed=force_failed, slot=slot)
        if claim is None:
            row = await asyncio.to_thread(self.store.digest, sub.platform, sub.channel_id, day,
                                          slot)
            return Outcome("taken", day, message_id=row.message_id if row else None, row=row)
        try:
            draft: Draft = await asyncio.to_thread(channel_digest, self.services, self.store,
                                                   sub, now)
            if draft.empty and sub.quiet_empty:
                message_id = None
            else:
                message_id = await poster.post(sub.channel_id, draft.reply)
        except Exception as exc:  # the platform or the composition failed: retry later
            return await self._failed(sub, claim, exc)
        kept = await asyncio.to_thread(
            self.store.mark_sent, claim, message_id=message_id, now=self.clock(),
            period=draft.period, told_articles=draft.told_articles,
            shown_sentences=draft.shown_sentences, empty=draft.empty and message_id is None)
        if not kept:
            log.warning("digest %s:%s %s was posted, but its claim had been taken over "
                        "as stale meanwhile", sub.platform, sub.channel_id, day)
        log.info("digest %s:%s %s %s (message %s)", sub.platform, sub.channel_id, day,
                 "posted" if message_id else "empty, kept silent", message_id)
        return Outcome("sent" if message_id else "silent", day, message_id=message_id,
                       reply=draft.reply)

    async def _failed(self, sub: Subscription, claim, exc: Exception) -> Outcome:
        error = f"{type(exc).__name__}: {exc}"[:300]
        n = claim.attempts
        # A digest asked for with `digest now` is not retried behind the asker's back.
        retry_at = (self.clock() + self.backoff[min(n, len(self.backoff)) - 1]
                    if n < self.max_attempts and claim.slot == "daily" else None)
        await asyncio.to_thread(self.store.mark_failed, claim, error=error,
                                next_attempt_at=retry_at)
        if retry_at is None and claim.slot == "now":
            log.warning("digest now for %s:%s failed: %s", sub.platform, sub.channel_id, error)
        elif retry_at is None:
            log.error("digest %s:%s %s failed %d times, giving up: %s", sub.platform,
                      sub.channel_id, claim.local_date, n, error, exc_info=exc)
        else:
            log.warning("digest %s:%s %s failed (attempt %d of %d), retrying at %s: %s",
                        sub.platform, sub.channel_id, claim.local_date, n, self.max_attempts,
                        retry_at.isoformat(timespec="minutes"), error)
        return Outcome("failed", claim.local_date, error=error, retry_at=retry_at)
