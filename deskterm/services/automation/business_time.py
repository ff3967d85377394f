"""Business-calendar arithmetic: pure functions, no database.

A `Calendar` has weekly working hours in local wall time, a time zone and holidays
(explicit dates and recurring `RRULE:` lines, e.g. `RRULE:FREQ=YEARLY;BYEASTER=1`).
Every instant in and out is an aware datetime; results are aware UTC. Working
intervals are turned into real UTC instants day by day, so a working day that
crosses a DST change is exactly as long as the clock on the wall says it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from deskterm.domain import BadInput

if TYPE_CHECKING:  # dateutil loads when a calendar is first used (not for the console's start)
    from dateutil import tz

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far ahead `add_business` searches before declaring a calendar without working time.
MAX_SEARCH_DAYS = 3 * 366
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")

Interval = tuple[int, int]  # minutes since local midnight, [start, end)


@dataclass(frozen=True)
class Calendar:
    """Weekly working hours (index 0 = Monday), a time zone name and holidays."""

    name: str
    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    recurring: tuple[str, ...] = ()

    @property
    def tzinfo(self) -> tz.tzfile:
        return _zone(self.timezone)


def always_open(name: str = "24/7", timezone: str = "UTC") -> Calendar:
    """A calendar that is open every minute of every day."""
    return Calendar(name, timezone, tuple(((0, 24 * 60),) for _ in WEEKDAYS))


# --- building calendars from text ------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> tz.tzfile:
    from dateutil import tz

    zone = tz.gettz(name)
    if zone is None:
        raise BadInput(f"unknown time zone {name!r} (expected e.g. Europe/Sarajevo)")
    return zone


def _minutes(text: str) -> int:
    match = _HHMM.match(text.strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise BadInput(f"bad time {text!r} (expected HH:MM, 00:00 to 24:00)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_hours(hours: Mapping[str, Iterable[Iterable[str]]]) -> tuple[tuple[Interval, ...], ...]:
    """Turn `{"mon": [["08:00", "19:00"]], ...}` into sorted, disjoint intervals per weekday."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise BadInput(
            f"unknown weekday {sorted(unknown)[0]!r} (expected one of {', '.join(WEEKDAYS)})"
        )
    week = []
    for day in WEEKDAYS:
        spans = []
        for pair in hours.get(day, ()):
            pair = list(pair)
            if len(pair) != 2:
                raise BadInput(f"{day}: a working interval is [start, end], got {pair!r}")
            start, end = _minutes(pair[0]), _minutes(pair[1])
            if start >= end:
                raise BadInput(f"{day}: interval {pair[0]}-{pair[1]} must end after it starts")
            spans.append((start, end))
        spans.sort()
        for (_, end_a), (start_b, _) in zip(spans, spans[1:], strict=False):
            if start_b < end_a:
                raise BadInput(f"{day}: working intervals overlap")
        week.append(tuple(spans))
    return tuple(week)


def parse_holidays(items: Iterable[str]) -> tuple[frozenset[date], tuple[str, ...]]:
    """Split holiday strings into explicit ISO dates and validated `RRULE:` lines."""
    explicit, recurring = set(), []
    for item in items:
        item = item.strip()
        if "RRULE" in item.upper():
            from dateutil import rrule

            try:
                rrule.rrulestr(item, dtstart=datetime(2000, 1, 1))
            except (ValueError, TypeError) as exc:
                raise BadInput(f"bad recurring holiday {item!r}: {exc}") from None
            recurring.append(item)
        else:
            try:
                explicit.add(date.fromisoformat(item))
            except ValueError:
                raise BadInput(f"bad holiday {item!r} (expected YYYY-MM-DD or RRULE:...)") from None
    return frozenset(explicit), tuple(recurring)


def make_calendar(
    name: str,
    timezone: str,
    hours: Mapping[str, Iterable[Iterable[str]]],
    holidays: Iterable[str] = (),
) -> Calendar:
    """Build and validate a calendar; BadInput names what is wrong."""
    from deskterm.services.values import check_time_zone

    _zone(check_time_zone(timezone))
    week = parse_hours(hours)
    if not any(week):
        raise BadInput(f"calendar {name!r} has no working hours")
    explicit, recurring = parse_holidays(holidays)
    return Calendar(name, timezone, week, explicit, recurring)


def calendar_from_json(name: str, timezone: str, hours_json: str, holidays_json: str) -> Calendar:
    """Build a calendar from the JSON text stored on `BusinessCalendar` rows."""
    try:
        hours, holidays = json.loads(hours_json or "{}"), json.loads(holidays_json or "[]")
    except json.JSONDecodeError as exc:
        raise BadInput(f"calendar {name!r}: bad JSON ({exc})") from None
    return make_calendar(name, timezone, hours, holidays)


# --- the arithmetic ------------------------------------------------------------------


@lru_cache(maxsize=256)
def _recurring_dates(rule: str, year: int) -> frozenset[date]:
    from dateutil import rrule

    parsed = rrule.rrulestr(rule, dtstart=datetime(year - 1, 1, 1))
    found = parsed.between(datetime(year, 1, 1), datetime(year, 12, 31, 23, 59), inc=True)
    return frozenset(d.date() for d in found)


def is_holiday(cal: Calendar, day: date) -> bool:
    """Whether `day` (a local date) is a holiday of `cal`."""
    if day in cal.holidays:
        return True
    return any(day in _recurring_dates(rule, day.year) for rule in cal.recurring)


def _local_to_utc(day: date, minute: int, zone: tz.tzfile) -> datetime:
    from dateutil import tz

    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    local = naive.replace(tzinfo=zone)
    if not tz.datetime_exists(local):  # in a spring-forward gap: the wall clock skips it
        local = tz.resolve_imaginary(local)
    return local.astimezone(UTC)


@lru_cache(maxsize=4096)
def day_intervals(cal: Calendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The working intervals of local date `day` as UTC instants (empty on holidays)."""
    spans = cal.week[day.weekday()]
    if not spans or is_holiday(cal, day):
        return ()
    zone = cal.tzinfo
    out = []
    for start, end in spans:
        a, b = _local_to_utc(day, start, zone), _local_to_utc(day, end, zone)
        if b > a:
            out.append((a, b))
    return tuple(out)


def _no_working_time(cal: Calendar) -> BadInput:
    return BadInput(f"calendar {cal.name!r} has no working time within {MAX_SEARCH_DAYS} days")


@lru_cache(maxsize=64)
def _interval_table(cal: Calendar) -> Callable[[date], tuple[tuple[datetime, datetime], ...]]:
    """`day_intervals` of one calendar by date: a calendar is hashed once per call of the
    arithmetic below, not once per day it walks (the SLA clocks of a batch walk millions)."""
    table: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    def intervals(day: date) -> tuple[tuple[datetime, datetime], ...]:
        found = table.get(day)
        if found is None:
            found = table[day] = day_intervals(cal, day)
        return found

    return intervals


class _DayTotals:
    """Working time of a calendar's whole days, summed once over a span of days, so the
    time between two instants far apart costs two edge days and a subtraction."""

    def __init__(self, cal: Calendar) -> None:
        self.cal = cal
        # (the ordinal of the day before the first summed, cum): cum[i] sums the days
        # base+1 .. base+i; replaced as one value, so threads never see half of it
        self.table: tuple[int, list[timedelta]] = (0, [])

    def whole_days(self, first: date, last: date) -> timedelta:
        """Working time of the days `first` to `last` (local dates, both included)."""
        lo, hi = first.toordinal(), last.toordinal()
        base, cum = self.table
        if not cum or lo <= base or hi >= base + len(cum):
            base, cum = self.table = self._build(lo - 366, hi + 366, base, cum)
        return cum[hi - base] - cum[lo - 1 - base]

    def _build(self, lo: int, hi: int, base: int, cum: list[timedelta]
               ) -> tuple[int, list[timedelta]]:
        if cum:
            lo, hi = min(lo, base + 1), max(hi, base + len(cum) - 1)
        intervals = _interval_table(self.cal)
        total, sums = timedelta(0), [timedelta(0)]
        for ordinal in range(lo, hi + 1):
            for a, b in intervals(date.fromordinal(ordinal)):
                total += b - a
            sums.append(total)
        return lo - 1, sums


@lru_cache(maxsize=64)
def _day_totals(cal: Calendar) -> _DayTotals:
    return _DayTotals(cal)


def _days_from(cal: Calendar, instant: datetime) -> Iterator[date]:
    # Start a day early: a local day's intervals may begin before `instant` in UTC terms.
    day = instant.astimezone(cal.tzinfo).date() - timedelta(days=1)
    while True:
        yield day
        day += timedelta(days=1)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
    return instant.astimezone(UTC)


def is_open(cal: Calendar, instant: datetime) -> bool:
    """Whether `instant` falls inside working time (start inclusive, end exclusive)."""
    instant = _aware(instant)
    local_day = instant.astimezone(cal.tzinfo).date()
    for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
        for a, b in day_intervals(cal, day):
            if a <= instant < b:
                return True
    return False


def add_business(cal: Calendar, start: datetime, amount: timedelta) -> datetime:
    """The instant at which `amount` of working time has elapsed after `start`.

    A zero amount returns `start` itself. The result is never in closed hours: it is the
    moment the last working second ends, so at most the closing instant of an interval.
    """
    start = _aware(start)
    if amount < timedelta(0):
        raise ValueError("cannot add a negative business time")
    if amount == timedelta(0):
        return start
    left = amount
    intervals = _interval_table(cal)
    for count, day in enumerate(_days_from(cal, start)):
        if count > MAX_SEARCH_DAYS:
            raise _no_working_time(cal)
        for a, b in intervals(day):
            if b <= start:
                continue
            begin = max(a, start)
            if left <= b - begin:
                return begin + left
            left -= b - begin
    raise AssertionError("unreachable")  # pragma: no cover


def business_between(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time between two instants; negative when `end` is before `start`."""
    start, end = _aware(start), _aware(end)
    if end < start:
        return -business_between(cal, end, start)
    total = timedelta(0)
    intervals = _interval_table(cal)
    one_day = timedelta(days=1)
    first, last = start.astimezone(cal.tzinfo).date(), end.astimezone(cal.tzinfo).date()
    edges = [first - one_day, first, first + one_day, last - one_day, last, last + one_day]
    if (last - first).days > 4:  # the days between lie wholly inside (start, end)
        total += _day_totals(cal).whole_days(first + 2 * one_day, last - 2 * one_day)
    else:
        edges = [first - one_day + one_day * n for n in range((last - first).days + 3)]
    for day in edges:
        for a, b in intervals(day):
            if b > start and a < end:
                total += min(b, end) - max(a, start)
    return total


def add_business_minutes(cal: Calendar, start: datetime, minutes: int) -> datetime:
    """`add_business` in whole minutes."""
    return add_business(cal, start, timedelta(minutes=minutes))


def business_minutes_between(cal: Calendar, start: datetime, end: datetime) -> int:
    """Whole working minutes between two instants (truncated toward zero)."""
    seconds = business_between(cal, start, end).total_seconds()
    return int(seconds / 60)


def next_open(cal: Calendar, instant: datetime) -> datetime:
    """The first working instant at or after `instant`."""
    instant = _aware(instant)
    intervals = _interval_table(cal)
    for count, day in enumerate(_days_from(cal, instant)):
        if count > MAX_SEARCH_DAYS:
            raise _no_working_time(cal)
        for a, b in intervals(day):
            if b > instant:
                return max(a, instant)
    raise AssertionError("unreachable")  # pragma: no cover


_DURATION = re.compile(r"(\d+)\s*(w|d|h|m)", re.IGNORECASE)
_UNIT = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}


def parse_duration(text: str) -> timedelta:
    """Parse `30m`, `1h`, `1h30m`, `7d`, `2w` into a timedelta; BadInput otherwise."""
    cleaned = str(text).strip().lower().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise BadInput(f"bad duration {text!r} (expected e.g. 30m, 1h, 1h30m, 7d, 2w)")
    return sum((int(n) * _UNIT[u] for n, u in parts), timedelta(0))


def format_duration(delta: timedelta) -> str:
    """A short human duration: `2d 3h`, `45m`, `-1h 5m` (minutes precision)."""
    minutes = int(delta.total_seconds() / 60)  # toward zero
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if mins and not days:
        parts.append(f"{mins}m")
    return sign + (" ".join(parts) or "0m")
