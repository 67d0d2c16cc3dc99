"""Daily digests on time, inside the serving process (APScheduler 3.x).

The subscriptions table is the source of truth: jobs are built from it at start
(stable ids `digest:<platform>:<channel>`, `replace_existing=True`) and re-read
every few minutes, so `briefbot subscribe` from another shell takes effect
without a restart. Jobs call a module-level function with primitive arguments;
it finds its scheduler by key. Whether a digest is actually posted is decided by
the digest log (see bot.digests.store), never by the scheduler, so missed,
doubled or overlapping firings are all harmless.

Serving process:

    scheduler = DigestScheduler(services, {"discord": discord_poster, "slack": slack_poster})
    scheduler.start()       # inside the running event loop; catches up missed digests
    ...
    scheduler.shutdown()
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.core import Poster
from bot.digests.delivery import DigestStatus
from bot.digests.runner import Delivered, DigestRunner, Outcome
from bot.digests.store import DigestStore, Subscription
from bot.digests.timing import build_trigger

log = logging.getLogger(__name__)

#: How often the subscriptions table is re-read for changes made by other processes.
RESYNC_MINUTES = 2
#: How often the serving process applies retention (BRIEFBOT_RETENTION_DAYS > 0).
RETENTION_MINUTES = 60

_ACTIVE: dict[str, DigestScheduler] = {}


async def run_digest_job(scheduler_key: str, platform: str, channel_id: str,
                         day: str | None = None) -> None:
    """What every digest job runs: the scheduled digest, or a retry of `day`'s."""
    scheduler = _ACTIVE.get(scheduler_key)
    if scheduler is None:  # a job outliving its scheduler: nothing to post with
        log.warning("digest job for %s:%s fired with no running scheduler", platform, channel_id)
        return
    await scheduler.fire(platform, channel_id, day)


async def resync_job(scheduler_key: str) -> None:
    scheduler = _ACTIVE.get(scheduler_key)
    if scheduler is not None:
        await asyncio.to_thread(scheduler.sync_jobs)


async def retention_job(scheduler_key: str) -> None:
    """Prune articles past BRIEFBOT_RETENTION_DAYS, in short batches off the event loop."""
    scheduler = _ACTIVE.get(scheduler_key)
    if scheduler is None:
        return
    try:
        services = scheduler.services
        done = await asyncio.to_thread(services.index.prune,
                                       retention_days=services.settings.retention_days)
    except Exception:  # noqa: BLE001 - retention must never stop the digests
        log.exception("retention pass failed; it runs again in %d minutes", RETENTION_MINUTES)
        return
    if done.articles:
        log.info("retention: pruned %d articles (%d sentences), gave back %d bytes",
                 done.articles, done.sentences, done.bytes_reclaimed)


def active_scheduler(services) -> DigestScheduler | None:
    """The running scheduler serving these services, if any (for `/digest now`, `/subscribe`)."""
    for scheduler in _ACTIVE.values():
        if scheduler.services is getattr(services, "origin", services):
            return scheduler
    return None


class DigestScheduler:
    """Fires each subscribed channel's digest at its local time, through its platform's Poster."""

    def __init__(self, services, posters: Mapping[str, Poster], *,
                 store: DigestStore | None = None) -> None:
        self.services = services
        self._owns_store = store is None
        self.store = store or DigestStore(services.settings.database)
        self.runner = DigestRunner(services, self.store, posters)
        self.key = uuid.uuid4().hex
        grace = int(services.settings.digest_grace_hours * 3600)
        self.aps = AsyncIOScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": max(grace, 1)})
        #: job id -> (time, tz) as scheduled, so a resync only touches what changed.
        self._scheduled: dict[str, tuple[str, str]] = {}
        self._sync_lock = threading.Lock()  # resync runs in a thread; /subscribe in the worker
        self.catch_up_task: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        #: The serving loop: posters belong to it, so posts from other threads hop onto it.
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def platforms(self) -> set[str]:
        return set(self.runner.posters)

    # --- life cycle ----------------------------------------------------------------
    def start(self, *, catch_up: bool = True) -> None:
        """Build the jobs and start firing; call from inside the running event loop."""
        self.loop = asyncio.get_running_loop()
        _ACTIVE[self.key] = self
        self.sync_jobs()
        self.aps.add_job(resync_job, "interval", minutes=RESYNC_MINUTES, args=[self.key],
                          id="digest-resync", replace_existing=True)
        if self.services.settings.retention_days:
            self.aps.add_job(retention_job, "interval", minutes=RETENTION_MINUTES,
                             args=[self.key], id="retention", replace_existing=True,
                             next_run_time=datetime.now(UTC) + timedelta(minutes=1))
        self.aps.start()
        if catch_up:
            self.catch_up_task = asyncio.get_running_loop().create_task(self.catch_up())

    def add_poster(self, poster: Poster) -> None:
        """A platform that connected after start (Discord's poster exists only after login):
        schedule its channels and catch up what it missed."""
        self.runner.posters[poster.platform] = poster
        if self.loop is None:
            return  # start() will pick it up
        self.sync_jobs()
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is self.loop:
            task = self.loop.create_task(self.catch_up(platform=poster.platform))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            asyncio.run_coroutine_threadsafe(self.catch_up(platform=poster.platform), self.loop)

    def shutdown(self) -> None:
        _ACTIVE.pop(self.key, None)
        if self.catch_up_task and not self.catch_up_task.done():
            self.catch_up_task.cancel()
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self._owns_store:
            self.store.close()

    # --- jobs ----------------------------------------------------------------------
    def sync_jobs(self) -> None:
        """Make the jobs match the subscriptions table (for the platforms served here)."""
        wanted = {s.job_id: s for s in self.store.subscriptions() if s.platform in self.platforms}
        with self._sync_lock:
            for job_id in list(self._scheduled):
                if job_id not in wanted:
                    self._remove(job_id)
            for job_id, sub in wanted.items():
                if self._scheduled.get(job_id) != (sub.time, sub.tz):
                    self._add(sub)

    def sync_channel(self, platform: str, channel_id: str) -> None:
        """Pick up one channel's change at once (after /subscribe or /unsubscribe)."""
        sub = self.store.subscription(platform, channel_id)
        job_id = f"digest:{platform}:{channel_id}"
        with self._sync_lock:
            if sub is None or platform not in self.platforms:
                self._remove(job_id)
            else:
                self._add(sub)

    def _add(self, sub: Subscription) -> None:
        self.aps.add_job(run_digest_job, build_trigger(sub.time, sub.tz), id=sub.job_id,
                          args=[self.key, sub.platform, sub.channel_id], replace_existing=True,
                          name=f"digest {sub.platform}:{sub.channel_id} {sub.time} {sub.tz}")
        self._scheduled[sub.job_id] = (sub.time, sub.tz)

    def _remove(self, job_id: str) -> None:
        self._scheduled.pop(job_id, None)
        if self.aps.get_job(job_id):
            self.aps.remove_job(job_id)

    def next_fire_times(self) -> dict[str, datetime | None]:
        """Job id -> next firing (UTC); what `subscriptions` and tests look at."""
        jobs = {j.id: j for j in self.aps.get_jobs()}
        out = {}
        for job_id in self._scheduled:
            job = jobs.get(job_id)
            nxt = getattr(job, "next_run_time", None)
            if nxt is None and job is not None:  # not started yet: ask the trigger
                nxt = job.trigger.get_next_fire_time(None, datetime.now(UTC))
            out[job_id] = nxt.astimezone(UTC) if nxt else None
        return out

    # --- firing --------------------------------------------------------------------
    async def run_now(self, sub: Subscription) -> Outcome:
        """`/digest now` from any thread: delivered on the serving loop, where posters live."""
        if self.loop is None or self.loop is asyncio.get_running_loop():
            return await self.runner.run_now(sub)
        future = asyncio.run_coroutine_threadsafe(self.runner.run_now(sub), self.loop)
        return await asyncio.wrap_future(future)

    async def catch_up(self, platform: str | None = None) -> list[Outcome]:
        """Post digests missed while the bot was down (within the grace), and due retries."""
        subs = await asyncio.to_thread(self.store.subscriptions, platform)
        outcomes = []
        for sub in subs:
            if sub.platform in self.platforms:
                outcomes.append(await self.fire(sub.platform, sub.channel_id))
        return outcomes

    async def fire(self, platform: str, channel_id: str, day: str | None = None) -> Outcome:
        try:
            if day is None:
                outcome = await self.runner.run_due(platform, channel_id)
            else:
                outcome = await self.runner.retry(platform, channel_id, day)
        except Exception:  # a job must never take the scheduler down
            log.exception("digest job for %s:%s crashed", platform, channel_id)
            return Outcome(Delivered.FAILED, day, error="crashed")
        retry_at = outcome.retry_at
        row = outcome.row
        if outcome.status == Delivered.TAKEN and row is not None:
            if row.status in (DigestStatus.FAILED, DigestStatus.UNCERTAIN):
                # failed or uncertain before a restart: its retry job was lost
                retry_at = row.next_attempt_at
            elif row.status.held and row.owner != self.runner.owner:
                # Another process is sending it, or crashed while sending: look again once
                # the claim would count as stale, so a crash does not lose the day's digest.
                retry_at = row.claimed_at + self.runner.stale_after + timedelta(seconds=5)
        if retry_at is not None and self.aps.running:
            self.aps.add_job(run_digest_job, DateTrigger(retry_at),
                              id=f"digest-retry:{platform}:{channel_id}",
                              args=[self.key, platform, channel_id, outcome.local_date],
                              replace_existing=True)
        # The outcome says when this channel's digest will be looked at again.
        return dataclasses.replace(outcome, retry_at=retry_at)
