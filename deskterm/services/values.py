"""Reading values people type: ticket refs, statuses, priorities, tag names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from deskterm.domain import BadInput, Priority, Status

_TAG = re.compile(r"^[\w][\w.:-]*$")
_ASCII_NUMBER = re.compile(r"[0-9]+")

#: The largest id or count the database can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: The most minutes one time entry may log (a 31-day month, around the clock).
MAX_MINUTES = 31 * 24 * 60


def resolve_ref(text: str | int) -> int:
    """`#1042`, `1042` or 1042 -> 1042; BadInput for anything else (ASCII digits only)."""
    if isinstance(text, int) and not isinstance(text, bool):
        number = text
    else:
        cleaned = str(text).strip().removeprefix("#")
        if not _ASCII_NUMBER.fullmatch(cleaned):
            raise BadInput(f"not a ticket reference: {text!r} (expected #1042 or 1042)")
        number = int(cleaned)
    if not 1 <= number <= MAX_ID:
        raise BadInput(f"not a ticket reference: {text!r} (ticket numbers run from 1 to {MAX_ID})")
    return number


def parse_number(text: str | int, what: str, *, low: int = 0, high: int = MAX_ID) -> int:
    """A whole number between `low` and `high`; BadInput naming `what` otherwise."""
    value = str(text).strip()
    if not re.fullmatch(r"-?[0-9]+", value):
        raise BadInput(f"bad {what} {text!r}: expected a whole number")
    number = int(value)
    if not low <= number <= high:
        raise BadInput(f"bad {what} {text!r}: expected {low} to {high}")
    return number


#: The statuses as the console shows them, for help texts and errors.
STATUS_NAMES = ", ".join(s.label for s in Status)


def parse_status(value: str | Status) -> Status:
    """A Status from text: its name as shown (`on hold`) or written `on-hold`, `on_hold`,
    in any case; BadInput lists the valid ones."""
    if isinstance(value, Status):
        return value
    key = "_".join(str(value).strip().lower().replace("-", " ").replace("_", " ").split())
    try:
        return Status(key)
    except ValueError:
        raise BadInput(f"bad status {value!r}: expected one of {STATUS_NAMES}") from None


def parse_priority(value: str | Priority) -> Priority:
    """A Priority from text; BadInput lists the valid ones."""
    try:
        return Priority(str(value).strip().lower())
    except ValueError:
        raise BadInput(
            f"bad priority {value!r}: expected one of {', '.join(p.value for p in Priority)}"
        ) from None


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Normalise tag names (lower case, no spaces); BadInput for an invalid one."""
    result = []
    for tag in tags:
        name = tag.strip().lower()
        if not name:
            continue
        if not _TAG.match(name):
            raise BadInput(f"bad tag {tag!r}: use letters, digits, '.', ':', '-' or '_'")
        if name not in result:
            result.append(name)
    return result


#: The refusal of an empty or blank tag someone named (`ticket tag N ''`, `--tag ''`).
NO_TAG = "no tag given: a tag is letters, digits, '.', ':', '-' or '_'"


def given_tags(tags: Iterable[str]) -> list[str]:
    """Tags a person named one by one (`ticket new --tag`, `ticket tag`): as `clean_tags`,
    but an empty or blank one is refused (BadInput), never silently dropped."""
    tags = list(tags)
    if any(not tag.strip() for tag in tags):
        raise BadInput(NO_TAG)
    return clean_tags(tags)


_SLUG = re.compile(r"^[^\W_][\w-]{0,39}$")
#: The longest display name (of a queue, team, agent) the desk accepts.
MAX_NAME = 200


def check_slug(value: str, what: str) -> str:
    """A queue or team slug as filters use it (`queue:billing`): BadInput otherwise."""
    if not isinstance(value, str) or not _SLUG.match(value) or value != value.lower():
        raise BadInput(
            f"bad {what} slug {value!r}: use lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit, at most 40 (e.g. billing-team)"
        )
    return value


def check_name(value: str, what: str) -> str:
    """A display name: not empty, one line, no control characters, at most MAX_NAME."""
    name = (value or "").strip()
    if not name:
        raise BadInput(f"{what} is empty")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        raise BadInput(f"{what} {value!r} has a line break or control character")
    if len(name) > MAX_NAME:
        raise BadInput(f"{what} is {len(name)} characters long: at most {MAX_NAME}")
    return name


def time_zones() -> frozenset[str]:
    """Every IANA time zone name this system knows, and UTC."""
    global _ZONES
    if _ZONES is None:
        import zoneinfo

        _ZONES = frozenset(zoneinfo.available_timezones() | {"UTC"})
    return _ZONES


_ZONES: frozenset[str] | None = None


def check_time_zone(name: str) -> str:
    """An IANA time zone name (`Europe/Sarajevo`, `UTC`); BadInput otherwise."""
    if name not in time_zones():
        raise BadInput(f"unknown time zone {name!r}: expected an IANA name such as "
                       "Europe/Sarajevo or UTC")
    return name


_MINUTES = re.compile(r"^(?:(\d{1,4})\s*h)?\s*(?:(\d{1,6})\s*(?:m|min)?)?$")


def parse_minutes(text: str) -> int:
    """Time spent as typed: `15`, `15m`, `1h`, `1h30`, `1h 30m` -> minutes (1 to a month)."""
    match = _MINUTES.match(text.strip().lower())
    if not text.strip() or not match or not (match[1] or match[2]):
        raise BadInput(f"bad time {text!r}: minutes (15), or hours and minutes (1h30)")
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if not 1 <= minutes <= MAX_MINUTES:
        raise BadInput(f"bad time {text!r}: between 1 minute and {MAX_MINUTES // 1440} days")
    return minutes
