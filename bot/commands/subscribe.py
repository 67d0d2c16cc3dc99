"""`subscribe`, `unsubscribe`, `subscriptions`: a channel's daily digest.

    subscribe 08:00 Europe/Kyiv topics: Budapest summit, Zelensky
    subscribe 07:30 quiet          (change the time; stay silent on days with no news)
    subscribe topics: none         (stop following topics)
"""

from __future__ import annotations

import asyncio

from bot.core import Reply, ReplyKind, Request, UserError
from bot.digests.manage import listing, open_store, subscribe_spec, unsubscribe
from bot.digests.spec import EXAMPLE, SYNTAX, parse_subscribe
from bot.registry import registry
from bot.scopes import workspace_of
from bot.services import Services


def _sync(services: Services, req: Request) -> None:
    from bot.scheduler import active_scheduler

    scheduler = active_scheduler(services)
    if scheduler is not None:
        scheduler.sync_channel(req.platform, req.channel_id)


def _where(req: Request) -> str:
    if not req.channel_id:
        raise UserError("Use this in the channel that should get the digest.")
    return "this conversation" if req.is_direct else "this channel"


@registry.command("subscribe", "Get a daily digest in this channel at a local time",
                  arg="schedule",
                  arg_description="HH:MM Area/City [quiet] [topics: A, B], e.g. 08:00 Europe/Kyiv "
                                  "topics: Zelensky",
                  requires_manage=True, usage=f"subscribe {EXAMPLE}")
async def subscribe_command(req: Request, services: Services) -> Reply:
    where = _where(req)
    spec = parse_subscribe(req.text)

    def save():
        from bot.digests.manage import describe

        with open_store(services) as store:
            sub = subscribe_spec(store, req.platform, req.channel_id, spec,
                                 settings=services.settings, now=services.clock(),
                                 workspace=workspace_of(req), created_by=req.user_id)
            _sync(services, req)
            return describe(sub, services.clock())

    described = await asyncio.to_thread(save)
    return Reply.plain(f"Subscribed {where}: {described}. Change it with `{SYNTAX}`; "
                       "stop with `unsubscribe`.", title="Daily digest")


@registry.command("unsubscribe", "Stop this channel's daily digest", requires_manage=True,
                  usage="unsubscribe")
async def unsubscribe_command(req: Request, services: Services) -> Reply:
    where = _where(req)

    def remove() -> bool:
        with open_store(services) as store:
            removed = unsubscribe(store, req.platform, req.channel_id)
            _sync(services, req)
            return removed

    if await asyncio.to_thread(remove):
        return Reply.plain(f"Unsubscribed {where}: no more daily digests.", title="Daily digest")
    return Reply.plain(f"{where.capitalize()} has no daily digest to stop.", kind=ReplyKind.ERROR,
                       ephemeral=True)


@registry.command("subscriptions", "List the daily digests set up here, with their last result",
                  usage="subscriptions")
async def subscriptions_command(req: Request, services: Services) -> Reply:
    def lines() -> list[str]:
        with open_store(services) as store:
            if req.platform in {"console", "test"} and not workspace_of(req):
                subs = store.subscriptions()
            elif workspace_of(req):
                subs = store.subscriptions(req.platform, workspace_of(req))
            else:
                subs = [s for s in [store.subscription(req.platform, req.channel_id)] if s]
            return listing(store, subs, services.clock())

    found = await asyncio.to_thread(lines)
    if not found:
        return Reply.plain(f"No daily digests yet. Set one with `subscribe {EXAMPLE}`.",
                           title="Daily digests", kind=ReplyKind.EMPTY, ephemeral=True)
    return Reply.plain("\n".join(found), title=f"Daily digests ({len(found)})", ephemeral=True)
