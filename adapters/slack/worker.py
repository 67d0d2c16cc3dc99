"""One worker thread, with its own event loop, runs every command.

Commands are async but call blocking code (SQLite, the models). Running them on
the chat event loop would freeze heartbeats and acks; one dedicated thread keeps
the loop free and SQLite single-writer, and commands still see a running loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from bot.core import Registry, Reply, ReplyKind, Request
from bot.services import Services

log = logging.getLogger(__name__)
T = TypeVar("T")

APOLOGY = "Sorry, something went wrong while answering that. The error was logged."


class CommandWorker:
    """Runs coroutines and blocking calls on one background thread, in order."""

    def __init__(self, name: str = "briefbot-commands") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    async def dispatch(self, registry: Registry, request: Request, services: Services) -> Reply:
        """The command's reply; a crash anywhere becomes a short apology, never an exception."""
        try:
            future = asyncio.run_coroutine_threadsafe(registry.dispatch(request, services),
                                                      self._loop)
            return await asyncio.wrap_future(future)
        except Exception:
            log.exception("dispatch of %s failed (platform=%s)", request.command, request.platform)
            return Reply.plain(APOLOGY, kind=ReplyKind.ERROR, ephemeral=True)

    async def call(self, func: Callable[[], T]) -> T:
        """Run a blocking function on the worker thread (same single writer as commands)."""

        async def run() -> T:
            return func()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self._loop))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()
