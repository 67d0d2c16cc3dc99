"""Taking jobs and running them: the loop each ingesting process runs, and waiting on jobs.

One JobRunner per process (`Services.jobs`). `serve --role ingest|all` runs
`run_forever`; whoever queued jobs and needs their outcome (a feed poll, a chat
/ingest) calls `wait`, which also takes its own jobs when nobody else has, so a
single process, the CLI and tests need no separate worker. With several processes
each takes different jobs (bot.jobs.store.claim_statement), which is how a second
process adds ingest throughput.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.jobs.store import Job, JobStatus, JobStore
from bot.leases import holder_id, renewing

if TYPE_CHECKING:  # pragma: no cover
    from bot.services import Services

log = logging.getLogger(__name__)

#: A job's lease: how long a dead holder keeps it before another process takes it again.
JOB_LEASE = timedelta(seconds=60)
#: Jobs taken at once: article jobs of one batch go through Index.add_many together.
JOB_BATCH = 8
MAX_ATTEMPTS = 3
#: Backoff after a failed attempt n: RETRY_BASE * 4 ** (n - 1), at most RETRY_MAX.
RETRY_BASE = timedelta(seconds=1)
RETRY_MAX = timedelta(minutes=10)
#: How long run_forever sleeps when there is nothing to take, and wait between looks.
IDLE_SECONDS = 1.0
WAIT_SECONDS = 0.1
#: Finished jobs are forgotten after this long; run_forever prunes every PRUNE_EVERY.
KEEP_FINISHED = timedelta(days=7)
PRUNE_EVERY = timedelta(hours=1)


def backoff(attempt: int) -> timedelta:
    return min(RETRY_BASE * 4 ** max(attempt - 1, 0), RETRY_MAX)


class JobRunner:
    """Takes jobs under a lease, runs their handler, records the outcome or the retry."""

    def __init__(self, services: Services, *, lease: timedelta = JOB_LEASE,
                 batch: int = JOB_BATCH) -> None:
        from bot.services import utcnow

        self.services = services
        self.lease = lease
        self.batch = batch
        #: Leases and backoff run on real time, not the news clock tests stop (services.clock).
        self.clock = utcnow
        self.holder = holder_id()
        self._store: JobStore | None = None
        self._opening = threading.Lock()

    async def store(self) -> JobStore:
        """The jobs' own connection, opened (and migrated) on first use, once."""
        if self._store is None:
            await asyncio.to_thread(self._open)
        assert self._store is not None
        return self._store

    def _open(self) -> None:
        with self._opening:
            if self._store is None:
                self._store = JobStore.open(self.services.settings.database)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- queueing and waiting -----------------------------------------------------------
    async def enqueue(self, kind: str, payloads: Sequence[dict[str, Any]], *,
                      max_attempts: int = MAX_ATTEMPTS) -> list[int]:
        from bot.jobs.store import JobKind

        store = await self.store()
        return await asyncio.to_thread(store.enqueue, JobKind(kind), payloads, now=self.clock(),
                                       max_attempts=max_attempts)

    async def wait(self, ids: Sequence[int], *, help: bool = True) -> list[Job]:
        """Wait until every job in `ids` is DONE or FAILED; return them in order.

        With `help` this process takes any of them nobody else is running, so waiting
        never depends on another process being up."""
        store = await self.store()
        while True:
            jobs = await asyncio.to_thread(store.get, ids)
            if all(j.status.finished for j in jobs):
                return jobs
            if help and await self.run_once(only=[j.id for j in jobs if not j.status.finished]):
                continue
            await asyncio.sleep(WAIT_SECONDS)

    # --- taking and running -------------------------------------------------------------
    async def run_forever(self) -> None:
        """Take and run jobs until cancelled (the ingesting roles of `serve`); forget old
        finished ones now and then."""
        pruned_at: datetime | None = None
        while True:
            try:
                now = self.clock()
                if pruned_at is None or now - pruned_at >= PRUNE_EVERY:
                    store = await self.store()
                    await asyncio.to_thread(store.prune, now - KEEP_FINISHED)
                    pruned_at = now
                ran = await self.run_once()
            except Exception:  # noqa: BLE001 - a storage hiccup must not end the worker
                log.exception("taking jobs failed; trying again in %.0f s", IDLE_SECONDS)
                ran = 0
            if not ran:
                await asyncio.sleep(IDLE_SECONDS)

    async def run_once(self, only: Sequence[int] = ()) -> int:
        """Take up to `batch` ready jobs (of `only`) and run them; how many were taken."""
        store = await self.store()
        now = self.clock()
        jobs = await asyncio.to_thread(store.claim, holder=self.holder, now=now,
                                       expires_at=now + self.lease, limit=self.batch, only=only)
        if not jobs:
            return 0
        spent = [j for j in jobs if j.attempts > j.max_attempts]  # holders died every time
        for job in spent:
            await asyncio.to_thread(store.fail, job.id, holder=self.holder, now=now,
                                    error=job.error or "its worker died on every attempt",
                                    retry_at=None)
        live = [j for j in jobs if j.attempts <= j.max_attempts]
        pending = {j.id for j in live}  # taken and not yet recorded: the leases to renew

        def renew() -> bool:
            expires = self.clock() + self.lease
            return all([store.renew(i, holder=self.holder, expires_at=expires)
                        for i in sorted(pending)])

        async with renewing(renew, self.lease.total_seconds() / 4, f"jobs {sorted(pending)}"):
            for kind in dict.fromkeys(j.kind for j in live):
                await self._run(store, [j for j in live if j.kind == kind], pending)
        return len(jobs)

    async def _run(self, store: JobStore, jobs: list[Job], pending: set[int]) -> None:
        from bot.jobs.ingest import HANDLERS

        try:
            results: list[dict[str, Any] | Exception] = await HANDLERS[jobs[0].kind](
                self.services, jobs)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed: each is retried
            log.warning("jobs %s (%s) failed: %s", [j.id for j in jobs], jobs[0].kind, exc,
                        exc_info=True)
            results = [exc] * len(jobs)
        now = self.clock()
        for job, result in zip(jobs, results, strict=True):
            pending.discard(job.id)
            if isinstance(result, Exception):
                await self._failed(store, job, result, now)
            else:
                await asyncio.to_thread(store.finish, job.id, holder=self.holder, now=now,
                                        result=result)

    async def _failed(self, store: JobStore, job: Job, exc: Exception, now: datetime) -> None:
        error = f"{type(exc).__name__}: {exc}"
        retry = now + backoff(job.attempts) if job.attempts < job.max_attempts else None
        if retry is None:
            log.warning("job %s (%s) failed for good after %d attempts: %s", job.id, job.kind,
                        job.attempts, error)
        else:
            log.info("job %s (%s) attempt %d failed, retrying at %s: %s", job.id, job.kind,
                     job.attempts, retry, error)
        await asyncio.to_thread(store.fail, job.id, holder=self.holder, now=now, error=error,
                                retry_at=retry)


def job_status_line(counts: dict[JobStatus, int]) -> str:
    """"3 queued, 1 running, 40 done, 0 failed": for logs and the benches."""
    return ", ".join(f"{counts.get(s, 0)} {s.value}" for s in JobStatus)
