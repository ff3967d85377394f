"""Who may do what: the one permission check every face reaches through the services.

`check(actor, action, resource)` raises Refused (or NotFound, where saying "refused"
would reveal that a hidden ticket exists) and returns None when the action is allowed;
`allowed()` is the same question as a bool, for faces that grey out a key. Services
call `check` at the top of every operation; faces never test a role themselves.

Roles (DESIGN.md):
- admin: everything, including the desk's set-up (agents, teams, queues, SLA, rules,
  canned replies, shared views), bulk changes over the bulk limit, merging tickets of
  different requesters and deleting.
- agent: works tickets in the queues of their teams (or assigned to them, or in a queue
  no team owns); other queues are read-only or hidden, per `queue.outsiders`.
- observer: reads what an agent of every team could read; changes nothing.
Customers (the portal) reach only their own tickets; the desk itself (mail import,
rules, schedulers: `Actor.system()`, kind `rule`) may do everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from peewee import Expression

from deskterm.domain import Actor, NotFound, Refused, Role
from deskterm.store.db import db
from deskterm.store.models import Contact, Follower, Queue, Setting, Ticket


class Action(StrEnum):
    """Everything a service may be asked to do, by the permission it needs."""

    READ = "read"  # lists, reports, queues, canned replies: the desk as a reader
    TICKET_READ = "ticket.read"  # one ticket (resource: the ticket)
    TICKET_CREATE = "ticket.create"  # resource: the queue it goes to
    TICKET_WORK = "ticket.work"  # reply, note, status, assign, tags, snooze, time...
    CUSTOMER_MESSAGE = "ticket.customer_message"  # add the customer's words to a ticket
    CUSTOMER_RESOLVE = "ticket.customer_resolve"  # the customer marks their ticket resolved
    TICKET_MOVE = "ticket.move"  # resource: (ticket, target queue)
    TICKET_MERGE = "ticket.merge"  # resource: (source, target)
    BULK = "bulk"  # resource: how many tickets
    AUDIT_READ = "audit.read"  # the desk-wide audit trail (--agent, --since)
    TICKET_AUDIT = "ticket.audit"  # one ticket's audit trail: staff who may read the ticket
    OWN_VIEWS = "views.own"  # save or delete one's own views
    CONTACT_EDIT = "contacts.edit"  # a customer's language, SMS opt-in (resource: contact id)
    MAIL_IMPORT = "mail.import"  # pull mail in (the import itself acts as the system)
    RUN_JOBS = "jobs.run"  # rules, SLA checks, snooze wake-up, outbox, by hand or cron
    MANAGE_AGENTS = "agents.manage"
    MANAGE_TEAMS = "teams.manage"
    MANAGE_QUEUES = "queues.manage"
    MANAGE_SLA = "sla.manage"
    MANAGE_RULES = "rules.manage"
    MANAGE_CANNED = "canned.manage"
    MANAGE_DESK = "desk.manage"  # the desk's own settings: portal keys, search index
    SHARE_VIEWS = "views.share"
    DELETE = "delete"


#: What each action is called in a refusal: "ana (observer) may not <this>".
_DOING = {
    Action.READ: "read this desk",
    Action.TICKET_READ: "read this ticket",
    Action.TICKET_CREATE: "open tickets in this queue",
    Action.TICKET_WORK: "change tickets",
    Action.CUSTOMER_MESSAGE: "add customer messages",
    Action.CUSTOMER_RESOLVE: "resolve tickets as their customer",
    Action.TICKET_MOVE: "move tickets",
    Action.TICKET_MERGE: "merge tickets",
    Action.BULK: "change tickets in bulk",
    Action.AUDIT_READ: "read the desk's audit trail",
    Action.TICKET_AUDIT: "read a ticket's audit trail",
    Action.OWN_VIEWS: "save views",
    Action.CONTACT_EDIT: "change contacts",
    Action.MAIL_IMPORT: "import mail",
    Action.RUN_JOBS: "run the desk's jobs",
    Action.MANAGE_AGENTS: "manage agents",
    Action.MANAGE_TEAMS: "manage teams",
    Action.MANAGE_QUEUES: "manage queues",
    Action.MANAGE_SLA: "change SLA policies or calendars",
    Action.MANAGE_RULES: "change rules",
    Action.MANAGE_CANNED: "change canned replies",
    Action.MANAGE_DESK: "change the desk's settings",
    Action.SHARE_VIEWS: "change shared views",
    Action.DELETE: "delete",
}

_ADMIN_ONLY = {
    Action.MANAGE_AGENTS,
    Action.MANAGE_TEAMS,
    Action.MANAGE_QUEUES,
    Action.MANAGE_SLA,
    Action.MANAGE_RULES,
    Action.MANAGE_CANNED,
    Action.MANAGE_DESK,
    Action.SHARE_VIEWS,
    Action.DELETE,
}
_READING = {Action.READ, Action.TICKET_READ, Action.OWN_VIEWS}

#: Desk setting: bulk changes over this many tickets need an admin.
BULK_LIMIT_KEY = "access.bulk_limit"
DEFAULT_BULK_LIMIT = 25

OUTSIDERS = ("read", "hidden")

_writing_history: ContextVar[bool] = ContextVar("deskterm_writing_history", default=False)


@contextmanager
def writing_history() -> Iterator[None]:
    """Let `deskterm demo` write its made-up past as its agents, wherever they worked.

    Only the demo generator uses this: its history predates today's teams and roles.
    """
    token = _writing_history.set(True)
    try:
        yield
    finally:
        _writing_history.reset(token)


@dataclass(frozen=True)
class Principal:
    """An agent as the check sees them right now (role and teams read fresh each time)."""

    agent_id: int
    username: str
    role: Role
    enabled: bool
    team_ids: frozenset[int]

    def describe(self) -> str:
        return f"{self.username} ({self.role.value})"


#: The agent and their teams, read by every check (twice for a list: its check and its
#: scope): SQL text written once, not by the ORM each time (issue 13, hot paths).
_AGENT_SQL = 'SELECT "id", "username", "role", "enabled" FROM "agent" WHERE "id" = ?'
_TEAMS_SQL = 'SELECT "team_id" FROM "team_member" WHERE "agent_id" = ?'


def principal(actor: Actor) -> Principal:
    """The agent behind an agent Actor, as the database has them now."""
    row = db.execute_sql(_AGENT_SQL, (actor.agent_id,)).fetchone() if actor.agent_id else None
    if row is None:
        raise Refused(f"{actor.name!r} is not an agent of this desk")
    teams = frozenset(team for (team,) in db.execute_sql(_TEAMS_SQL, (row[0],)))
    return Principal(row[0], row[1], Role(row[2]), bool(row[3]), teams)


def bulk_limit() -> int:
    """How many tickets a non-admin may change in one bulk action."""
    row = Setting.get_or_none(Setting.key == BULK_LIMIT_KEY)
    return int(row.value) if row else DEFAULT_BULK_LIMIT


def allowed(actor: Actor, action: Action | str, resource: Any = None) -> bool:
    """Whether `check` would let this through."""
    try:
        check(actor, action, resource)
    except (Refused, NotFound):
        return False
    return True


def check(actor: Actor, action: Action | str, resource: Any = None) -> None:
    """Refuse (one clear line) unless `actor` may do `action` on `resource`."""
    action = Action(action)
    if actor.is_internal or _writing_history.get():
        return
    if actor.is_customer:
        _check_customer(actor, action, resource)
        return
    if action is Action.TICKET_AUDIT:  # the staff's side of a ticket, never a customer's
        check(actor, Action.TICKET_READ, resource)
        return
    who = principal(actor)
    if not who.enabled:
        raise Refused(
            f"agent {who.username} is disabled and can do nothing; "
            f"an admin can enable them with `deskterm agent set {who.username} --enable`"
        )
    if who.role is Role.ADMIN:
        return
    if action in _ADMIN_ONLY:
        raise Refused(f"{who.describe()} may not {_DOING[action]}: admins only")
    if action is Action.TICKET_READ:
        _check_read(who, _ticket(resource))
        return
    if action in _READING:
        return
    if action is Action.AUDIT_READ:
        if who.role is Role.OBSERVER:
            return
        raise Refused(f"{who.describe()} may not {_DOING[action]}: admins and observers only")
    if who.role is Role.OBSERVER:
        raise Refused(f"{who.describe()} is read-only and may not {_DOING[action]}")
    if action in (Action.TICKET_WORK, Action.CUSTOMER_MESSAGE, Action.CUSTOMER_RESOLVE):
        _check_work(who, _ticket(resource))
    elif action is Action.TICKET_CREATE:
        queue = resource if isinstance(resource, Queue) else None
        if queue is not None and not _owns_queue(who, queue):
            raise Refused(
                f"{who.describe()} may not open tickets in queue {queue.slug}: "
                "it belongs to another team"
            )
    elif action is Action.TICKET_MOVE:
        ticket, target = resource
        _check_work(who, _ticket(ticket))
        if not _owns_queue(who, target):
            raise Refused(
                f"{who.describe()} may not move tickets to queue {target.slug}: "
                "it belongs to another team"
            )
    elif action is Action.TICKET_MERGE:
        source, target = (_ticket(t) for t in resource)
        _check_work(who, source)
        _check_work(who, target)
        if source.requester_id != target.requester_id:
            raise Refused(
                f"{who.describe()} may not merge #{source.id} into #{target.id}: "
                "they have different requesters (admins only)"
            )
    elif action is Action.BULK:
        limit = bulk_limit()
        if int(resource or 0) > limit:
            raise Refused(
                f"{who.describe()} may not change {resource} tickets at once: "
                f"over {limit} needs an admin"
            )
    # MAIL_IMPORT, RUN_JOBS, CONTACT_EDIT: any agent who may change tickets.


# --- tickets ------------------------------------------------------------------


def _ticket(resource: Any) -> Ticket:
    if isinstance(resource, Ticket):
        return resource
    row = Ticket.get_or_none(Ticket.id == int(resource))
    if row is None:
        raise NotFound(f"no ticket #{resource}")
    return row


def _queue(queue_id: int) -> Queue:
    return Queue.get_by_id(queue_id)


def _owns_queue(who: Principal, queue: Queue) -> bool:
    return queue.team_id is None or queue.team_id in who.team_ids


def _owns_ticket(who: Principal, ticket: Ticket) -> bool:
    if ticket.assignee_id is not None and ticket.assignee_id == who.agent_id:
        return True
    if ticket.team_id is not None and ticket.team_id in who.team_ids:
        return True
    return _owns_queue(who, _queue(ticket.queue_id))


def _check_read(who: Principal, ticket: Ticket) -> None:
    if who.role is not Role.AGENT or _owns_ticket(who, ticket):
        return
    if _queue(ticket.queue_id).outsiders == "hidden":
        raise NotFound(f"no ticket #{ticket.id}")


def _check_work(who: Principal, ticket: Ticket) -> None:
    _check_read(who, ticket)
    if not _owns_ticket(who, ticket):
        queue = _queue(ticket.queue_id)
        raise Refused(
            f"{who.describe()} may read #{ticket.id} but not change it: "
            f"queue {queue.slug} belongs to another team"
        )


def _is_participant(contact_id: int, ticket: Ticket) -> bool:
    """Requester, follower, or of the requester's organisation (whether a desk shares
    organisation tickets is the portal's stricter check, `customer_access`, made first)."""
    if ticket.requester_id == contact_id:
        return True
    if Follower.select().where(
        (Follower.ticket == ticket.id) & (Follower.contact == contact_id)
    ).exists():
        return True
    orgs = {
        c.organisation_id
        for c in Contact.select(Contact.organisation).where(
            Contact.id.in_([contact_id, ticket.requester_id])
        )
    }
    return len(orgs) == 1 and None not in orgs


def _check_customer(actor: Actor, action: Action, resource: Any) -> None:
    """A customer reads and resolves the tickets they take part in, nothing else.

    Their messages are let through: which ticket a message joins is the channel's
    decision (mail threading by signed ids and participants; the portal's
    `customer_access.check`, made before it calls the ticket services).
    """
    if action in (Action.TICKET_CREATE, Action.CUSTOMER_MESSAGE):
        return
    if action is Action.TICKET_AUDIT:  # it names internal notes and the agents' steps
        _check_customer(actor, Action.TICKET_READ, resource)  # NotFound for others' tickets
        raise Refused("a ticket's audit trail is for the desk's staff")
    if action in (Action.TICKET_READ, Action.CUSTOMER_RESOLVE):
        ticket = _ticket(resource)
        if actor.contact_id is not None and _is_participant(actor.contact_id, ticket):
            return
        raise NotFound(f"no ticket #{ticket.id}")  # never reveal another customer's ticket
    if action is Action.CONTACT_EDIT and actor.contact_id is not None and (
        resource == actor.contact_id
    ):
        return  # their own language and SMS settings
    if action is Action.TICKET_WORK and resource is not None:
        _check_customer(actor, Action.TICKET_READ, resource)  # NotFound for others' tickets
    raise Refused("customers may only open, read and answer their own tickets")


def ticket_scope(actor: Actor) -> Expression | None:
    """A WHERE clause limiting a ticket list to what `actor` may see (None: everything).

    The same rule as `check(actor, TICKET_READ, ticket)`, as SQL, for lists and searches.
    """
    return scope_for(ticket_scope_key(actor))


def ticket_scope_key(actor: Actor) -> tuple | None:
    """What decides `ticket_scope(actor)`, as a plain value (None: everything), so a list
    can keep its SQL text per scope; refuses a disabled agent."""
    if actor.is_internal:
        return None
    if actor.is_customer:
        return ("customer", actor.contact_id or -1)
    check(actor, Action.READ)  # a disabled agent reads nothing
    who = principal(actor)
    if who.role is not Role.AGENT:
        return None
    return ("agent", actor.agent_id or -1, tuple(sorted(who.team_ids)) or (-1,))


def scope_for(key: tuple | None) -> Expression | None:
    """The WHERE clause of a `ticket_scope_key`."""
    if key is None:
        return None
    if key[0] == "customer":
        return Ticket.requester == key[1]
    _, agent_id, teams = key
    hidden = Queue.select(Queue.id).where(
        (Queue.outsiders == "hidden") & Queue.team.is_null(False) & Queue.team.not_in(list(teams))
    )
    mine = (Ticket.assignee == agent_id) | Ticket.team.in_(list(teams))
    return Ticket.queue.not_in(hidden) | mine


def set_bulk_limit(actor: Actor, limit: int) -> int:
    """Set how many tickets a non-admin may change in one bulk action (admins only)."""
    from deskterm.domain import BadInput
    from deskterm.services.trust import audit
    from deskterm.store.db import write_transaction

    if not 0 <= limit <= 1_000_000:
        raise BadInput("the bulk limit is a number of tickets from 0 to 1000000")
    with write_transaction():
        check(actor, Action.MANAGE_AGENTS)
        before = bulk_limit()
        Setting.insert(key=BULK_LIMIT_KEY, value=str(limit)).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: str(limit)}
        ).execute()  # an upsert both backends run (REPLACE is SQLite's only)
        if before != limit:
            audit.record(None, actor, "access.bulk_limit", BULK_LIMIT_KEY, before, limit)
    return limit
