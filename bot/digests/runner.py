"""Delivering one channel's digest exactly once: claim, compose, post each part, record.

The same path serves the daily schedule, catch-up after downtime, retries and
`/digest now`; only the local date claimed and the trigger name differ. Every
decision reads the digest log, so running it twice (a restart, a second
process, a retried request) is harmless: the second run finds the claim taken.

Each message of a digest is recorded before it is posted and tagged with its
claim and part number (bot.digests.delivery). A post whose outcome is unknown is
never re-sent blindly: the digest becomes UNCERTAIN and the next attempt first
looks for the part in the channel's history. Waits on Retry-After are bounded and
renew the claim's lease, and a heartbeat renews it while the owner works, so a
living owner's claim never goes stale and a dead owner's always does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core import Poster, Reply
from bot.digests.compose import Draft, channel_digest
from bot.leases import renewing
from bot.digests.delivery import (
    DeliveryUncertain,
    DigestPoster,
    HistoryUnavailable,
    PartStatus,
    PartTag,
    RateLimited,
    reply_from_json,
    reply_to_json,
)
from bot.digests.store import Claim, DigestRow, DigestStore, Subscription
from bot.digests.timing import last_occurrence, local_date, scheduled_at

log = logging.getLogger(__name__)

#: At most this many attempts per digest; in practice the grace period ends retries first.
MAX_ATTEMPTS = 16
#: Wait before retry n (after the n-th failure), the last one repeating. An uncertain post
#: is looked for after the same wait, so a platform that accepted it late has it in its
#: history by then. Retries go on while they fall within BRIEFBOT_DIGEST_GRACE_HOURS of
#: the digest's scheduled time: a digest later than that is not worth sending.
BACKOFF = (timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
           timedelta(hours=1))
#: A claim this old whose owner never finished is taken to be from a crashed process.
STALE_AFTER = timedelta(minutes=30)
#: Parts are looked for in history from this long before the digest was first claimed
#: (the platform's clock and ours may differ a little).
HISTORY_MARGIN = timedelta(minutes=5)
#: The prefix of the error recorded when history cannot be read (shown by `subscriptions`).
HISTORY_UNREADABLE = "cannot read this channel's history"


class Delivered(StrEnum):
    """What a delivery attempt did.

    SENT; SILENT (quiet channel, nothing new: recorded, not posted); TAKEN (already
    done, or another process has it); FAILED (surely not delivered; retried later);
    UNCERTAIN (may have arrived: the next attempt looks in history first); NOT_DUE
    (nothing scheduled within the grace period); UNSUBSCRIBED; NO_POSTER (no platform
    connection for it in this process).
    """

    SENT = "sent"
    SILENT = "silent"
    TAKEN = "taken"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    NOT_DUE = "not_due"
    UNSUBSCRIBED = "unsubscribed"
    NO_POSTER = "no_poster"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a delivery attempt did, for logs, commands and tests."""

    status: Delivered
    local_date: str | None = None
    message_id: str | None = None
    reply: Reply | None = None
    error: str | None = None
    #: When the next attempt is due, or None if there is none (sent, or attempts used up).
    retry_at: datetime | None = None
    row: DigestRow | None = None


class ClaimLost(Exception):
    """Our lease was taken over (we were presumed dead): stop before posting anything more."""


class _PlainPoster:
    """A Poster without tags or history (a test double, `digest now` answered in place):
    one part, and nothing it may have posted is ever looked for, so never re-sent."""

    def __init__(self, poster: Poster) -> None:
        self.platform = poster.platform
        self._poster = poster

    async def split(self, channel_id: str, reply: Reply) -> Sequence[Any]:
        return [reply]

    async def send_part(self, channel_id: str, part: Any, tag: PartTag) -> str:
        return await self._poster.post(channel_id, part)

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        raise HistoryUnavailable(f"{self.platform} poster keeps no history")


def digest_poster(poster: Poster | DigestPoster) -> DigestPoster:
    return poster if isinstance(poster, DigestPoster) else _PlainPoster(poster)


def _draft_json(draft: Draft) -> dict[str, Any]:
    return {"reply": reply_to_json(draft.reply), "empty": draft.empty,
            "period": [draft.period[0].isoformat(), draft.period[1].isoformat()],
            "told_articles": sorted(draft.told_articles),
            "shown_sentences": [list(p) for p in draft.shown_sentences]}


def _draft_from_json(data: dict[str, Any]) -> Draft:
    start, end = (datetime.fromisoformat(t) for t in data["period"])
    return Draft(reply=reply_from_json(data["reply"]), empty=bool(data["empty"]),
                 period=(start, end), told_articles=frozenset(data["told_articles"]),
                 shown_sentences=tuple((s, a) for s, a in data["shown_sentences"]))


class DigestRunner:
    """Posts digests through the given Posters (one per platform), recording each in the log."""

    def __init__(self, services, store: DigestStore, posters: Mapping[str, Poster], *,
                 owner: str | None = None, max_attempts: int = MAX_ATTEMPTS,
                 backoff: tuple[timedelta, ...] = BACKOFF,
                 stale_after: timedelta = STALE_AFTER,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.services = services
        self.store = store
        self.posters = dict(posters)
        self.owner = owner or uuid.uuid4().hex
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.stale_after = stale_after
        #: How Retry-After is waited out (a test passes one that moves its clock).
        self.sleep = sleep

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.services.clock

    @property
    def max_wait(self) -> float:
        """The longest single Retry-After wait: a third of the stale window."""
        return self.stale_after.total_seconds() / 3

    @property
    def attempt_deadline(self) -> float:
        """An attempt that takes longer (a hung request) is given up as uncertain."""
        return self.stale_after.total_seconds() * 0.8

    async def run_due(self, platform: str, channel_id: str) -> Outcome:
        """The scheduled digest due now, if it fell due within the grace period and is unsent."""
        sub = await asyncio.to_thread(self.store.subscription, platform, channel_id)
        if sub is None:
            return Outcome(Delivered.UNSUBSCRIBED)
        now = self.clock()
        due = last_occurrence(sub.time, sub.tz, now)
        grace = timedelta(hours=self.services.settings.digest_grace_hours)
        if now - due.at > grace or (sub.active_since and due.at < sub.active_since):
            return Outcome(Delivered.NOT_DUE, due.local_date)
        return await self.deliver(sub, due.local_date, trigger="schedule")

    async def retry(self, platform: str, channel_id: str, day: str) -> Outcome:
        """A failed or uncertain digest whose wait is over (a no-op if it got sent meanwhile)."""
        sub = await asyncio.to_thread(self.store.subscription, platform, channel_id)
        if sub is None:
            return Outcome(Delivered.UNSUBSCRIBED, day)
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
            return Outcome(Delivered.NO_POSTER, day)
        now = self.clock()
        claim = await asyncio.to_thread(
            self.store.claim, sub.platform, sub.channel_id, day, owner=self.owner, now=now,
            trigger=trigger, stale_after=self.stale_after, max_attempts=self.max_attempts,
            force_failed=force_failed, slot=slot)
        if claim is None:
            return await self._taken(sub, day, slot)
        async with self._lease(claim):
            try:
                draft = await self._draft(sub, claim, now)
            except Exception as exc:  # the composition failed: nothing posted, retry later
                return await self._failed(sub, claim, exc)
            if draft.empty and sub.quiet_empty:
                message_id = None
            else:
                try:
                    ids = await asyncio.wait_for(
                        self._post_parts(digest_poster(poster), sub, claim, draft.reply),
                        self.attempt_deadline)
                except ClaimLost:
                    return await self._taken(sub, day, slot)
                except (DeliveryUncertain, HistoryUnavailable, TimeoutError) as exc:
                    return await self._uncertain(sub, claim, exc)
                except RateLimited as exc:
                    return await self._failed(sub, claim, exc, not_before=exc.retry_after)
                except Exception as exc:  # surely not posted: retry later
                    return await self._failed(sub, claim, exc)
                message_id = ids[0] if ids else None
            kept = await asyncio.to_thread(
                self.store.mark_sent, claim, message_id=message_id, now=self.clock(),
                period=draft.period, told_articles=draft.told_articles,
                shown_sentences=draft.shown_sentences, empty=draft.empty and message_id is None)
        if not kept:
            log.warning("digest %s:%s %s was posted, but its claim had been taken over "
                        "as stale meanwhile", sub.platform, sub.channel_id, day)
        log.info("digest %s:%s %s %s (message %s)", sub.platform, sub.channel_id, day,
                 "posted" if message_id else "empty, kept silent", message_id)
        return Outcome(Delivered.SENT if message_id else Delivered.SILENT, day,
                       message_id=message_id, reply=draft.reply)

    # --- the steps -------------------------------------------------------------------
    async def _taken(self, sub: Subscription, day: str, slot: str) -> Outcome:
        row = await asyncio.to_thread(self.store.digest, sub.platform, sub.channel_id, day, slot)
        return Outcome(Delivered.TAKEN, day, message_id=row.message_id if row else None, row=row)

    async def _draft(self, sub: Subscription, claim: Claim, now: datetime) -> Draft:
        """The digest as first composed for this claim: a retry posts the same parts."""
        kept = await asyncio.to_thread(self.store.draft, claim.digest_id)
        if kept is not None:
            return _draft_from_json(kept)
        draft: Draft = await asyncio.to_thread(channel_digest, self.services, self.store, sub, now)
        kept = await asyncio.to_thread(self.store.keep_draft, claim, _draft_json(draft))
        return _draft_from_json(kept)

    async def _post_parts(self, poster: DigestPoster, sub: Subscription, claim: Claim,
                          reply: Reply) -> list[str]:
        """Post every part not yet known to have arrived; the message ids, in order."""
        parts = list(await poster.split(sub.channel_id, reply))
        known = await asyncio.to_thread(self.store.parts, claim.digest_id)
        since = (claim.started_at or self.clock()) - HISTORY_MARGIN
        ids: list[str] = []
        for number, part in enumerate(parts, start=1):
            tag = PartTag(claim.digest_id, number, len(parts), claim.local_date)
            record = known.get(number)
            if record is not None and record.status is PartStatus.SENT:
                ids.append(record.message_id or "")
                continue
            if record is not None:  # SENDING or UNCERTAIN: it may be in the channel already
                found = await poster.find_part(sub.channel_id, tag, since)
                if found is not None:
                    log.info("digest %s:%s %s part %d/%d was delivered before (message %s); "
                             "not posting it again", sub.platform, sub.channel_id,
                             claim.local_date, number, len(parts), found)
                    await self._record(claim, number, PartStatus.SENT, found)
                    ids.append(found)
                    continue
            ids.append(await self._post_part(poster, sub, claim, part, tag))
        return ids

    async def _post_part(self, poster: DigestPoster, sub: Subscription, claim: Claim,
                         part: Any, tag: PartTag) -> str:
        """One part: recorded as SENDING first; 429s waited out (bounded, lease renewed)."""
        waited = 0.0
        while True:
            await self._record(claim, tag.part, PartStatus.SENDING)
            try:
                message_id = await poster.send_part(sub.channel_id, part, tag)
            except DeliveryUncertain:
                await self._record(claim, tag.part, PartStatus.UNCERTAIN)
                raise
            except RateLimited as exc:
                await self._record(claim, tag.part, None)
                wait = max(exc.retry_after, 0.0)
                if wait > self.max_wait or waited + wait > self.stale_after.total_seconds():
                    raise
                log.warning("digest %s:%s part %d rate-limited; waiting %.0f s", sub.platform,
                            sub.channel_id, tag.part, wait)
                await self._wait(claim, wait)
                waited += wait
                continue
            except asyncio.CancelledError:  # the attempt's deadline: the part stays SENDING
                raise
            except Exception:
                await self._record(claim, tag.part, None)
                raise
            await self._record(claim, tag.part, PartStatus.SENT, message_id)
            return message_id

    async def _record(self, claim: Claim, part: int, status: PartStatus | None,
                      message_id: str | None = None) -> None:
        held = await asyncio.to_thread(self.store.mark_part, claim, part, status,
                                       now=self.clock(), message_id=message_id)
        if not held:
            raise ClaimLost(f"claim {claim.digest_id} was taken over")

    async def _wait(self, claim: Claim, seconds: float) -> None:
        """Sleep in steps, renewing the lease after each, so the claim never looks stale."""
        step = max(self.stale_after.total_seconds() / 4, 0.001)
        left = seconds
        while left > 0:
            chunk = min(step, left)
            await self.sleep(chunk)
            left -= chunk
            if not await asyncio.to_thread(self.store.renew, claim, self.clock()):
                raise ClaimLost(f"claim {claim.digest_id} was taken over")

    @contextlib.asynccontextmanager
    async def _lease(self, claim: Claim) -> AsyncIterator[None]:
        """Renew the claim in the background while this owner works on it."""
        def renew() -> bool:
            self.store.renew(claim, self.clock())
            return True  # losing it is found out by the next step's own check (ClaimLost)

        async with renewing(renew, self.stale_after.total_seconds() / 4,
                            f"digest {claim.digest_id}"):
            yield

    # --- failures ----------------------------------------------------------------------
    def _next_attempt(self, sub: Subscription, claim: Claim,
                      not_before: float = 0.0) -> datetime | None:
        """When to try again: after the backoff (and any Retry-After), within the grace.

        None for `digest now` (not retried behind the asker's back), after the last
        attempt, and when the next try would come after the grace period.
        """
        n = claim.attempts
        if n >= self.max_attempts or claim.slot != "daily":
            return None
        wait = max(self.backoff[min(n, len(self.backoff)) - 1], timedelta(seconds=not_before))
        at = self.clock() + wait
        due = scheduled_at(date.fromisoformat(claim.local_date), sub.time, sub.tz)
        if at > due + timedelta(hours=self.services.settings.digest_grace_hours):
            return None
        return at

    async def _failed(self, sub: Subscription, claim: Claim, exc: Exception, *,
                      not_before: float = 0.0) -> Outcome:
        error = f"{type(exc).__name__}: {exc}"[:300]
        n = claim.attempts
        # A digest asked for with `digest now` is not retried behind the asker's back.
        retry_at = self._next_attempt(sub, claim, not_before)
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
        return Outcome(Delivered.FAILED, claim.local_date, error=error, retry_at=retry_at)

    async def _uncertain(self, sub: Subscription, claim: Claim, exc: Exception) -> Outcome:
        """A part may have arrived: never re-sent until history says it did not."""
        if isinstance(exc, HistoryUnavailable):
            error = f"{HISTORY_UNREADABLE} ({exc})"
        elif isinstance(exc, TimeoutError):
            error = f"no answer within {self.attempt_deadline:.0f} s"
        else:
            error = f"{type(exc).__name__}: {exc}"
        error = error[:300]
        retry_at = self._next_attempt(sub, claim)
        await asyncio.to_thread(self.store.mark_failed, claim, error=error,
                                next_attempt_at=retry_at, uncertain=True)
        log.warning("digest %s:%s %s may or may not have arrived (%s); %s", sub.platform,
                    sub.channel_id, claim.local_date, error,
                    f"looking for it in the channel at {retry_at:%H:%M} UTC" if retry_at
                    else "not sending it again")
        return Outcome(Delivered.UNCERTAIN, claim.local_date, error=error, retry_at=retry_at)
