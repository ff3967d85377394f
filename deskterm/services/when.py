"""Human dates and durations: "2026-11-01", "3 days ago", "in 2 hours", "tomorrow 9:00", "30d"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from deskterm import clock
from deskterm.domain import BadInput

if TYPE_CHECKING:  # dateutil is imported where a date is parsed (not for the first screen)
    from dateutil.relativedelta import relativedelta

_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "mo": "months",
    "month": "months",
    "months": "months",
    "y": "years",
    "year": "years",
    "years": "years",
}
_AMOUNT = r"(\d+)\s*([a-z]+)"
_DURATION = re.compile(rf"^{_AMOUNT}$")
_AGO = re.compile(rf"^{_AMOUNT}\s+ago$")
_IN = re.compile(rf"^in\s+{_AMOUNT}$")
_DAY_WORD = re.compile(r"^(today|yesterday|tomorrow|now)(?:\s+(?:at\s+)?(.+))?$")

#: Instants people may type: the years a desk can meaningfully store.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
#: The longest duration accepted (older:, --older-than, sla:due<): a century.
LONGEST = timedelta(days=36_525)


def _delta(amount: str, unit: str, original: str) -> relativedelta:
    name = _UNITS.get(unit)
    if name is None:
        raise BadInput(f"bad duration {original!r}: unknown unit {unit!r} (use m, h, d, w, mo, y)")
    if len(amount) > 9:
        raise BadInput(f"bad duration {original!r}: at most {LONGEST.days} days")
    from dateutil.relativedelta import relativedelta

    return relativedelta(**{name: int(amount)})


def written(moment: datetime, zone: tzinfo | None, *, seconds: bool = False) -> str:
    """`moment` as every face writes it for a person: in their `zone` with its UTC offset,
    `2026-12-01 14:05 +01:00` (naive moments are UTC; no zone: UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(zone or UTC)
    offset = local.strftime("%z")
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return f"{local.strftime(pattern)} {offset[:3]}:{offset[3:5]}"


def parse_duration(text: str) -> timedelta:
    """`30d`, `2h`, `15m`, `1w`, `3 days` -> timedelta (months count as 30 days)."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise BadInput(f"bad duration {text!r}: expected a number and a unit, e.g. 30d, 2h, 15m")
    rd = _delta(match[1], match[2], text)
    span = timedelta(
        days=rd.days + rd.months * 30 + rd.years * 365,
        hours=rd.hours,
        minutes=rd.minutes,
    )
    if span > LONGEST:
        raise BadInput(f"bad duration {text!r}: at most {LONGEST.days} days (a century)")
    return span


def _in_range(when: datetime, text: str) -> datetime:
    if not EARLIEST <= when < LATEST:
        raise BadInput(
            f"bad date {text!r}: expected a time between {EARLIEST.year} and {LATEST.year - 1}"
        )
    return when


def parse_when(text: str, *, zone: tzinfo | None = None, now: datetime | None = None) -> datetime:
    """Parse an instant written by a person; returns aware UTC.

    Accepts ISO dates and times, "3 days ago", "in 2 hours", "today", "yesterday 17:00",
    "tomorrow 9:00", "now". Naive times are read in `zone` (default: local time). BadInput
    for anything else, and for instants outside 1970-8999.
    """
    try:
        return _in_range(_parse_when(text, zone, now), text)
    except (OverflowError, ValueError):
        raise BadInput(
            f"bad date {text!r}: expected a time between {EARLIEST.year} and {LATEST.year - 1}"
        ) from None


def _parse_when(text: str, zone: tzinfo | None, now: datetime | None) -> datetime:
    from dateutil import parser as date_parser
    from dateutil import tz
    from dateutil.relativedelta import relativedelta

    zone = zone or tz.tzlocal()
    now_local = (now or clock.now()).astimezone(zone)
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise BadInput("empty date")
    if match := _AGO.match(cleaned):
        return clock.to_utc(now_local - _delta(match[1], match[2], text))
    if match := _IN.match(cleaned):
        return clock.to_utc(now_local + _delta(match[1], match[2], text))
    if match := _DAY_WORD.match(cleaned):
        word, time_part = match[1], match[2]
        if word == "now" and not time_part:
            return clock.to_utc(now_local)
        day = now_local + relativedelta(
            days={"today": 0, "now": 0, "yesterday": -1, "tomorrow": 1}[word]
        )
        base = day.replace(hour=0, minute=0, second=0, microsecond=0)
        if time_part:
            try:
                parsed = date_parser.parse(time_part, default=base.replace(tzinfo=None))
            except (ValueError, OverflowError):
                raise BadInput(f"bad time in {text!r}") from None
            base = parsed.replace(tzinfo=zone)
        return clock.to_utc(base)
    try:
        parsed = date_parser.parse(
            text.strip(),
            default=now_local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None),
        )
    except (ValueError, OverflowError):
        raise BadInput(
            f"bad date {text!r}: use 2026-11-01, '2026-11-01 14:00', '3 days ago' or 'in 2 hours'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return clock.to_utc(parsed)
