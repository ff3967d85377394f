"""What the faces (CLI, console, mail) see: enums, plain dataclasses and domain errors.

No peewee and no textual here: services turn rows into these before returning them.
The rarer dataclasses live in `domain.changes`, `domain.portal`, `domain.threads` (a
whole ticket) and `domain.setup` (queues, teams) and load when first named, `from
deskterm.domain import BulkResult` as any other (`__getattr__` below): making a frozen
dataclass costs about a millisecond, and the console's first rows need only the few
defined here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # re-exported: type checkers see what __getattr__ gives
    from deskterm.domain.changes import (
        BulkResult,  # noqa: F401
        BulkSkip,  # noqa: F401
        CannedReplyInfo,  # noqa: F401
        EventRecord,  # noqa: F401
        NewAttachment,  # noqa: F401
    )
    from deskterm.domain.portal import (
        CustomerAccountInfo,  # noqa: F401
        CustomerScope,  # noqa: F401
        CustomerTicket,  # noqa: F401
        CustomerTicketPage,  # noqa: F401
        PublicAttachment,  # noqa: F401
        PublicEntry,  # noqa: F401
    )
    from deskterm.domain.setup import QueueInfo, TeamInfo  # noqa: F401
    from deskterm.domain.threads import (
        AttachmentInfo,  # noqa: F401
        Contact,  # noqa: F401
        ThreadEntry,  # noqa: F401
        TicketDetail,  # noqa: F401
    )

#: The types defined in a submodule, loaded the first time one is named.
_LATER = {
    **dict.fromkeys(("EventRecord", "CannedReplyInfo", "BulkSkip", "BulkResult",
                     "NewAttachment"), "changes"),
    **dict.fromkeys(("CustomerScope", "PublicAttachment", "PublicEntry", "CustomerTicket",
                     "CustomerTicketPage", "CustomerAccountInfo"), "portal"),
    **dict.fromkeys(("AttachmentInfo", "ThreadEntry", "Contact", "TicketDetail"), "threads"),
    **dict.fromkeys(("QueueInfo", "TeamInfo"), "setup"),
}


def __getattr__(name: str) -> object:
    """`deskterm.domain.BulkResult` and `from deskterm.domain import BulkResult`."""
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LATER])


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


