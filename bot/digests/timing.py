"""When a subscription's digests fall due, in its own time zone, DST included.

APScheduler 3.11's CronTrigger skips a whole day after a spring-forward change
for times before the change hour (00:15 Australia/Sydney fires on 4 Oct 2026,
then 6 Oct; upstream issues #529, #606), and fires twice in a repeated hour.
`DailyTrigger` is an APScheduler trigger computed with plain zoneinfo instead:
one firing per local date, a skipped local time running an hour late, a
repeated one running at its first occurrence. Catch-up and retries use the same
rule (`last_occurrence`), so the scheduler and the digest log always agree on
which local date a firing belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger


def zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def clock_time(hhmm: str) -> time:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return time(hour, minute)


class DailyTrigger(BaseTrigger):
    """Fires once per local date at HH:MM in an IANA zone."""

    __slots__ = ("hhmm", "tz")

    def __init__(self, hhmm: str, tz: str) -> None:
        clock_time(hhmm)
        zone(tz)
        self.hhmm, self.tz = hhmm, tz

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime
                           ) -> datetime | None:
        """The first scheduled instant at or after `now` and after the previous firing."""
        start = now.astimezone(zone(self.tz)).date() - timedelta(days=1)
        for offset in range(4):
            at = scheduled_at(start + timedelta(days=offset), self.hhmm, self.tz)
            if at >= now and (previous_fire_time is None or at > previous_fire_time):
                return at.astimezone(zone(self.tz))
        return None  # pragma: no cover - a daily time always occurs within three days

    def __str__(self) -> str:
        return f"daily at {self.hhmm} {self.tz}"

    def __repr__(self) -> str:
        return f"<DailyTrigger {self.hhmm} {self.tz}>"


def build_trigger(hhmm: str, tz: str) -> DailyTrigger:
    """Every day at `hhmm` local time in `tz`."""
    return DailyTrigger(hhmm, tz)


def scheduled_at(day: date, hhmm: str, tz: str) -> datetime:
    """The UTC instant of the digest of local date `day` (fold=0 for repeated hours)."""
    local = datetime.combine(day, clock_time(hhmm), tzinfo=zone(tz))
    return local.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One scheduled digest: when it was due (UTC) and the local date that names it."""

    at: datetime
    local_date: str


def last_occurrence(hhmm: str, tz: str, now: datetime) -> Occurrence:
    """The latest scheduled digest at or before `now`."""
    today = now.astimezone(zone(tz)).date()
    for day in (today, today - timedelta(days=1), today - timedelta(days=2)):
        at = scheduled_at(day, hhmm, tz)
        if at <= now:
            return Occurrence(at, day.isoformat())
    raise AssertionError("unreachable: a daily time occurs within two days")  # pragma: no cover


def local_date(instant: datetime, tz: str) -> str:
    """ISO local date of an instant in `tz`: the key of one digest a day."""
    return instant.astimezone(zone(tz)).date().isoformat()
