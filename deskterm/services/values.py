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


def parse_status(value: str | Status) -> Status:
    """A Status from text; BadInput lists the valid ones."""
    try:
        return Status(str(value).strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        raise BadInput(
            f"bad status {value!r}: expected one of {', '.join(s.value for s in Status)}"
        ) from None


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
