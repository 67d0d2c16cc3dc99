"""`briefbot subscribe / unsubscribe / subscriptions`: digests set up from a shell.

Registered by bot.cli (`register(sub)`); a running `briefbot serve` picks the
change up within a few minutes (its scheduler re-reads the subscriptions table).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from bot.digests.manage import describe, status_line, subscribe_spec, unsubscribe
from bot.digests.spec import EXAMPLE, parse_subscribe
from bot.digests.store import DigestStore

PLATFORMS = ("discord", "slack")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("subscribe", help="give a channel a daily digest at a local time",
                       description="Set a channel's daily digest: [HH:MM] [Area/City] [quiet] "
                                   "[topics: A, B]. Unspecified parts keep their current value "
                                   "(or the BRIEFBOT_DIGEST_DEFAULT_* settings).",
                       epilog=f"example: briefbot subscribe slack C0123ABCD {EXAMPLE}")
    s.add_argument("platform", choices=PLATFORMS)
    s.add_argument("channel", help="the channel's id (Discord channel id, Slack C...)")
    s.add_argument("schedule", nargs="*", help=f"e.g. {EXAMPLE}")
    s.set_defaults(handler=cmd_subscribe)

    u = sub.add_parser("unsubscribe", help="stop a channel's daily digest")
    u.add_argument("platform", choices=PLATFORMS)
    u.add_argument("channel")
    u.set_defaults(handler=cmd_unsubscribe)

    ls = sub.add_parser("subscriptions", help="list daily digests and how the last one went")
    ls.add_argument("--json", action="store_true", help="print a JSON list")
    ls.set_defaults(handler=cmd_subscriptions)


def cmd_subscribe(args: argparse.Namespace, settings) -> int:
    spec = parse_subscribe(" ".join(args.schedule))
    now = datetime.now(UTC)
    store = DigestStore(settings.database)
    try:
        sub = subscribe_spec(store, args.platform, args.channel, spec, settings=settings,
                             now=now, created_by="cli")
    finally:
        store.close()
    print(f"Subscribed {args.platform} channel {args.channel}: {describe(sub, now)}.")
    return 0


def cmd_unsubscribe(args: argparse.Namespace, settings) -> int:
    store = DigestStore(settings.database)
    try:
        removed = unsubscribe(store, args.platform, args.channel)
    finally:
        store.close()
    if not removed:
        print(f"{args.platform} channel {args.channel} has no daily digest.")
        return 1
    print(f"Unsubscribed {args.platform} channel {args.channel}.")
    return 0


def cmd_subscriptions(args: argparse.Namespace, settings) -> int:
    now = datetime.now(UTC)
    store = DigestStore(settings.database)
    try:
        subs = store.subscriptions()
        rows = [{"platform": s.platform, "channel_id": s.channel_id, "time": s.time, "tz": s.tz,
                 "topics": list(s.topics), "quiet_empty": s.quiet_empty,
                 "schedule": describe(s, now), "last": status_line(store, s),
                 "last_status": _last_status(store, s)} for s in subs]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print(f"No daily digests. Add one: briefbot subscribe slack C0123ABCD {EXAMPLE}")
    for r in [] if args.json else rows:
        print(f"{r['platform']}:{r['channel_id']} — {r['schedule']}; {r['last']}")
    return 0


def _last_status(store: DigestStore, sub) -> str | None:
    """The newest digest's DigestStatus (sent, uncertain, failed...), for scripts."""
    history = store.history(sub.platform, sub.channel_id, limit=1)
    return str(history[0].status) if history else None
