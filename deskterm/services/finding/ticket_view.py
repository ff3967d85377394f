"""Turn ticket rows into the read models the faces see (TicketDetail, TicketRow)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from peewee import JOIN

from deskterm import clock, domain
from deskterm.domain import Delivery, EntryKind, Priority, Status, TicketRow
from deskterm.store.db import db
from deskterm.store.models import Agent, OutboxMessage, Queue, Team, Ticket, TicketTag
from deskterm.store.models import Contact as ContactRow

if TYPE_CHECKING:  # `domain.TicketDetail` and the rest load with the first ticket opened
    from deskterm.domain import AttachmentInfo, Contact, TicketDetail

#: When one reply went out as several messages, the worst status is the one to show.
_DELIVERY_ORDER = [Delivery.FAILED, Delivery.DEFERRED, Delivery.QUEUED, Delivery.SENT]


def delivery_by_entry(entry_ids: Iterable[int]) -> dict[int, Delivery]:
    """The delivery status of the mail each entry caused (worst of its messages)."""
    ids = list(entry_ids)
    result: dict[int, Delivery] = {}
    if not ids:
        return result
    query = OutboxMessage.select(OutboxMessage.entry, OutboxMessage.status).where(
        OutboxMessage.entry.in_(ids)
    )
    for msg in query:
        result[msg.entry_id] = _worst(result.get(msg.entry_id), Delivery(msg.status))
    return result


def _worst(current: Delivery | None, status: Delivery) -> Delivery:
    if current is None or _DELIVERY_ORDER.index(status) < _DELIVERY_ORDER.index(current):
        return status
    return current


def _when(value) -> datetime | None:
    """A stored (naive UTC) datetime, as text from raw SQL or a datetime, made aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return clock.to_utc(value)


def _contact(row: tuple) -> Contact:
    cid, name, email, phone, org, contract = row
    return domain.Contact(
        id=cid, name=name, email=email, phone=phone, organisation=org, contract_no=contract
    )


# Raw SQL on purpose: a ticket is opened on every keypress in the console and returned by
# every service call, and these few narrow queries cost a tenth of the ORM's.
_HEADER_SQL = """
SELECT q.slug, q.name, a.username, a.name, tm.slug
FROM ticket t JOIN queue q ON q.id = t.queue_id
LEFT JOIN agent a ON a.id = t.assignee_id LEFT JOIN team tm ON tm.id = t.team_id
WHERE t.id = ?"""
_PEOPLE_SQL = """
SELECT c.id, c.name, c.email, c.phone, o.name, c.contract_no
FROM contact c LEFT JOIN organisation o ON o.id = c.organisation_id
WHERE c.id = ? OR c.id IN (SELECT contact_id FROM follower WHERE ticket_id = ?)
ORDER BY c.email"""
_ENTRIES_SQL = """
SELECT e.id, e.kind, e.author, e.body, e.created_at, e.source_ticket, c.name, c.email
FROM entry e LEFT JOIN contact c ON c.id = e.contact_id
WHERE e.ticket_id = ? ORDER BY e.created_at, e.id"""
_FILES_SQL = """
SELECT a.entry_id, a.id, a.filename, a.content_type, a.size, a.sha256, a.path
FROM attachment a JOIN entry e ON e.id = a.entry_id WHERE e.ticket_id = ? ORDER BY a.id"""
_DELIVERY_SQL = """
SELECT entry_id, status, hold_until FROM outbox_message
WHERE ticket_id = ? AND entry_id IS NOT NULL"""


def detail(row: Ticket) -> TicketDetail:
    """Build the full TicketDetail for one ticket row."""
    run = db.execute_sql
    queue_slug, queue_name, assignee, assignee_name, team = run(_HEADER_SQL, (row.id,)).fetchone()
    people = {r[0]: _contact(r) for r in run(_PEOPLE_SQL, (row.requester_id, row.id))}
    files: dict[int, list[AttachmentInfo]] = {}
    for entry_id, *fields in run(_FILES_SQL, (row.id,)):
        files.setdefault(entry_id, []).append(domain.AttachmentInfo(*fields))
    delivery: dict[int, Delivery] = {}
    held: dict[int, datetime] = {}
    now = clock.now()
    for entry_id, status, hold_until in run(_DELIVERY_SQL, (row.id,)):
        delivery[entry_id] = _worst(delivery.get(entry_id), Delivery(status))
        until = _when(hold_until)
        if status == Delivery.QUEUED.value and until is not None and until > now:
            held[entry_id] = max(until, held.get(entry_id, until))
    thread = tuple(
        domain.ThreadEntry(
            id=eid,
            kind=EntryKind(kind),
            author=author or contact_name or "",
            author_email=contact_email,
            body=body,
            created_at=_when(created),
            attachments=tuple(files.get(eid, ())),
            delivery=delivery.get(eid) if kind == EntryKind.REPLY else None,
            source_ticket_id=source,
            held_until=held.get(eid) if kind == EntryKind.REPLY else None,
        )
        for eid, kind, author, body, created, source, contact_name, contact_email in run(
            _ENTRIES_SQL, (row.id,)
        )
    )
    tags = tuple(
        r[0]
        for r in run("SELECT name FROM ticket_tag WHERE ticket_id = ? ORDER BY name", (row.id,))
    )
    spent = run(
        "SELECT COALESCE(SUM(minutes), 0) FROM time_entry WHERE ticket_id = ?", (row.id,)
    ).fetchone()[0]
    return domain.TicketDetail(
        id=row.id,
        subject=row.subject,
        status=Status(row.status),
        priority=Priority(row.priority),
        queue=queue_slug,
        queue_name=queue_name,
        requester=people[row.requester_id],
        assignee=assignee,
        assignee_name=assignee_name,
        team=team,
        channel=row.channel,
        created_at=_when(row.created_at),
        updated_at=_when(row.updated_at),
        version=row.version,
        snoozed_until=_when(row.snoozed_until),
        merged_into=row.merged_into_id,
        linked_to=row.linked_to_id,
        followers=tuple(c for cid, c in people.items() if cid != row.requester_id),
        tags=tags,
        entries=thread,
        first_response_at=_when(row.first_response_at),
        first_response_due=_when(row.first_response_due),
        resolution_due=_when(row.resolution_due),
        sla_breached=bool(row.sla_breached),
        time_spent_minutes=spent,
    )


def row_select():
    """The SELECT used for ticket lists: ticket + queue, requester, assignee, team."""
    return (
        Ticket.select(
            Ticket,
            Queue.slug.alias("queue_slug"),
            ContactRow.name.alias("requester_name"),
            ContactRow.email.alias("requester_email"),
            Agent.username.alias("assignee_username"),
            Team.slug.alias("team_slug"),
        )
        .join(Queue, on=(Ticket.queue == Queue.id))
        .switch(Ticket)
        .join(ContactRow, on=(Ticket.requester == ContactRow.id))
        .switch(Ticket)
        .join(Agent, join_type=JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
        .switch(Ticket)
        .join(Team, join_type=JOIN.LEFT_OUTER, on=(Ticket.team == Team.id))
    )


def rows(query) -> list[TicketRow]:
    """Materialise a `row_select()` query as TicketRows (tags fetched in one query)."""
    fetched = list(query.objects())
    tags: dict[int, list[str]] = {}
    if fetched:
        for tag in TicketTag.select().where(TicketTag.ticket.in_([t.id for t in fetched])):
            tags.setdefault(tag.ticket_id, []).append(tag.name)
    return [
        TicketRow(
            id=t.id,
            subject=t.subject,
            status=Status(t.status),
            priority=Priority(t.priority),
            queue=t.queue_slug,
            requester=t.requester_name or t.requester_email,
            requester_email=t.requester_email,
            assignee=t.assignee_username,
            team=t.team_slug,
            created_at=clock.to_utc(t.created_at),
            updated_at=clock.to_utc(t.updated_at),
            version=t.version,
            tags=tuple(sorted(tags.get(t.id, ()))),
            first_response_due=_when(t.first_response_due),
            resolution_due=_when(t.resolution_due),
            sla_breached=bool(t.sla_breached),
        )
        for t in fetched
    ]
