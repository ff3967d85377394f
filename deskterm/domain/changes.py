"""What changes take or give back: events, bulk results, new attachments and canned
replies.

Loaded when first named (`from deskterm.domain import BulkResult` works as for every
domain type, see `deskterm.domain.__getattr__`): the console's first rows need none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deskterm.domain import Status, ref

#: Actions whose values are instants, recorded as ISO 8601 UTC (a snooze's wake-up time,
#: the moment an SLA target was missed): faces show them in the reader's zone.
INSTANT_ACTIONS = frozenset({"snoozed", "sla_breach"})


@dataclass(frozen=True)
class EventRecord:
    id: int
    ticket_id: int | None
    actor: str
    at: datetime
    action: str
    field: str | None
    before: str | None
    after: str | None
    via: str | None = None

    @property
    def who(self) -> str:
        """The actor as people read it: `agent:ana`, or `admin boss as agent:ana`."""
        return f"admin {self.via} as {self.actor}" if self.via else self.actor

    def instant(self, value: str | None) -> datetime | None:
        """`value` (this event's before or after) as an aware instant when the event
        records one, else None."""
        if value is None or self.action not in INSTANT_ACTIONS:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else None


@dataclass(frozen=True)
class CannedReplyInfo:
    id: int
    title: str
    body: str
    set_status: Status | None = None
    add_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkSkip:
    """A ticket a bulk action left as it was, and why: `closed`, `already pending`."""

    ticket_id: int
    reason: str

    @property
    def ref(self) -> str:
        return ref(self.ticket_id)


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did (or would do, with dry_run)."""

    matched: int
    changed: int
    dry_run: bool
    ticket_ids: tuple[int, ...] = field(default_factory=tuple)
    #: Tickets left unchanged (or, in a dry run, that would be), in ref order: matched
    #: ones already as asked, and refs given that are closed, missing or off the filter.
    skipped: tuple[BulkSkip, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach to a thread entry, as bytes in memory."""

    filename: str
    content_type: str
    data: bytes
