"""Turn ticket rows into the read models the faces see (TicketDetail, TicketRow)."""

from __future__ import annotations

from collections.abc import Iterable

from peewee import JOIN, fn

from deskterm import clock
from deskterm.domain import (
    Delivery,
    EntryKind,
    Priority,
    Status,
    ThreadEntry,
    TicketDetail,
    TicketRow,
)
from deskterm.services import attachments
from deskterm.services.directory import contact_info
from deskterm.store.models import (
    Agent,
    Attachment,
    Contact,
    Entry,
    Follower,
    OutboxMessage,
    Queue,
    Team,
    Ticket,
    TicketTag,
    TimeEntry,
)

#: When one reply went out as several messages, the worst status is the one to show.
_DELIVERY_ORDER = [Delivery.FAILED, Delivery.DEFERRED, Delivery.QUEUED, Delivery.SENT]


def _utc(value):
    return clock.to_utc(value) if value is not None else None


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
        status = Delivery(msg.status)
        current = result.get(msg.entry_id)
        if current is None or _DELIVERY_ORDER.index(status) < _DELIVERY_ORDER.index(current):
            result[msg.entry_id] = status
    return result


def detail(row: Ticket) -> TicketDetail:
    """Build the full TicketDetail for one ticket row."""
    entries = list(
        Entry.select().where(Entry.ticket == row.id).order_by(Entry.created_at, Entry.id)
    )
    files: dict[int, list] = {}
    for att in Attachment.select().where(Attachment.entry.in_([e.id for e in entries])):
        files.setdefault(att.entry_id, []).append(attachments.info(att))
    delivery = delivery_by_entry(e.id for e in entries if e.kind == EntryKind.REPLY)
    contact_ids = [e.contact_id for e in entries if e.contact_id]
    contacts = {c.id: c for c in Contact.select().where(Contact.id.in_(contact_ids))}
    thread = tuple(
        ThreadEntry(
            id=e.id,
            kind=EntryKind(e.kind),
            author=e.author or (contacts[e.contact_id].name if e.contact_id in contacts else ""),
            author_email=contacts[e.contact_id].email if e.contact_id in contacts else None,
            body=e.body,
            created_at=clock.to_utc(e.created_at),
            attachments=tuple(files.get(e.id, ())),
            delivery=delivery.get(e.id),
            source_ticket_id=e.source_ticket,
        )
        for e in entries
    )
    followers = tuple(
        contact_info(f.contact)
        for f in Follower.select(Follower, Contact).join(Contact).where(Follower.ticket == row.id)
    )
    tags = tuple(
        t.name
        for t in TicketTag.select().where(TicketTag.ticket == row.id).order_by(TicketTag.name)
    )
    spent = (
        TimeEntry.select(fn.COALESCE(fn.SUM(TimeEntry.minutes), 0))
        .where(TimeEntry.ticket == row.id)
        .scalar()
    )
    assignee = row.assignee if row.assignee_id else None
    return TicketDetail(
        id=row.id,
        subject=row.subject,
        status=Status(row.status),
        priority=Priority(row.priority),
        queue=row.queue.slug,
        queue_name=row.queue.name,
        requester=contact_info(row.requester),
        assignee=assignee.username if assignee else None,
        assignee_name=assignee.name if assignee else None,
        team=row.team.slug if row.team_id else None,
        channel=row.channel,
        created_at=clock.to_utc(row.created_at),
        updated_at=clock.to_utc(row.updated_at),
        version=row.version,
        snoozed_until=_utc(row.snoozed_until),
        merged_into=row.merged_into_id,
        linked_to=row.linked_to_id,
        followers=followers,
        tags=tags,
        entries=thread,
        first_response_at=_utc(row.first_response_at),
        first_response_due=_utc(row.first_response_due),
        resolution_due=_utc(row.resolution_due),
        sla_breached=bool(row.sla_breached),
        time_spent_minutes=spent,
    )


def row_select():
    """The SELECT used for ticket lists: ticket + queue, requester, assignee, team."""
    return (
        Ticket.select(
            Ticket,
            Queue.slug.alias("queue_slug"),
            Contact.name.alias("requester_name"),
            Contact.email.alias("requester_email"),
            Agent.username.alias("assignee_username"),
            Team.slug.alias("team_slug"),
        )
        .join(Queue, on=(Ticket.queue == Queue.id))
        .switch(Ticket)
        .join(Contact, on=(Ticket.requester == Contact.id))
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
            first_response_due=_utc(t.first_response_due),
            resolution_due=_utc(t.resolution_due),
            sla_breached=bool(t.sla_breached),
        )
        for t in fetched
    ]
