"""Local times and daylight saving, on explicit dates, through the APScheduler trigger the scheduler uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from zoneinfo import ZoneInfo

from bot.digests.timing import build_trigger, last_occurrence


def next_fire(hhmm: str, tz: str, after: datetime) -> datetime:
    return build_trigger(hhmm, tz).get_next_fire_time(None, after).astimezone(UTC)


@pytest.mark.parametrize("after, expected", [
    (datetime(2026, 7, 14, 12, 0, tzinfo=UTC), datetime(2026, 7, 15, 5, 0, tzinfo=UTC)),    # EEST
    (datetime(2026, 1, 14, 12, 0, tzinfo=UTC), datetime(2026, 1, 15, 6, 0, tzinfo=UTC)),    # EET
    # The spring-forward day (29 Mar 2026, 03:00 -> 04:00) and the fall-back day (25 Oct 2026).
    (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),
    (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),
])
def test_eight_in_kyiv_is_five_utc_in_summer_and_six_in_winter(after, expected):
    assert next_fire("08:00", "Europe/Kyiv", after) == expected


def test_new_york_follows_its_own_rules_not_europes():
    # US DST starts 8 Mar 2026, Europe's on 29 Mar: in between NY is already on EDT.
    assert next_fire("08:00", "America/New_York", datetime(2026, 3, 10, tzinfo=UTC)) == \
        datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert next_fire("08:00", "America/New_York", datetime(2026, 3, 5, tzinfo=UTC)) == \
        datetime(2026, 3, 5, 13, 0, tzinfo=UTC)


def fires_in_2026(trigger, tz: str) -> list[datetime]:
    out = []
    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=ZoneInfo(tz)))
    while fire.year == 2026:
        out.append(fire.astimezone(UTC))
        # UTC arithmetic: local time + timedelta would lose the DST fold.
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return out


def test_matches_apschedulers_own_cron_trigger_where_that_one_is_right():
    ours = fires_in_2026(build_trigger("08:00", "Europe/Kyiv"), "Europe/Kyiv")
    cron = fires_in_2026(CronTrigger(hour=8, minute=0, timezone=ZoneInfo("Europe/Kyiv")),
                         "Europe/Kyiv")
    assert ours == cron and len(ours) == 365


@pytest.mark.parametrize("hhmm, tz", [("08:00", "Europe/Kyiv"), ("03:30", "Europe/Kyiv"),
                                      ("23:45", "America/Los_Angeles"),
                                      ("00:15", "Australia/Sydney"), ("02:30", "America/New_York")])
def test_one_firing_per_local_date_all_year_and_catch_up_agrees(hhmm, tz):
    fires = fires_in_2026(build_trigger(hhmm, tz), tz)
    dates = [f.astimezone(ZoneInfo(tz)).date() for f in fires]
    assert len(fires) == 365 and len(set(dates)) == 365
    for at in fires:  # catch-up and retries name the same instant and date as the firing
        occ = last_occurrence(hhmm, tz, at + timedelta(minutes=1))
        assert occ.at == at


def test_the_day_after_sydneys_spring_forward_is_not_skipped():
    # APScheduler 3.11's CronTrigger jumps from 4 Oct to 6 Oct here (upstream #529/#606).
    trigger = build_trigger("00:15", "Australia/Sydney")
    first = trigger.get_next_fire_time(None, datetime(2026, 10, 3, 12, tzinfo=UTC))
    second = trigger.get_next_fire_time(first, first.astimezone(UTC) + timedelta(seconds=1))
    assert [str(first), str(second)] == ["2026-10-04 00:15:00+10:00", "2026-10-05 00:15:00+11:00"]


def test_a_time_repeated_by_the_fall_back_change_fires_once_at_its_first_occurrence():
    trigger = build_trigger("03:30", "Europe/Kyiv")
    first = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, tzinfo=UTC))
    second = trigger.get_next_fire_time(first, first.astimezone(UTC) + timedelta(seconds=1))
    assert first.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 03:30 EEST
    assert second.astimezone(UTC) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # next day, EET


def test_a_time_skipped_by_the_spring_forward_change_still_runs_that_day():
    fire = next_fire("03:30", "Europe/Kyiv", datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert fire == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 04:30 EEST, an hour late
    assert last_occurrence("03:30", "Europe/Kyiv", fire).local_date == "2026-03-29"
