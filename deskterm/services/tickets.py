"""Ticket operations: create, thread entries, field changes, snooze, merge.

Each public function is one transaction that writes its audit events and emits a
`signals.Change` for SLA, rules and mail. Updates accept the `expected_version` the
caller loaded and raise Conflict instead of overwriting a newer change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from peewee import fn

from deskterm import clock
from deskterm.domain import (
    REOPENED_BY_CUSTOMER,
    Actor,
    BadInput,
    Channel,
    Conflict,
    EntryKind,
    NewAttachment,
    NotFound,
    Priority,
    Refused,
    Status,
    TicketDetail,
)
from deskterm.services import attachments, directory, signals
from deskterm.services.finding.ticket_view import detail
from deskterm.services.trust import access, audit
from deskterm.services.trust.access import Action
from deskterm.services.values import (
    NO_TAG,
    check_name,
    clean_tags,
    given_tags,
    parse_priority,
    parse_status,
    resolve_ref,
)
from deskterm.store import search
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, Entry, Follower, Mention, Ticket, TicketTag, TimeEntry
from deskterm.store.models import Contact as ContactRow

_MENTION = re.compile(r"(?<![\w@])@([\w.-]+)")
#: An @username mention in a note (rules write notes as sets with the same rule).
MENTION = _MENTION


# --- internals ----------------------------------------------------------------


_ROW_SQL = 'SELECT * FROM "ticket" WHERE "id" = ?'


def _row(ticket_id: int) -> Ticket:
    # A raw query: every operation loads its row, and the ORM's SQL building costs 4x more.
    row = next(iter(Ticket.raw(_ROW_SQL, ticket_id)), None)
    if row is None:
        raise NotFound(f"no ticket #{ticket_id}")
    return row


def _work_row(actor: Actor, ticket_id: int, expected_version: int | None = None) -> Ticket:
    """The ticket's row, once `actor` may change it (Refused or NotFound otherwise) and it
    is still at `expected_version` (Conflict otherwise)."""
    row = _row(ticket_id)
    access.check(actor, Action.TICKET_WORK, row)
    _expect(row, expected_version)
    return row


def _expect(row: Ticket, expected_version: int | None) -> None:
    """Conflict unless the ticket is at the version the caller loaded (None: any).

    Checked before anything else, so a stale caller is refused even when the change
    would leave the ticket as it is."""
    if expected_version is not None and expected_version != row.version:
        raise Conflict(
            f"ticket #{row.id} changed since you loaded it (version {expected_version}, "
            f"now {row.version}); reload and try again"
        )


def _now_db() -> datetime:
    return clock.to_db(clock.now())


def _bump(row: Ticket, expected_version: int | None, **changes: object) -> None:
    """Write `changes`, bump version and updated_at, or raise Conflict if someone was first."""
    _expect(row, expected_version)
    changes.setdefault("updated_at", _now_db())
    updated = (
        Ticket.update(version=Ticket.version + 1, **changes)
        .where((Ticket.id == row.id) & (Ticket.version == row.version))
        .execute()
    )
    if updated != 1:
        raise Conflict(f"ticket #{row.id} was changed by someone else just now; reload")
    row.version += 1
    for key, value in changes.items():
        setattr(row, key, value)


def _not_closed(row: Ticket) -> None:
    if row.status == Status.CLOSED:
        raise Refused(f"ticket #{row.id} is closed; closed tickets are final")


def _add_entry(
    row: Ticket,
    kind: EntryKind,
    body: str,
    actor: Actor,
    *,
    attachments_in: Sequence[NewAttachment] = (),
    message_id: str | None = None,
    at: datetime | None = None,
    contact_id: int | None = None,
) -> Entry:
    author = actor.name
    contact_id = contact_id or actor.contact_id
    if actor.agent_id and kind is not EntryKind.CUSTOMER:
        agent = Agent.get_by_id(actor.agent_id)
        author = agent.name or agent.username
    elif contact_id:
        contact = ContactRow.get_by_id(contact_id)
        author = contact.name or contact.email
    entry = Entry.create(
        ticket=row.id,
        kind=kind.value,
        agent=actor.agent_id,
        contact=contact_id,
        author=author,
        body=body,
        created_at=clock.to_db(at) if at else _now_db(),
        message_id=message_id,
    )
    for item in attachments_in:
        attachments.store(entry.id, item)
    if kind is not EntryKind.SYSTEM:
        search.index_entry(row.id, entry.id, body)
    return entry


def _customer_entry(
    row: Ticket,
    contact: ContactRow,
    body: str,
    files: Sequence[NewAttachment],
    message_id: str | None,
    at: datetime | None,
) -> Entry:
    """A message written by the customer `contact` (whoever typed it in)."""
    customer = Actor("customer", contact.email, contact_id=contact.id)
    return _add_entry(
        row, EntryKind.CUSTOMER, body or "", customer,
        attachments_in=files, message_id=message_id, at=at,
    )


def _system_line(row: Ticket, actor: Actor, text: str) -> None:
    _add_entry(row, EntryKind.SYSTEM, text, actor)


def _change_status(row: Ticket, actor: Actor, new: Status, expected_version: int | None) -> None:
    """Set the status inside an open transaction, with its timestamps, event and signal."""
    old = Status(row.status)
    _expect(row, expected_version)
    if old == new:
        return
    _not_closed(row)
    changes: dict[str, object] = {"status": new.value}
    now = _now_db()
    if new is Status.RESOLVED:
        changes["resolved_at"] = now
    if new is Status.CLOSED:
        changes["closed_at"] = now
        changes["resolved_at"] = row.resolved_at or now
    if old is Status.POSTPONED:
        changes["snoozed_until"] = None
    _bump(row, expected_version, **changes)
    audit.record(row.id, actor, "status", "status", old.value, new.value)
    signals.emit(signals.Change("status", row.id, actor, field="status", before=old, after=new))


def _require_text(body: str, what: str) -> str:
    if not body or not body.strip():
        raise BadInput(f"{what} is empty")
    return body


# --- create -------------------------------------------------------------------


@retry_when_busy
def create_ticket(
    actor: Actor,
    *,
    subject: str,
    body: str,
    requester_email: str,
    requester_name: str | None = None,
    queue: str | None = None,
    priority: str | Priority = Priority.NORMAL,
    channel: str = "agent",
    tags: Iterable[str] = (),
    followers: Iterable[str] = (),
    attachments: Sequence[NewAttachment] = (),
    message_id: str | None = None,
    created_at: datetime | None = None,
    status: str | Status = Status.NEW,
    linked_to: int | None = None,
) -> TicketDetail:
    """Open a ticket with its first (customer) message."""
    subject = (subject or "").strip()
    if not subject:
        raise BadInput("subject is empty")
    prio = parse_priority(priority)
    if channel not in tuple(Channel):
        raise BadInput(
            f"bad channel {channel!r}: expected one of {', '.join(c.value for c in Channel)}"
        )
    start_status = parse_status(status)
    tag_names = given_tags(tags)
    if requester_name and requester_name.strip() and channel != Channel.EMAIL:
        # a name someone typed (console, CLI, portal) follows the set-up commands' rule;
        # a sender's name from a mail header is the parser's to clean
        requester_name = check_name(requester_name, "requester name")
    at = clock.to_db(created_at) if created_at else _now_db()
    with write_transaction():
        requester = directory.ensure_contact_row(requester_email, requester_name)
        if actor.is_customer and actor.contact_id not in (None, requester.id):
            raise Refused("customers open tickets for themselves only")
        queue_row = directory.queue_row(queue)
        access.check(actor, Action.TICKET_CREATE, queue_row)
        if linked_to is not None:
            _row(linked_to)
        row = Ticket.create(
            subject=subject,
            status=start_status.value,
            priority=prio.value,
            priority_rank=prio.rank,
            queue=queue_row,
            requester=requester,
            team=queue_row.team_id,
            channel=channel,
            created_at=at,
            updated_at=at,
            linked_to=linked_to,
        )
        search.index_subject(row.id, subject)
        entry = _customer_entry(row, requester, body, attachments, message_id, created_at)
        for name in tag_names:
            TicketTag.create(ticket=row.id, name=name)
        for email in followers:
            follower = directory.ensure_contact_row(email)
            if follower.id != requester.id:
                Follower.get_or_create(ticket=row.id, contact=follower)
        audit.record(row.id, actor, "created", None, None, subject)
        if linked_to is not None:
            audit.record(row.id, actor, "linked", "linked_to", None, linked_to)
        signals.emit(signals.Change("created", row.id, actor, entry_id=entry.id))
    return get_ticket(row.id)


# --- thread entries -------------------------------------------------------------


@retry_when_busy
def add_customer_message(
    actor: Actor,
    ticket_id: int,
    *,
    body: str,
    from_email: str,
    attachments: Sequence[NewAttachment] = (),
    message_id: str | None = None,
    cc: Iterable[str] = (),
    at: datetime | None = None,
) -> TicketDetail:
    """Add a customer's message; it reopens a pending, resolved or postponed ticket."""
    with write_transaction():
        row = _row(ticket_id)
        access.check(actor, Action.CUSTOMER_MESSAGE, row)
        _not_closed(row)
        contact = directory.ensure_contact_row(from_email)
        entry = _customer_entry(row, contact, body, attachments, message_id, at)
        for email in cc:
            _follow(row, actor, email)
        _bump(row, None)
        audit.record(row.id, actor, "customer_message", None, None, entry.id)
        signals.emit(signals.Change("customer_message", row.id, actor, entry_id=entry.id))
        row = _row(ticket_id)  # listeners (rules) may have changed it
        if Status(row.status) in REOPENED_BY_CUSTOMER:
            _change_status(row, actor, Status.OPEN, None)
    return get_ticket(ticket_id)


@retry_when_busy
def reply(
    actor: Actor,
    ticket_id: int,
    body: str,
    *,
    attachments: Sequence[NewAttachment] = (),
    set_status: str | Status | None = None,
    expected_version: int | None = None,
) -> TicketDetail:
    """Send a public reply to the requester and followers (optionally setting a status)."""
    _require_text(body, "reply")
    new_status = parse_status(set_status) if set_status else None
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        _not_closed(row)
        entry = _add_entry(row, EntryKind.REPLY, body, actor, attachments_in=attachments)
        changes: dict[str, object] = {}
        if row.first_response_at is None:
            changes["first_response_at"] = entry.created_at
        _bump(row, expected_version, **changes)
        audit.record(row.id, actor, "reply", None, None, entry.id)
        signals.emit(signals.Change("reply", row.id, actor, entry_id=entry.id))
        row = _row(ticket_id)  # listeners (rules) may have changed it
        target = new_status or (Status.OPEN if row.status == Status.NEW else None)
        if target is not None and row.status != Status.CLOSED:
            _change_status(row, actor, target, None)
    return get_ticket(ticket_id)


@retry_when_busy
def add_note(
    actor: Actor,
    ticket_id: int,
    body: str,
    *,
    attachments: Sequence[NewAttachment] = (),
    expected_version: int | None = None,
) -> TicketDetail:
    """Add an internal note (never sent to the customer); `@username` mentions an agent."""
    _require_text(body, "note")
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        entry = _add_entry(row, EntryKind.NOTE, body, actor, attachments_in=attachments)
        for username in dict.fromkeys(_MENTION.findall(body)):
            agent = Agent.get_or_none(Agent.username == username)
            if agent is not None:
                Mention.create(entry=entry, agent=agent)
        _bump(row, expected_version)
        audit.record(row.id, actor, "note", None, None, entry.id)
        signals.emit(signals.Change("note", row.id, actor, entry_id=entry.id))
    return get_ticket(ticket_id)


def attach(
    actor: Actor,
    ticket_id: int,
    files: Sequence[NewAttachment],
    *,
    note: str = "",
    expected_version: int | None = None,
) -> TicketDetail:
    """Attach files to a ticket as an internal note carrying them."""
    if not files:
        raise BadInput("no files to attach")
    names = ", ".join(f.filename for f in files)
    return add_note(
        actor,
        ticket_id,
        note or f"Attached {names}",
        attachments=files,
        expected_version=expected_version,
    )


# --- field changes --------------------------------------------------------------


@retry_when_busy
def set_status(
    actor: Actor, ticket_id: int, status: str | Status, *, expected_version: int | None = None
) -> TicketDetail:
    """Change the status (use `snooze` for postponed)."""
    new = parse_status(status)
    if new is Status.POSTPONED:
        raise BadInput("use snooze with a time to postpone a ticket")
    with write_transaction():
        row = _row(ticket_id)
        by_customer = actor.is_customer and new is Status.RESOLVED
        access.check(actor, Action.CUSTOMER_RESOLVE if by_customer else Action.TICKET_WORK, row)
        _change_status(row, actor, new, expected_version)
    return get_ticket(ticket_id)


def _set_field(
    actor: Actor,
    row: Ticket,
    field: str,
    before: object,
    after: object,
    expected_version: int | None,
    **changes: object,
) -> None:
    if before == after:
        return
    _bump(row, expected_version, **changes)
    audit.record(row.id, actor, field, field, before, after)
    signals.emit(signals.Change(field, row.id, actor, field=field, before=before, after=after))


@retry_when_busy
def set_priority(
    actor: Actor, ticket_id: int, priority: str | Priority, *, expected_version: int | None = None
) -> TicketDetail:
    """Change the priority."""
    new = parse_priority(priority)
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        _not_closed(row)
        _set_field(
            actor,
            row,
            "priority",
            row.priority,
            new.value,
            expected_version,
            priority=new.value,
            priority_rank=new.rank,
        )
    return get_ticket(ticket_id)


@retry_when_busy
def set_queue(
    actor: Actor, ticket_id: int, queue: str, *, expected_version: int | None = None
) -> TicketDetail:
    """Move the ticket to another queue."""
    with write_transaction():
        row = _row(ticket_id)
        target = directory.queue_row(queue)
        access.check(actor, Action.TICKET_MOVE, (row, target))
        _expect(row, expected_version)
        _not_closed(row)
        _set_field(
            actor, row, "queue", row.queue.slug, target.slug, expected_version, queue=target.id
        )
    return get_ticket(ticket_id)


@retry_when_busy
def assign(
    actor: Actor,
    ticket_id: int,
    agent: str | None,
    *,
    team: str | None = None,
    expected_version: int | None = None,
) -> TicketDetail:
    """Assign to an agent (None unassigns) and/or a team."""
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        _not_closed(row)
        _assign_row(actor, row, agent, team=team)
    return get_ticket(ticket_id)


def _assign_row(
    actor: Actor,
    row: Ticket,
    agent: str | None,
    *,
    team: str | None = None,
) -> None:
    new_agent = directory.agent_row(agent) if agent else None
    if new_agent is not None and not new_agent.enabled:
        raise Refused(f"agent {new_agent.username} is disabled; pick someone else")
    before = row.assignee.username if row.assignee_id else None
    after = new_agent.username if new_agent else None
    _set_field(
        actor,
        row,
        "assignee",
        before,
        after,
        None,
        assignee=new_agent.id if new_agent else None,
    )
    if team is not None:
        new_team = directory.team_row(team)
        old_team = row.team.slug if row.team_id else None
        _set_field(actor, row, "team", old_team, new_team.slug, None, team=new_team.id)


#: `update_fields(assignee=KEEP)` leaves the assignee as it is (None unassigns).
KEEP = object()


@retry_when_busy
def update_fields(
    actor: Actor,
    ticket_id: int,
    *,
    status: Status | None = None,
    priority: Priority | None = None,
    queue: str | None = None,
    assignee: str | None | object = KEEP,
    team: str | None = None,
    tags_add: Iterable[str] = (),
    tags_remove: Iterable[str] = (),
) -> bool:
    """Change several fields of one ticket (the bulk path): events and signals as usual,
    but no TicketDetail is built. Values must be parsed already. True if anything changed."""
    with write_transaction():
        row = _work_row(actor, ticket_id)
        _not_closed(row)
        before = row.version
        if priority is not None:
            _set_field(
                actor,
                row,
                "priority",
                row.priority,
                priority.value,
                None,
                priority=priority.value,
                priority_rank=priority.rank,
            )
        if queue is not None:
            target = directory.queue_row(queue)
            access.check(actor, Action.TICKET_MOVE, (row, target))
            _set_field(actor, row, "queue", row.queue.slug, target.slug, None, queue=target.id)
        if assignee is not KEEP or team is not None:
            current = row.assignee.username if row.assignee_id else None
            _assign_row(actor, row, current if assignee is KEEP else assignee, team=team)
        if tags_add or tags_remove:
            _tag_row(actor, row, add=tags_add, remove=tags_remove)
        if status is not None:
            _change_status(row, actor, status, None)
        return row.version != before


@retry_when_busy
def add_tags(
    actor: Actor, ticket_id: int, tags: Iterable[str], *, expected_version: int | None = None
) -> TicketDetail:
    """Add tags (existing ones are left alone); BadInput when no tag is given."""
    names = given_tags(tags)
    if not names:
        raise BadInput(NO_TAG)
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        _tag_row(actor, row, add=names)
    return get_ticket(ticket_id)


@retry_when_busy
def remove_tags(
    actor: Actor, ticket_id: int, tags: Iterable[str], *, expected_version: int | None = None
) -> TicketDetail:
    """Remove tags (missing ones are ignored)."""
    names = clean_tags(tags)
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        _tag_row(actor, row, remove=names)
    return get_ticket(ticket_id)


def _tag_row(
    actor: Actor, row: Ticket, *, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> None:
    before = {t.name for t in TicketTag.select().where(TicketTag.ticket == row.id)}
    after = (before | set(add)) - set(remove)
    if after == before:
        return
    for name in after - before:
        TicketTag.create(ticket=row.id, name=name)
    if before - after:
        TicketTag.delete().where(
            (TicketTag.ticket == row.id) & (TicketTag.name.in_(list(before - after)))
        ).execute()
    _bump(row, None)
    audit.record(row.id, actor, "tags", "tags", sorted(before), sorted(after))
    signals.emit(
        signals.Change(
            "tags", row.id, actor, field="tags", before=sorted(before), after=sorted(after)
        )
    )


@retry_when_busy
def snooze(
    actor: Actor, ticket_id: int, until: datetime, *, expected_version: int | None = None
) -> TicketDetail:
    """Postpone the ticket until `until`; it wakes up (open) when the time comes."""
    until_utc = clock.to_utc(until)
    if until_utc <= clock.now():
        from deskterm.services.trust.identity import zone_of
        from deskterm.services.when import written

        shown = written(until_utc, zone_of(actor))  # as the agent reads times
        raise BadInput(f"{shown} is in the past: snooze needs a later time")
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        _not_closed(row)
        old = Status(row.status)
        _bump(
            row,
            expected_version,
            status=Status.POSTPONED.value,
            snoozed_until=clock.to_db(until_utc),
        )
        audit.record(row.id, actor, "snoozed", "snoozed_until", None, until_utc.isoformat())
        if old is not Status.POSTPONED:
            audit.record(row.id, actor, "status", "status", old.value, Status.POSTPONED.value)
            signals.emit(
                signals.Change(
                    "status", row.id, actor, field="status", before=old, after=Status.POSTPONED
                )
            )
        signals.emit(signals.Change("snoozed", row.id, actor, after=until_utc))
    return get_ticket(ticket_id)


@retry_when_busy
def wake_snoozed(actor: Actor | None = None) -> list[int]:
    """Reopen every postponed ticket whose snooze time has passed; return their ids."""
    actor = actor or Actor.system("snooze")
    access.check(actor, Action.RUN_JOBS)
    due = [
        t.id
        for t in Ticket.select(Ticket.id).where(
            (Ticket.status == Status.POSTPONED.value) & (Ticket.snoozed_until <= _now_db())
        )
    ]
    with write_transaction():
        for ticket_id in due:
            _change_status(_row(ticket_id), actor, Status.OPEN, None)
    return due


def _follow(row: Ticket, actor: Actor, email: str, name: str | None = None) -> bool:
    contact = directory.ensure_contact_row(email, name)
    if contact.id == row.requester_id:
        return False
    _, created = Follower.get_or_create(ticket=row.id, contact=contact)
    if created:
        audit.record(row.id, actor, "follower", "followers", None, contact.email)
        signals.emit(
            signals.Change("follower", row.id, actor, field="followers", after=contact.email)
        )
    return created


@retry_when_busy
def add_follower(
    actor: Actor,
    ticket_id: int,
    email: str,
    name: str | None = None,
    *,
    expected_version: int | None = None,
) -> TicketDetail:
    """CC a contact on the ticket's public replies."""
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        if _follow(row, actor, email, name):
            _bump(row, None)
    return get_ticket(ticket_id)


@retry_when_busy
def remove_follower(
    actor: Actor, ticket_id: int, email: str, *, expected_version: int | None = None
) -> TicketDetail:
    """Stop CC'ing a contact."""
    address = directory.normalise_email(email)
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        contact = directory.find_contact(address)
        if contact is None:
            raise NotFound(f"{address} does not follow #{ticket_id}")
        deleted = (
            Follower.delete()
            .where((Follower.ticket == row.id) & (Follower.contact == contact.id))
            .execute()
        )
        if not deleted:
            raise NotFound(f"{address} does not follow #{ticket_id}")
        _bump(row, None)
        audit.record(row.id, actor, "follower", "followers", address, None)
    return get_ticket(ticket_id)


@retry_when_busy
def log_time(
    actor: Actor,
    ticket_id: int,
    minutes: int,
    note: str = "",
    *,
    expected_version: int | None = None,
) -> TicketDetail:
    """Record time an agent spent on the ticket."""
    if minutes <= 0:
        raise BadInput("minutes must be a positive number")
    with write_transaction():
        row = _work_row(actor, ticket_id, expected_version)
        TimeEntry.create(
            ticket=row.id, agent=actor.agent_id, minutes=minutes, note=note, at=_now_db()
        )
        _bump(row, None)
        audit.record(row.id, actor, "time", "time_spent", None, minutes)
    return get_ticket(ticket_id)


# --- merge ----------------------------------------------------------------------


def merge_warning(source_id: int, target_id: int) -> str | None:
    """What an agent must know before merging: tickets of different requesters."""
    source, target = _row(source_id), _row(target_id)
    if source.requester_id == target.requester_id:
        return None
    return (f"#{source_id} is from {source.requester.email} and #{target_id} from "
            f"{target.requester.email}: their people are not added as followers of "
            f"#{target_id} (add them with `ticket follow`, or merge with --add-followers)")


@retry_when_busy
def merge(
    actor: Actor,
    source_id: int,
    target_id: int,
    *,
    add_followers: bool = False,
    expected_version: int | None = None,
    expected_target_version: int | None = None,
) -> TicketDetail:
    """Merge ticket `source_id` into `target_id`.

    The source's thread moves into the target (time order is kept by entry time) and
    tags are unioned; the source is closed with a pointer to the target. The source's
    requester and followers follow the target only when both have the same requester, or
    when asked (`add_followers`): nobody starts getting another customer's replies silently.
    `expected_version` is the source's, `expected_target_version` the target's.
    """
    if source_id == target_id:
        raise BadInput("cannot merge a ticket into itself")
    with write_transaction():
        source, target = _row(source_id), _row(target_id)
        access.check(actor, Action.TICKET_MERGE, (source, target))
        _expect(source, expected_version)
        _expect(target, expected_target_version)
        if source.merged_into_id:
            raise Refused(f"#{source_id} is already merged into #{source.merged_into_id}")
        _not_closed(target)
        if target.merged_into_id:
            raise Refused(f"#{target_id} was merged into #{target.merged_into_id}; merge there")
        Entry.update(ticket=target.id, source_ticket=source.id).where(
            Entry.ticket == source.id
        ).execute()
        search.move_ticket(source.id, target.id)
        source_tags = [t.name for t in TicketTag.select().where(TicketTag.ticket == source.id)]
        _tag_row(actor, target, add=source_tags)
        emails = [source.requester.email] + [
            f.contact.email for f in Follower.select().where(Follower.ticket == source.id)
        ]
        if add_followers or source.requester_id == target.requester_id:
            for email in emails:
                _follow(target, actor, email)
        else:
            _system_line(target, actor, f"Not added as followers (other requester): "
                                        f"{', '.join(dict.fromkeys(emails))}")
        _system_line(target, actor, f"Merged #{source.id} ({source.subject}) into this ticket")
        _bump(target, None)
        old_status = source.status
        now = _now_db()
        _bump(
            source,
            None,
            status=Status.CLOSED.value,
            merged_into=target.id,
            closed_at=now,
            resolved_at=source.resolved_at or now,
        )
        _system_line(source, actor, f"Merged into #{target.id}")
        audit.record(source.id, actor, "merged", "merged_into", None, target.id)
        audit.record(source.id, actor, "status", "status", old_status, Status.CLOSED.value)
        audit.record(target.id, actor, "merged_in", "merged_from", None, source.id)
        signals.emit(signals.Change("merged", target.id, actor, before=source.id, after=target.id))
    return get_ticket(target_id)


def add_system_line(actor: Actor, ticket_id: int, text: str) -> None:
    """A system line on the thread (how a message came in, what was not done)."""
    with write_transaction():
        _system_line(_row(ticket_id), actor, text)


def surviving_ticket(ticket_id: int) -> int:
    """Follow merge pointers to the ticket that carries the thread now."""
    seen = set()
    current = _row(ticket_id)
    while current.merged_into_id and current.id not in seen:
        seen.add(current.id)
        current = _row(current.merged_into_id)
    return current.id


# --- reading --------------------------------------------------------------------


def get_ticket(ticket_id: int | str) -> TicketDetail:
    """The whole ticket: header, people, tags and thread in time order.

    No permission check: services use it after their own. Faces call `read_ticket`."""
    return detail(_row(resolve_ref(ticket_id)))


def read_ticket(actor: Actor, ticket_id: int | str) -> TicketDetail:
    """The whole ticket, for someone who may read it (NotFound when it is hidden)."""
    row = _row(resolve_ref(ticket_id))
    access.check(actor, Action.TICKET_READ, row)
    return detail(row)


def work_refusal(actor: Actor, ticket_id: int) -> str | None:
    """Why `actor`, who may read the ticket, may not change it (a queue of another team, an
    observer), said before they try; None when they may."""
    try:
        access.check(actor, Action.TICKET_WORK, _row(ticket_id))
    except Refused as refused:
        return str(refused)
    return None


def time_spent(ticket_id: int) -> int:
    """Minutes logged on the ticket."""
    return (
        TimeEntry.select(fn.COALESCE(fn.SUM(TimeEntry.minutes), 0))
        .where(TimeEntry.ticket == ticket_id)
        .scalar()
    )
