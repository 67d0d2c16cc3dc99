"""Run commands off the event loop, one at a time, in one dedicated thread.

Commands touch SQLite and run models: blocking work that would freeze the Discord
gateway (missed heartbeats, a dropped connection) if it ran on the event loop. One
worker thread also means SQLite sees a single writer. The loop only awaits.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from bot.core import Reply, ReplyKind, Request
from bot.services import Services

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """What the Discord client needs to answer: its own worker, or serve's shared one."""

    async def dispatch(self, request: Request) -> Reply: ...

    def close(self) -> None: ...


class DispatchWorker:
    """`await worker.dispatch(request)` runs `registry.dispatch` in the worker thread."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefbot-commands")

    def _run(self, request: Request) -> Reply:
        return asyncio.run(self.services.registry.dispatch(request, self.services))

    async def dispatch(self, request: Request) -> Reply:
        """Dispatch and never raise: even a failure outside the handler becomes an apology."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, self._run, request)
        except Exception:
            log.exception("dispatch of %s failed outside the command (platform=%s)",
                          request.command, request.platform)
            return Reply.plain(
                "Sorry, something went wrong while answering that. The error was logged.",
                kind=ReplyKind.ERROR, ephemeral=True)

    def close(self) -> None:
        """Stop taking work; a command already running finishes in its thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)
