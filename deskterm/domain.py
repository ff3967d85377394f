"""What the faces (CLI, console, mail) see: enums, plain dataclasses and domain errors.

No peewee and no textual here: services turn rows into these before returning them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    POSTPONED = "postponed"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The status as people read it, in the console and the CLI: `on hold`."""
        return self.value.replace("_", " ")


#: Statuses in which a ticket still needs work from the desk.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.POSTPONED)
#: Statuses a customer message reopens (DESIGN.md).
REOPENED_BY_CUSTOMER = (Status.PENDING, Status.RESOLVED, Status.POSTPONED)
#: Statuses during which the resolution clock is paused.
PAUSED_STATUSES = (Status.PENDING, Status.ON_HOLD, Status.POSTPONED)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)


class Channel(StrEnum):
    """How a ticket or entry arrived (DESIGN.md)."""

    EMAIL = "email"
    WEB = "web"
    SMS = "sms"
    PHONE = "phone"
    AGENT = "agent"


class EntryKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"
    SYSTEM = "system"


class Delivery(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"


class Role(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"
    OBSERVER = "observer"


# --- errors -------------------------------------------------------------------


class DomainError(Exception):
    """Base of every error a face may show the user as one line."""

    exit_code = 1


class BadInput(DomainError):
    """The caller's input is malformed (bad status, bad date, empty subject...)."""

    exit_code = 2


class NotFound(DomainError):
    """An id, ref or name that does not exist."""


class Conflict(DomainError):
    """Somebody changed the ticket since the caller loaded it."""


class Refused(DomainError):
    """A valid request the domain will not carry out (closed ticket, no permission...)."""


# --- who acts -----------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an agent, a customer (mail, portal), a rule or the system.

    Who an agent is comes from `services.identity`; what any actor may do is decided by
    `services.access.check`. `via` is the admin acting as this agent (`--as`).
    """

    kind: str  # "agent" | "customer" | "rule" | "system"
    name: str
    agent_id: int | None = None
    contact_id: int | None = None
    via: str | None = None

    @property
    def label(self) -> str:
        """The actor as written in events, e.g. `agent:ana`, `rule:round-robin`."""
        return f"{self.kind}:{self.name}"

    @property
    def display(self) -> str:
        """The actor as people read it: `ana`, or `admin boss as ana`."""
        return f"admin {self.via} as {self.name}" if self.via else self.name

    @property
    def is_agent(self) -> bool:
        return self.kind == "agent" and self.agent_id is not None

    @property
    def is_customer(self) -> bool:
        return self.kind == "customer"

    @property
    def is_internal(self) -> bool:
        """The desk itself (mail import, rules, schedulers): trusted, never a person."""
        return self.kind in ("system", "rule")

    @classmethod
    def system(cls, name: str = "deskterm") -> Actor:
        return cls("system", name)

    @classmethod
    def customer(cls, contact_id: int, email: str) -> Actor:
        """A customer acting for themselves (the portal, their own mail)."""
        return cls("customer", email, contact_id=contact_id)


# --- read models --------------------------------------------------------------


def ref(ticket_id: int) -> str:
    """A ticket reference as people write it: `#1042`."""
    return f"#{ticket_id}"


@dataclass(frozen=True)
class TicketRow:
    """One line of a ticket list."""

    id: int
    subject: str
    status: Status
    priority: Priority
    queue: str
    requester: str
    requester_email: str
    assignee: str | None
    team: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    tags: tuple[str, ...] = ()
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    sla_breached: bool = False

    @property
    def ref(self) -> str:
        return ref(self.id)


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


@dataclass(frozen=True)
class AgentInfo:
    id: int
    username: str
    name: str
    email: str
    role: Role
    timezone: str
    active: bool
    teams: tuple[str, ...] = ()
    os_user: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class QueueInfo:
    id: int
    slug: str
    name: str
    email: str | None
    team: str | None
    outsiders: str = "read"


@dataclass(frozen=True)
class TeamInfo:
    id: int
    slug: str
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class CannedReplyInfo:
    id: int
    title: str
    body: str
    set_status: Status | None = None
    add_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewInfo:
    id: int
    name: str
    query: str
    owner: str | None = None
    builtin: bool = False
    team: str | None = None  # shared with this team only (slug); None and no owner: everyone

    @property
    def scope(self) -> str:
        """`personal`, `team:<slug>` or `desk` (built-in views: `builtin`)."""
        if self.builtin:
            return "builtin"
        if self.owner:
            return "personal"
        return f"team:{self.team}" if self.team else "desk"


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


# --- the customer portal --------------------------------------------------------


class RateLimited(Refused):
    """Too many failed attempts; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FormInvalid(BadInput):
    """A customer form with field errors: `errors` maps a field name to an error code."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {code}" for name, code in errors.items()))
        self.errors = errors


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


@dataclass(frozen=True)
class TimerInfo:
    """An agent's running time-tracking timer (one at most per agent)."""

    agent: str
    ticket_id: int
    subject: str
    started_at: datetime

    @property
    def ref(self) -> str:
        return f"#{self.ticket_id}"

    def elapsed_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.started_at).total_seconds()))


@dataclass(frozen=True)
class TimerStopped:
    """What stopping a timer logged (the same time entry as `ticket time`)."""

    timer: TimerInfo
    minutes: int
