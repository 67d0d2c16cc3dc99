"""`briefbot serve`: the chat bots, the digest scheduler and the feed poller in one process.

Discord and Slack share one command thread, so SQLite keeps a single writer and
a slow command on one platform never blocks the other's event handling. The
scheduler posts through whichever platforms are connected; Discord's poster
exists only after login, so it joins the scheduler then. The same posters tell a
channel when a feed it added is paused after repeated failures.

`--role` splits the process in two (docs/deploy.md): `answer` answers chat (and
serves the web pages) but polls no feeds, runs no scheduler and takes no ingest jobs
beyond its own chat /ingest; `ingest` polls feeds, takes ingest jobs (bot.jobs) and
posts digests and notices through the platforms' Web APIs, without
listening for chat (no Socket Mode, no HTTP endpoint, no Discord gateway), so
it never answers a message a second time; `all`, the default, is both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from adapters.slack.worker import CommandWorker
from bot.core import Reply, Request
from bot.services import Services

log = logging.getLogger(__name__)


class Role(StrEnum):
    """What one `briefbot serve` process does."""

    ALL = "all"
    ANSWER = "answer"
    INGEST = "ingest"

    @property
    def answers(self) -> bool:
        """Listens for chat (and serves the web pages)."""
        return self is not Role.INGEST

    @property
    def background(self) -> bool:
        """Polls feeds, runs the digest scheduler and tells channels about paused feeds."""
        return self is not Role.ANSWER


@dataclass(frozen=True)
class Serving:
    """What a process was started with, for the start-up log line and tests."""

    role: Role
    platforms: tuple[str, ...]


class _SharedDispatch:
    """Discord's worker interface over the shared command thread."""

    def __init__(self, worker: CommandWorker, services: Services) -> None:
        self._worker = worker
        self._services = services

    async def dispatch(self, request: Request) -> Reply:
        return await self._worker.dispatch(self._services.registry, request, self._services)

    def close(self) -> None:  # the shared worker is closed by serve()
        return None


def resolve_sync(sync: str, services: Services) -> str:
    """"auto" syncs to the configured guilds (instant) when there are any, else globally."""
    if sync != "auto":
        return sync
    return "guild" if services.settings.discord_guild_ids else "global"


async def serve(services: Services, platforms: Sequence[str], *, http: bool = False,
                host: str = "0.0.0.0", port: int = 3000, sync: str = "auto",
                web: tuple[str, int] | None = None, role: Role = Role.ALL) -> None:
    """Run until cancelled (Ctrl-C) or until a platform stops with an error."""
    from bot.feeds.notice import channel_notifier
    from bot.feeds.poll import register_feed_jobs
    from bot.scheduler import DigestScheduler

    worker = CommandWorker()
    scheduler = DigestScheduler(services, {}) if role.background else None
    runs: list[Awaitable[None]] = []
    if "slack" in platforms:
        from adapters.slack import run as slack

        bot = slack.make_bot(services, http=http, worker=worker)
        if scheduler is not None:
            scheduler.runner.posters["slack"] = slack.make_poster(bot)
        runs.append(slack.serve(bot, http=http, port=port, host=host) if role.answers
                    else _post_only_slack(bot))
    if "discord" in platforms:
        from adapters.discord.run import post_only_discord, run_discord

        async def on_start(poster) -> None:
            if scheduler is not None:
                scheduler.add_poster(poster)

        runs.append(run_discord(services, sync=resolve_sync(sync, services), on_start=on_start,
                                worker=_SharedDispatch(worker, services)) if role.answers
                    else post_only_discord(services, on_start=on_start))
    jobs: asyncio.Task | None = None
    if scheduler is not None:
        scheduler.start()
        # The live posters dict: Discord's poster joins it after login, and is used from then on.
        register_feed_jobs(scheduler.aps, services,
                           notify=channel_notifier(scheduler.runner.posters))
        # Ingest jobs queued by any process (feed items, chat /ingest): taken here too.
        jobs = asyncio.get_running_loop().create_task(services.jobs.run_forever())
    site = None
    if web is not None and role.answers:
        from bot.web.app import start_web

        site = await start_web(services, *web)
    log.info("serving %s as role %s: %s", ", ".join(platforms), role.value,
             {Role.ALL: "answering chat; digests and feed polling scheduled",
              Role.ANSWER: "answering chat; no feed polling or digests here",
              Role.INGEST: "feed polling and digests; not answering chat"}[role])
    try:
        await asyncio.gather(*runs)
    finally:
        if jobs is not None:
            jobs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await jobs
        if site is not None:
            await site.cleanup()
        if scheduler is not None:
            scheduler.shutdown()
        worker.close()


async def _post_only_slack(bot) -> None:
    """The ingest role's Slack: its Web API client posts; nothing listens for events."""
    try:
        await bot.check_token()
        await asyncio.Event().wait()
    finally:
        bot.close()
