"""A whole ticket as the ticket screen and `ticket show` read it: its detail, the thread's
entries, their attachments and the people on it.

Loaded when first named (`from deskterm.domain import TicketDetail` works as for every
domain type, see `deskterm.domain.__getattr__`): the console's first rows need none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskterm.domain import Delivery, EntryKind, Priority, Status, ref


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    path: str


@dataclass(frozen=True)
class ThreadEntry:
    id: int
    kind: EntryKind
    author: str
    author_email: str | None
    body: str
    created_at: datetime
    attachments: tuple[AttachmentInfo, ...] = ()
    delivery: Delivery | None = None
    source_ticket_id: int | None = None
    #: UTC: the reply's mail waits in the undo-send window until then (None: not held)
    held_until: datetime | None = None

    @property
    def is_public(self) -> bool:
        """Whether the customer may ever see this entry."""
        return self.kind in (EntryKind.CUSTOMER, EntryKind.REPLY)


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    email: str
    phone: str | None = None
    organisation: str | None = None
    contract_no: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.email.split("@")[0]


@dataclass(frozen=True)
class TicketDetail:
    """A whole ticket: header fields, people and the ordered thread."""

    id: int
    subject: str
    status: Status
    priority: Priority
    queue: str
    queue_name: str
    requester: Contact
    assignee: str | None
    assignee_name: str | None
    team: str | None
    channel: str
    created_at: datetime
    updated_at: datetime
    version: int
    snoozed_until: datetime | None
    merged_into: int | None
    linked_to: int | None
    followers: tuple[Contact, ...]
    tags: tuple[str, ...]
    entries: tuple[ThreadEntry, ...]
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    sla_breached: bool = False
    time_spent_minutes: int = 0

    @property
    def ref(self) -> str:
        return ref(self.id)

    @property
    def public_entries(self) -> tuple[ThreadEntry, ...]:
        """The thread as the customer may see it: no notes, no system lines."""
        return tuple(e for e in self.entries if e.is_public)

    @property
    def notes(self) -> tuple[ThreadEntry, ...]:
        return tuple(e for e in self.entries if e.kind is EntryKind.NOTE)
