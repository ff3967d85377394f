"""Business-calendar arithmetic: properties over random instants, and fixed DST cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil import tz
from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.domain import BadInput
from deskterm.services.automation.business_time import (
    add_business,
    add_business_minutes,
    always_open,
    business_between,
    business_minutes_between,
    day_intervals,
    is_holiday,
    is_open,
    make_calendar,
    next_open,
)

WORKDAYS = {d: [["08:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
SARAJEVO = make_calendar(
    "sarajevo",
    "Europe/Sarajevo",
    WORKDAYS,
    ["2026-11-25", "RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1,2", "RRULE:FREQ=YEARLY;BYEASTER=1"],
)
# Iran works Saturday to Wednesday, a half day on Thursday; Nowruz is a holiday.
TEHRAN = make_calendar(
    "tehran",
    "Asia/Tehran",
    {
        "sat": [["08:00", "16:00"]],
        "sun": [["08:00", "16:00"]],
        "mon": [["08:00", "16:00"]],
        "tue": [["08:00", "16:00"]],
        "wed": [["08:00", "16:00"]],
        "thu": [["08:00", "12:00"]],
    },
    ["2021-03-21", "2021-03-22", "2021-03-23", "2021-03-24"],
)
# Split shifts and a 24-hour Sunday: the hardest shape for the arithmetic.
SPLIT = make_calendar(
    "split",
    "Europe/Sarajevo",
    {
        "mon": [["00:00", "02:30"], ["09:00", "12:00"], ["13:00", "17:00"]],
        "sun": [["00:00", "24:00"]],
    },
    ["RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"],
)
CALENDARS = [SARAJEVO, TEHRAN, SPLIT]

instants = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(CALENDARS)
minutes = st.integers(min_value=1, max_value=60 * 24 * 40)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, n=minutes)
def test_adding_then_counting_returns_the_same_minutes(cal, start, n):
    due = add_business_minutes(cal, start, n)
    assert due > start
    assert business_minutes_between(cal, start, due) == n
    assert business_between(cal, start, due) == timedelta(minutes=n)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, n=minutes)
def test_due_time_never_lands_in_closed_hours(cal, start, n):
    due = add_business_minutes(cal, start, n)
    # The instant just before the due one was working time, so the due instant is inside
    # an open interval or exactly at its closing edge, never in the middle of the night.
    # (A microsecond, not a second: a start with microseconds can land the due instant
    # a microsecond after an interval opens.)
    tick = timedelta(microseconds=1)
    assert business_between(cal, due - tick, due) == tick
    local = due.astimezone(cal.tzinfo)
    edge = local - timedelta(seconds=1)
    assert not is_holiday(cal, edge.date())


def _walked(cal, start, end) -> timedelta:
    """Working time from start to end, every local day's intervals walked and clipped."""
    day, last = start.astimezone(cal.tzinfo).date(), end.astimezone(cal.tzinfo).date()
    total = timedelta(0)
    day -= timedelta(days=1)
    while day <= last + timedelta(days=1):
        for a, b in day_intervals(cal, day):
            total += max(timedelta(0), min(b, end) - max(a, start))
        day += timedelta(days=1)
    return total


@settings(max_examples=200, deadline=None)
@given(cal=calendars, a=instants, b=instants)
def test_counting_far_apart_sums_whole_days_as_walking_them(cal, a, b):
    """The whole days between two instants are summed once per calendar, not walked."""
    lo, hi = min(a, b), max(a, b)
    assert business_between(cal, lo, hi) == _walked(cal, lo, hi)
    assert business_between(cal, lo, lo + timedelta(days=5, hours=3)) == _walked(
        cal, lo, lo + timedelta(days=5, hours=3))


@settings(max_examples=200, deadline=None)
@given(cal=calendars, a=instants, b=instants)
def test_counting_is_antisymmetric_and_additive(cal, a, b):
    lo, hi = min(a, b), max(a, b)
    mid = lo + (hi - lo) / 2
    assert business_between(cal, a, b) == -business_between(cal, b, a)
    assert business_between(cal, lo, hi) == business_between(cal, lo, mid) + business_between(
        cal, mid, hi
    )
    assert business_between(cal, lo, hi) <= hi - lo


@settings(max_examples=200, deadline=None)
@given(start=instants, n=minutes)
def test_holidays_are_skipped(start, n):
    due = add_business_minutes(SARAJEVO, start, n)
    day = start.astimezone(SARAJEVO.tzinfo).date()
    while day <= due.astimezone(SARAJEVO.tzinfo).date():
        if is_holiday(SARAJEVO, day):
            zone = SARAJEVO.tzinfo
            lo = datetime(day.year, day.month, day.day, tzinfo=zone)
            assert business_between(SARAJEVO, lo, lo + timedelta(days=1)) == timedelta(0)
        day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=instants)
def test_next_open_is_open(cal, start):
    opened = next_open(cal, start)
    assert opened >= start
    assert is_open(cal, opened)
    assert business_between(cal, start, opened) == timedelta(0)


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz.gettz(zone))


def test_recurring_and_explicit_holidays():
    assert is_holiday(SARAJEVO, date(2027, 1, 1))
    assert is_holiday(SARAJEVO, date(2027, 1, 2))
    assert is_holiday(SARAJEVO, date(2026, 4, 6))  # Easter Monday 2026
    assert is_holiday(SARAJEVO, date(2026, 11, 25))
    assert not is_holiday(SARAJEVO, date(2027, 11, 25))  # explicit dates do not recur


def test_friday_evening_rolls_over_weekend_to_monday():
    friday = at("Europe/Sarajevo", 2026, 11, 20, 18, 30)
    due = add_business_minutes(SARAJEVO, friday, 60)
    assert due == at("Europe/Sarajevo", 2026, 11, 23, 8, 30)
    assert business_minutes_between(SARAJEVO, friday, due) == 60


def test_sarajevo_spring_forward_day_with_24h_calendar():
    # 29 March 2026: clocks jump 02:00 -> 03:00, the day has 23 hours.
    cal = make_calendar(
        "allday",
        "Europe/Sarajevo",
        {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    start = at("Europe/Sarajevo", 2026, 3, 29, 0, 0)
    end = at("Europe/Sarajevo", 2026, 3, 30, 0, 0)
    assert business_between(cal, start, end) == timedelta(hours=23)
    assert add_business_minutes(cal, at("Europe/Sarajevo", 2026, 3, 29, 1, 30), 60) == at(
        "Europe/Sarajevo", 2026, 3, 29, 3, 30
    )


def test_sarajevo_fall_back_day_counts_the_repeated_hour():
    # 25 October 2026: 03:00 CEST -> 02:00 CET; a Sunday shift 00:00-24:00 lasts 25 hours.
    start = at("Europe/Sarajevo", 2026, 10, 25, 0, 0)
    assert business_between(SPLIT, start, start + timedelta(days=2)) == timedelta(
        hours=25 + 2.5 + 7
    )
    # Monday after: the first business hour after Sunday 23:30 local ends at Monday 00:30.
    sunday_late = at("Europe/Sarajevo", 2026, 10, 25, 23, 30)
    assert add_business_minutes(SPLIT, sunday_late, 60) == at(
        "Europe/Sarajevo", 2026, 10, 26, 0, 30
    )


def test_sarajevo_office_hours_across_dst_are_eleven_hours_each_day():
    for day in (date(2026, 3, 27), date(2026, 3, 30), date(2026, 10, 23), date(2026, 10, 26)):
        lo = datetime(day.year, day.month, day.day, tzinfo=SARAJEVO.tzinfo)
        assert business_between(SARAJEVO, lo, lo + timedelta(days=1)) == timedelta(hours=11)
    # Friday 18:00 CET before the spring change + 2h -> Monday 09:00 CEST, 2 business hours.
    friday = at("Europe/Sarajevo", 2026, 3, 27, 18, 0)
    monday = at("Europe/Sarajevo", 2026, 3, 30, 9, 0)
    assert add_business_minutes(SARAJEVO, friday, 120) == monday
    real = monday.astimezone(UTC) - friday.astimezone(UTC)
    assert real == timedelta(days=2, hours=14)  # one wall hour vanished


def test_tehran_spring_forward_midnight_and_nowruz():
    # 22 March 2021 00:00 IRST jumped to 01:00 IRDT; Nowruz holidays 21-24 March.
    saturday = at("Asia/Tehran", 2021, 3, 20, 15, 0)  # Saturday before Nowruz, 1h left
    due = add_business_minutes(TEHRAN, saturday, 120)
    # 1h on Saturday, Sunday-Wednesday are holidays, Thursday is a half day from 08:00.
    assert due == at("Asia/Tehran", 2021, 3, 25, 9, 0)
    assert due.astimezone(TEHRAN.tzinfo).utcoffset() == timedelta(hours=4, minutes=30)
    assert business_minutes_between(TEHRAN, saturday, due) == 120


def test_tehran_fall_back_week():
    # 22 September 2021 00:00 IRDT went back to 21 September 23:00 IRST (a Wednesday).
    tuesday_evening = at("Asia/Tehran", 2021, 9, 21, 15, 0)
    due = add_business_minutes(TEHRAN, tuesday_evening, 8 * 60)
    assert due == at("Asia/Tehran", 2021, 9, 22, 15, 0)
    assert due.astimezone(TEHRAN.tzinfo).utcoffset() == timedelta(hours=3, minutes=30)
    # Thursday half day then Friday off: 4h Thursday, then Saturday.
    wed = at("Asia/Tehran", 2021, 9, 22, 16, 0)
    assert add_business_minutes(TEHRAN, wed, 5 * 60) == at("Asia/Tehran", 2021, 9, 25, 9, 0)


def test_zero_and_negative():
    start = at("Europe/Sarajevo", 2026, 11, 21, 3, 0)
    assert add_business(SARAJEVO, start, timedelta(0)) == start
    with pytest.raises(ValueError):
        add_business(SARAJEVO, start, timedelta(minutes=-1))
    later = at("Europe/Sarajevo", 2026, 11, 23, 10, 0)
    assert business_minutes_between(SARAJEVO, later, start) == -120


def test_always_open_is_wall_time():
    cal = always_open()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert add_business_minutes(cal, start, 60 * 24 * 3) == start + timedelta(days=3)


@pytest.mark.parametrize(
    ("hours", "holidays", "message"),
    [
        ({"mon": [["19:00", "08:00"]]}, [], "must end after"),
        ({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}, [], "overlap"),
        ({"moon": [["08:00", "12:00"]]}, [], "unknown weekday"),
        ({"mon": [["8", "12:00"]]}, [], "bad time"),
        ({}, [], "no working hours"),
        ({"mon": [["08:00", "12:00"]]}, ["2026-13-01"], "bad holiday"),
        ({"mon": [["08:00", "12:00"]]}, ["RRULE:FREQ=SOMETIMES"], "bad recurring holiday"),
    ],
)
def test_bad_calendars_are_refused(hours, holidays, message):
    with pytest.raises(BadInput, match=message):
        make_calendar("bad", "Europe/Sarajevo", hours, holidays)


def test_unknown_zone_is_refused():
    with pytest.raises(BadInput, match="unknown time zone"):
        make_calendar("bad", "Mars/Olympus", {"mon": [["08:00", "12:00"]]})
