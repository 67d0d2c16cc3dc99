"""Leases shared by the feed poller and the job runner: who holds one, and keeping it alive.

A lease is a (holder, expiry) pair on a row. The holder renews it while it works; a
holder that dies (SIGKILL, power loss) stops renewing, and once the expiry passes any
other process may take the row over. Expiry is compared with the caller's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


def holder_id() -> str:
    """host:pid:nonce. The nonce tells apart two holders in one process (tests run two pollers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def renewing(renew: Callable[[], bool], every: float, what: str) -> AsyncIterator[None]:
    """Call `renew` (a blocking store call, run in a thread) every `every` seconds while the
    body runs. It returns False when a lease was lost: that is logged once, and the beat goes
    on (a batch of jobs may have lost one lease and still hold the others). A renewal that
    raises (a busy or briefly unreachable database) is logged and tried again at the next
    beat, never raised into the body's caller."""

    async def beat() -> None:
        told = False
        while True:
            await asyncio.sleep(every)
            try:
                kept = await asyncio.to_thread(renew)
            except Exception:
                log.warning("%s: could not renew the lease; trying again", what, exc_info=True)
                continue
            if not kept and not told:
                log.warning("%s: lease lost to another process while still working", what)
                told = True

    task = asyncio.get_running_loop().create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
