"""Subscribing, unsubscribing and listing: shared by the chat commands and the CLI.

    subscribe(store, "slack", "C0123", "08:00", "Europe/Kyiv", ["Budapest summit"], False,
              settings=settings, now=now)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from bot.digests.delivery import DigestStatus
from bot.digests.runner import HISTORY_UNREADABLE
from bot.digests.spec import SubscribeSpec, parse_time, parse_topics, parse_zone
from bot.digests.store import DigestStore, Subscription
from bot.digests.timing import build_trigger, zone


def subscribe(store: DigestStore, platform: str, channel_id: str, time: str | None = None,
              tz: str | None = None, topics: Sequence[str] | None = None,
              quiet_empty: bool | None = None, *, settings, now: datetime,
              workspace: str = "", created_by: str = "") -> Subscription:
    """Create or change a channel's subscription; None keeps the current value (or the default).

    Raises SpecError (a UserError) naming a bad time, zone or topic.
    """
    old = store.subscription(platform, channel_id)
    time = parse_time(time) if time else (old.time if old else
                                          parse_time(settings.digest_default_time))
    tz = parse_zone(tz) if tz else (old.tz if old else parse_zone(settings.digest_default_tz))
    if topics is None:
        topics = old.topics if old else ()
    else:
        topics = parse_topics(", ".join(topics))
    if quiet_empty is None:
        quiet_empty = old.quiet_empty if old else False
    # Moving the time must not make the runner "catch up" a digest scheduled before the change.
    since = old.active_since if old and (old.time, old.tz) == (time, tz) else now
    sub = Subscription(platform=platform, channel_id=channel_id, time=time, tz=tz,
                       topics=tuple(topics), quiet_empty=bool(quiet_empty),
                       workspace=workspace or (old.workspace if old else ""),
                       created_by=created_by or (old.created_by if old else ""),
                       active_since=since)
    store.save_subscription(sub, now)
    return sub


def subscribe_spec(store: DigestStore, platform: str, channel_id: str, spec: SubscribeSpec, *,
                   settings, now: datetime, workspace: str = "", created_by: str = ""
                   ) -> Subscription:
    return subscribe(store, platform, channel_id, spec.time, spec.tz, spec.topics,
                     spec.quiet_empty, settings=settings, now=now, workspace=workspace,
                     created_by=created_by)


def unsubscribe(store: DigestStore, platform: str, channel_id: str) -> bool:
    """True if there was a subscription to remove."""
    return store.delete_subscription(platform, channel_id)


def next_digest(sub: Subscription, now: datetime) -> datetime:
    """When the next digest is due (aware, in the subscription's zone)."""
    nxt = build_trigger(sub.time, sub.tz).get_next_fire_time(None, now)
    assert nxt is not None  # a daily cron trigger always fires again
    return nxt.astimezone(zone(sub.tz))


def describe(sub: Subscription, now: datetime) -> str:
    """One line: time, zone, next run (with UTC), topics, what an empty day does."""
    nxt = next_digest(sub, now)
    line = (f"daily at {sub.time} {sub.tz} (next {nxt:%a %d %b %H:%M}, "
            f"{nxt.astimezone(UTC):%H:%M} UTC)")
    if sub.topics:
        line += "; following " + ", ".join(sub.topics)
    line += "; silent on empty days" if sub.quiet_empty else "; empty days get a short note"
    return line


def status_line(store: DigestStore, sub: Subscription) -> str:
    """The newest digest's fate, so a failed or doubtful send is visible where subscriptions
    are listed."""
    history = store.history(sub.platform, sub.channel_id, limit=1)
    if not history:
        return "no digest yet"
    d = history[0]
    what = f"digest {d.local_date}" + (" (asked for with `digest now`)" if d.slot == "now" else "")
    if d.status is DigestStatus.SENT:
        return f"last {what}: sent"
    if d.status is DigestStatus.EMPTY:
        return f"last {what}: nothing new (kept silent)"
    if d.status.held:
        return f"{what}: being sent"
    if d.status is DigestStatus.UNCERTAIN:
        if (d.error or "").startswith(HISTORY_UNREADABLE):
            fix = _HISTORY_FIX.get(sub.platform, "let it read the channel")
            return (f"last digest of {d.local_date} may not have arrived: briefbot "
                    f"{HISTORY_UNREADABLE}, so it will not post it again ({fix})")
        tail = (f"; looking for it in the channel at {d.next_attempt_at:%H:%M} UTC"
                if d.next_attempt_at else "")
        return f"last digest of {d.local_date} may not have arrived ({d.error}){tail}"
    tail = (f", retrying at {d.next_attempt_at:%H:%M} UTC" if d.next_attempt_at
            else ", gave up")
    return f"{what}: FAILED after {d.attempts} attempt(s): {d.error}{tail}"


#: What lets briefbot read a channel's history, so it can check a doubtful delivery.
_HISTORY_FIX = {"slack": "add the channels:history and groups:history scopes and reinstall",
                "discord": "give it Read Message History in that channel"}


def listing(store: DigestStore, subs: Sequence[Subscription], now: datetime) -> list[str]:
    return [f"{s.platform}:{s.channel_id} — {describe(s, now)}; {status_line(store, s)}"
            for s in subs]


def with_defaults(store: DigestStore, platform: str, channel_id: str, settings) -> Subscription:
    """The channel's subscription, or an unsaved one with the default time and zone
    (what `/digest now` and `/digest preview` use in a channel nobody subscribed)."""
    sub = store.subscription(platform, channel_id)
    if sub is not None:
        return sub
    return Subscription(platform=platform, channel_id=channel_id,
                        time=parse_time(settings.digest_default_time),
                        tz=parse_zone(settings.digest_default_tz))


@contextmanager
def open_store(services) -> Iterator[DigestStore]:
    """The running scheduler's store if this process has one, else a short-lived connection."""
    from bot.scheduler import active_scheduler

    scheduler = active_scheduler(services)
    if scheduler is not None:
        yield scheduler.store
        return
    store = DigestStore(services.settings.database)
    try:
        yield store
    finally:
        store.close()
