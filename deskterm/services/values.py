"""Reading values people type: ticket refs, statuses, priorities, tag names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from deskterm.domain import BadInput, Priority, Status

_TAG = re.compile(r"^[\w][\w.:-]*$")


def resolve_ref(text: str | int) -> int:
    """`#1042`, `1042` or 1042 -> 1042; BadInput for anything else."""
    if isinstance(text, int):
        return text
    cleaned = str(text).strip().lstrip("#")
    if not cleaned.isdigit():
        raise BadInput(f"not a ticket reference: {text!r} (expected #1042 or 1042)")
    return int(cleaned)


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
