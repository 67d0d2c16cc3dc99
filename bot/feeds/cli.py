"""`briefbot feeds add URL | list [--json] | remove URL_OR_ID | resume URL_OR_ID | poll`.

Registered by bot/cli.py through `register(subparsers)`. `list`, `remove` and
`resume` touch only the feeds tables, so they answer without loading models.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feeds", help="follow RSS/Atom feeds: add, list, remove, resume, poll",
                       description="Feeds are polled by `briefbot serve` (each on its own "
                                   "interval) or by `briefbot feeds poll` from cron.")
    actions = p.add_subparsers(dest="feeds_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="follow a feed; ingests only its last few days")
    add.add_argument("url", metavar="URL")
    add.add_argument("--every", type=int, metavar="MINUTES",
                     help="poll this feed every MINUTES (default: BRIEFBOT_FEED_POLL_MINUTES)")
    add.add_argument("--json", action="store_true", help="print the new feed as JSON")
    ls = actions.add_parser("list", help="each feed with its status, last success and last error")
    ls.add_argument("--json", action="store_true",
                    help='print [{"id", "url", "title", "status", "items", "stored", '
                         '"last_success", "last_error", "last_poll_rejected", '
                         '"last_item_error", ...}]')
    rm = actions.add_parser("remove", help="stop following a feed (its stories stay)")
    rm.add_argument("feed", metavar="URL_OR_ID")
    rs = actions.add_parser("resume", help="resume a feed paused after repeated failures")
    rs.add_argument("feed", metavar="URL_OR_ID")
    poll = actions.add_parser("poll", help="poll the feeds that are due now")
    poll.add_argument("--json", action="store_true", help="print one object per polled feed")
    p.set_defaults(handler=cmd_feeds)


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.feeds import service  # imported here: aiohttp costs every cold `ask` ~0.2 s
    from bot.feeds.fetch import check_url

    action = args.feeds_action
    if action == "list":
        feeds = asyncio.run(service.list_feeds(settings))
        if args.json:
            print(json.dumps([service.feed_json(f) for f in feeds], ensure_ascii=False))
        else:
            print(service.list_text(feeds, settings.feed_poll_minutes))
        return 0
    if action == "remove":
        feed = asyncio.run(service.remove_feed(settings, args.feed))
        print(service.removed_text(feed))
        return 0
    if action == "resume":
        feed = asyncio.run(service.resume_feed(settings, args.feed))
        print(service.resumed_text(feed))
        return 0
    if action == "add":
        check_url(service.unwrap_url(args.url))  # refuse bad schemes before loading models
    services = _services(settings)
    try:
        if action == "add":
            added = asyncio.run(service.add_feed(services, args.url, added_by="cli",
                                                     poll_minutes=args.every))
            print(json.dumps(added.as_json(), ensure_ascii=False) if args.json else added.text())
            return 0
        outcomes = asyncio.run(service.poll_now(services))
        if args.json:
            print(json.dumps([service.outcome_json(o) for o in outcomes], ensure_ascii=False))
        else:
            print(service.poll_text(outcomes))
        failed = (service.PollStatus.FAILED, service.PollStatus.PAUSED)
        return 1 if any(o.status in failed for o in outcomes) else 0
    finally:
        services.close()


def _services(settings: Settings):
    from bot.services import build_services

    return build_services(settings)
