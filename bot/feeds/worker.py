"""Feed parsing and item cleaning in a child process, each job with a time limit.

The feed poller shares its event loop with the Discord and Slack handlers. A worker
thread is not enough to keep that loop free: a regular expression or an XML parser
holds the GIL for as long as one call takes, so one pathological item (a line of
"(" and 800 "/") froze chat handling for seconds. In a child process it costs the
loop nothing, and a job that runs past its limit is ended by ending the process: a
document becomes a feed failure, an item a rejection, and the next job gets a fresh
child. Indexing stays in this process (in a thread), where the models are.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Seconds one document may take to parse, and one item to clean (its page extracted too).
PARSE_SECONDS = 60.0
ITEM_SECONDS = 30.0
#: Seconds a new child may take to start and import the parsers (slow on a loaded machine).
START_SECONDS = 120.0


class JobTimeout(Exception):
    """A job ran past its limit; the child that ran it was ended."""


class WorkerCrashed(Exception):
    """The child died while running the job; the job did not finish."""


class WorkerUnavailable(WorkerCrashed):
    """No child could be started (the environment, not the job)."""


@dataclass(frozen=True)
class _Failed:
    """An exception raised in the child, carried back by name and message."""

    kind: str
    message: str


class FeedWorker:
    """One child process, started on first use, running one job at a time.

    Blocking; call `run` from a worker thread (`asyncio.to_thread`). Safe to share
    between threads: jobs queue on a lock, and a job's limit starts when it is sent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None

    async def call(self, func: Callable[..., Any], *args: Any, limit: float) -> Any:
        """`run` from the event loop, in a thread that waits on the child.

        If no child can be started at all, the job runs in the thread instead (logged): the
        bot keeps reading feeds, without the time limit, rather than failing every one."""
        try:
            return await asyncio.to_thread(self.run, func, *args, limit=limit)
        except WorkerUnavailable as exc:
            log.warning("%s; running %s in a thread instead", exc, func.__name__)
            return await asyncio.to_thread(func, *args)

    def run(self, func: Callable[..., Any], *args: Any, limit: float) -> Any:
        """`func(*args)` in the child; its result, or its exception raised again here.

        `func` must be a module-level function (it is pickled by name). An exception
        that cannot be re-created here becomes a RuntimeError with its name and message.
        """
        with self._lock:
            conn = self._ensure_started()
            try:
                conn.send((func, args))
                ready = conn.poll(limit)
            except (OSError, EOFError, ValueError) as exc:
                self._stop(kill=True)
                raise WorkerCrashed(f"the feed worker process failed ({exc})") from None
            if not ready:
                self._stop(kill=True)
                raise JobTimeout(f"took longer than {limit:g} s")
            try:
                result = conn.recv()
            except (OSError, EOFError):
                code = self._exitcode()
                self._stop(kill=True)
                raise WorkerCrashed(f"the feed worker process died (exit code {code})") from None
        if isinstance(result, BaseException):
            raise result
        if isinstance(result, _Failed):
            raise RuntimeError(f"{result.kind}: {result.message}")
        return result

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> FeedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_started(self) -> Connection:
        if self._proc is not None and self._proc.poll() is None and self._conn is not None:
            return self._conn
        self._stop()
        # A plain `python -m bot.feeds.worker FD`, not multiprocessing: its "spawn" re-runs
        # the parent's main script (which breaks scripts without a __main__ guard), and
        # "fork" would copy the locks of the bot's threads (torch, the event loop).
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
        try:
            proc = subprocess.Popen([sys.executable, "-m", "bot.feeds.worker",
                                     str(theirs.fileno())], pass_fds=[theirs.fileno()],
                                    stdin=subprocess.DEVNULL, env=env, cwd=root)
        except OSError as exc:
            ours.close()
            raise WorkerUnavailable(f"the feed worker process could not start ({exc})") from None
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        try:
            ready = conn.poll(START_SECONDS) and conn.recv() == "ready"
        except (OSError, EOFError):
            ready = False
        if not ready:
            conn.close()
            proc.kill()
            proc.wait(timeout=5)
            raise WorkerUnavailable("the feed worker process did not start "
                                    f"(exit code {proc.returncode})")
        self._proc, self._conn = proc, conn
        log.debug("feed worker process %s started", proc.pid)
        return conn

    def _stop(self, *, kill: bool = False) -> None:
        """End the child: an idle one reads end-of-file and exits; `kill` for a busy one."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is None:
            return
        if not kill:
            try:
                proc.wait(timeout=5)
                return
            except subprocess.TimeoutExpired:
                pass
        proc.kill()
        proc.wait(timeout=5)

    def _exitcode(self) -> int | None:
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None


def _serve(conn: Connection) -> None:
    """The child's loop: import the parsers once, then run jobs until the pipe closes."""
    import bot.feeds.parse  # noqa: F401 - the heavy imports, before saying "ready"
    import bot.ingest.pipeline  # noqa: F401

    conn.send("ready")
    while True:
        try:
            func, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: Any = func(*args)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            result = exc if _picklable(exc) else _Failed(type(exc).__name__, str(exc)[:300])
        try:
            conn.send(result)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled
            conn.send(_Failed(type(exc).__name__, str(exc)[:300]))


def _picklable(exc: BaseException) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001
        return False
    return True


if __name__ == "__main__":  # the child: `python -m bot.feeds.worker FD`
    # Through the module's real name, so what the child pickles (_Failed) unpickles here.
    from bot.feeds.worker import _serve as serve

    serve(Connection(int(sys.argv[1])))
