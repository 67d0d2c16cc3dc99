"""`briefbot serve`: the chat bots, the digest scheduler and the feed poller in one process.

Discord and Slack share one command thread, so SQLite keeps a single writer and
a slow command on one platform never blocks the other's event handling. The
scheduler posts through whichever platforms are connected; Discord's poster
exists only after login, so it joins the scheduler then. The same posters tell a
channel when a feed it added is paused after repeated failures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from adapters.slack.worker import CommandWorker
from bot.core import Reply, Request
from bot.services import Services

log = logging.getLogger(__name__)


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
                web: tuple[str, int] | None = None) -> None:
    """Run until cancelled (Ctrl-C) or until a platform stops with an error."""
    from bot.feeds.notice import channel_notifier
    from bot.feeds.poll import register_feed_jobs
    from bot.scheduler import DigestScheduler

    worker = CommandWorker()
    scheduler = DigestScheduler(services, {})
    runs = []
    if "slack" in platforms:
        from adapters.slack import run as slack

        bot = slack.make_bot(services, http=http, worker=worker)
        scheduler.runner.posters["slack"] = slack.make_poster(bot)
        runs.append(slack.serve(bot, http=http, port=port, host=host))
    if "discord" in platforms:
        from adapters.discord.run import run_discord

        async def on_start(poster) -> None:
            scheduler.add_poster(poster)

        runs.append(run_discord(services, sync=resolve_sync(sync, services), on_start=on_start,
                                worker=_SharedDispatch(worker, services)))
    scheduler.start()
    # The live posters dict: Discord's poster joins it after login, and is used from then on.
    register_feed_jobs(scheduler.aps, services,
                       notify=channel_notifier(scheduler.runner.posters))
    site = None
    if web is not None:
        from bot.web.app import start_web

        site = await start_web(services, *web)
    log.info("serving %s; digests and feed polling scheduled", ", ".join(platforms))
    try:
        await asyncio.gather(*runs)
    finally:
        if site is not None:
            await site.cleanup()
        scheduler.shutdown()
        worker.close()
