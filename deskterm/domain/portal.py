"""What the customer portal shows: a customer's scope, tickets, thread and account.

Loaded when first named (`from deskterm.domain import CustomerTicket` works as for every
domain type, see `deskterm.domain.__getattr__`): the agent console never needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskterm.domain import Actor, Priority, Status, ref


@dataclass(frozen=True)
class CustomerScope:
    """Who a portal request acts for: a logged-in customer, or a tracking link that opens
    one ticket (`ticket_id`) and nothing else."""

    contact_id: int
    email: str
    account_id: int | None = None
    ticket_id: int | None = None

    @property
    def actor(self) -> Actor:
        return Actor.customer(self.contact_id, self.email)


@dataclass(frozen=True)
class PublicAttachment:
    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class PublicEntry:
    """A thread entry as the customer sees it (customer messages and public replies)."""

    id: int
    from_desk: bool
    author: str
    body: str
    created_at: datetime
    attachments: tuple[PublicAttachment, ...] = ()


@dataclass(frozen=True)
class CustomerTicket:
    """A ticket as its requester sees it: no notes, events, tags or agent-only fields."""

    id: int
    subject: str
    status: Status
    priority: Priority
    queue_name: str
    created_at: datetime
    updated_at: datetime
    entries: tuple[PublicEntry, ...] = ()
    merged_into: int | None = None  # the ticket that carries the thread now, if theirs too

    @property
    def ref(self) -> str:
        return ref(self.id)


@dataclass(frozen=True)
class CustomerTicketPage:
    """One page of a customer's ticket list, paged by keyset: `next_cursor` and
    `previous_cursor` (None at either end) open the pages after and before this one."""

    tickets: tuple[CustomerTicket, ...]
    total: int
    next_cursor: str | None = None
    previous_cursor: str | None = None


@dataclass(frozen=True)
class CustomerAccountInfo:
    id: int
    email: str
    name: str
    language: str | None
    timezone: str
    page_size: int
    sms_opt_in: bool
    phone: str | None = None
