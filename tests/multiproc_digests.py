"""Digests posted by several real `serve`-like processes on one database, against the fake
Slack peer, with processes killed by SIGKILL: the harness behind
tests/test_digest_processes.py and bench/digest_processes.py.

Each process is tests/multiproc_child.py `digests`: the real DigestScheduler and runner,
SlackPoster over slack_sdk, posting to SlackPeer on 127.0.0.1. The clock is the real one
(processes cannot share a manual clock), so the news is dated just before now and the
stale-claim window is a few seconds. The first post in the `victim` channel hangs after
Slack accepted it; the process holding that channel's claim is killed there, so a takeover
must find the message in history instead of posting it again. More kills (`kills` > 1)
hit other processes at random moments; one process always survives.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.index.backend import DatabaseUrl

HERE = Path(__file__).resolve().parent
CHILD = HERE / "multiproc_child.py"


@dataclass
class Run:
    processes: int
    channels: int
    kills: int = 0
    #: per (channel, part): how many copies the channel shows
    copies: dict[tuple[str, int], int] = field(default_factory=dict)
    unsent: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The digest log's row for the victim channel at the end, and who was killed holding it.
    victim_row: Any = None
    victim_killed_owner: str | None = None

    @property
    def histogram(self) -> dict[int, int]:
        return dict(sorted(Counter(self.copies.values()).items()))

    @property
    def doubled(self) -> int:
        return len({c for (c, _), n in self.copies.items() if n > 1})

    @property
    def missed(self) -> int:
        return len({c for (c, _), n in self.copies.items() if n == 0} | set(self.unsent))


def channel_names(channels: int) -> list[str]:
    return [f"C{i:03d}" for i in range(channels)]


def prepare(db: Path | DatabaseUrl, channels: int, encoder, nlp, now: datetime) -> datetime:
    """DAY1's news, dated the last few hours, and `channels` Slack channels whose digest fell
    due a minute ago, in `db` (a SQLite path or a PostgreSQL `DatabaseUrl`); returns that
    due time."""
    from bot.digests.manage import subscribe
    from bot.digests.store import DigestStore
    from digest_fakes import DAY1, make_services

    services = make_services(db, encoder, lambda: now, nlp)
    for i, a in enumerate(DAY1):
        services.index.add(replace(a, published=now - timedelta(hours=1 + i)))
    services.index.close()
    due = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    store = DigestStore(db)
    try:
        for channel in channel_names(channels):
            subscribe(store, "slack", channel, f"{due:%H:%M}", "UTC", None, False,
                      settings=services.settings, now=due - timedelta(days=1))
    finally:
        store.close()
    return due


async def run(db: Path | DatabaseUrl, *, processes: int, channels: int, kills: int, env: dict[str, str],
              stale_seconds: float = 3.0, victim: str | None = None, chooser=None,
              seed: int = 0, timeout: float = 180.0, blind: bool = False) -> Run:
    """Start the processes, kill as asked, wait until every channel's digest is sent (or
    `timeout`), and count what each channel shows. `env` must name `db` to the children
    (multiproc_child.child_env). `blind` runs the baseline poster that
    re-posts a part of unknown outcome without looking in history."""
    from bot.digests.store import DigestStore
    from digest_fakes import SlackPeer

    rng = random.Random(seed)
    names = channel_names(channels)
    victim = victim or names[len(names) // 2]
    hung = {"done": False}

    def choose(payload: dict) -> str:
        if payload.get("channel") == victim and not hung["done"]:
            hung["done"] = True
            return "hang"
        return chooser(payload) if chooser else "ok"

    peer = await SlackPeer().start()
    peer.chooser = choose
    result = Run(processes, channels)
    children: list[subprocess.Popen] = []
    owners: dict[str, subprocess.Popen] = {}
    started = time.monotonic()
    store = DigestStore(db)
    try:
        for _ in range(processes):
            children.append(subprocess.Popen(
                [sys.executable, str(CHILD), "digests", peer.url, str(stale_seconds),
                 "blind" if blind else "history"],
                env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True))
        for child in children:
            line = await asyncio.to_thread(child.stdout.readline)
            owners[line.split()[-1]] = child
        day = (datetime.now(UTC) - timedelta(minutes=1)).date().isoformat()

        def alive() -> list[subprocess.Popen]:
            return [c for c in children if c.poll() is None]

        async def kill(child: subprocess.Popen) -> None:
            child.send_signal(signal.SIGKILL)
            await asyncio.to_thread(child.wait)
            result.kills += 1

        # Kill 1: the process whose post to the victim channel Slack accepted, never answered.
        if kills:
            while not peer.history.get(victim) and time.monotonic() - started < timeout:
                await asyncio.sleep(0.05)
            row = await asyncio.to_thread(store.digest, "slack", victim, day)
            if row is not None and row.owner in owners:
                result.victim_killed_owner = row.owner
                await kill(owners[row.owner])
        # Further kills: other processes, at random moments while digests are still going out.
        for _ in range(kills - 1):
            if len(alive()) < 2:
                break
            await asyncio.sleep(rng.uniform(0.0, 1.5))
            await kill(rng.choice(alive()))
        while time.monotonic() - started < timeout:
            rows = await asyncio.to_thread(lambda: [store.digest("slack", c, day) for c in names])
            if all(r is not None and r.sent_at is not None for r in rows):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(stale_seconds)  # anything still in flight lands now, to be counted
        result.seconds = time.monotonic() - started
        result.victim_row = store.digest("slack", victim, day)
        for channel in names:
            row = store.digest("slack", channel, day)
            if row is None or row.sent_at is None:
                result.unsent.append(channel)
            shown = peer.copies(channel)
            parts = sorted(store.parts(row.id)) if row else [1]
            for part in parts:
                result.copies[(channel, part)] = shown.get((row.id if row else 0, part), 0)
            for (claim, part), n in shown.items():  # a message of no recorded part is a copy too
                if row is None or claim != row.id or part not in parts:
                    result.copies[(channel, part)] = result.copies.get((channel, part), 0) + n
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                await asyncio.to_thread(child.wait, 10)
            except subprocess.TimeoutExpired:
                child.kill()
        store.close()
        await peer.close()
    return result
