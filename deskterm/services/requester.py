"""The requester side panel: who asked, their organisation and their other tickets."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import Case, fn

from deskterm.domain import ACTIVE_STATUSES, Actor, Contact, TicketRow
from deskterm.services import directory, tickets
from deskterm.services.finding import listing
from deskterm.services.trust import access
from deskterm.store.models import Contact as ContactRow
from deskterm.store.models import Ticket


@dataclass(frozen=True)
class RequesterSummary:
    contact: Contact
    ticket_count: int  # every ticket they asked, this one included
    open_count: int
    org_contacts: int  # people in their organisation (0: none)
    org_open: int  # active tickets of the whole organisation
    others: tuple[TicketRow, ...]  # their other tickets, active first, newest first


def requester_summary(
    ticket_id: int, limit: int = 15, actor: Actor | None = None
) -> RequesterSummary:
    """The requester of a ticket with their other tickets (open ones first; of those
    `actor` may read)."""
    if actor is not None:
        access.check(actor, access.Action.TICKET_READ, ticket_id)
    row = ContactRow.get_by_id(tickets.get_ticket(ticket_id).requester.id)
    active = [s.value for s in ACTIVE_STATUSES]
    mine = Ticket.select().where(
        (Ticket.requester == row.id) & Ticket.merged_into.is_null()
    )
    is_active = Case(None, [(Ticket.status.in_(active), 0)], 1)
    ids = [
        t.id
        for t in mine.select(Ticket.id)
        .where(Ticket.id != ticket_id)
        .order_by(is_active, Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    ]
    found = {}
    if ids:
        found = {
            r.id: r
            for r in listing.list_tickets(
                f"id:{','.join(map(str, ids))}", limit=limit, actor=actor
            )
        }
    org_contacts = org_open = 0
    if row.organisation_id:
        org_contacts = (
            ContactRow.select(fn.COUNT(ContactRow.id))
            .where(ContactRow.organisation == row.organisation_id)
            .scalar()
        )
        org_open = (
            Ticket.select(fn.COUNT(Ticket.id))
            .join(ContactRow, on=(Ticket.requester == ContactRow.id))
            .where(
                (ContactRow.organisation == row.organisation_id) & Ticket.status.in_(active)
            )
            .scalar()
        )
    return RequesterSummary(
        contact=directory.contact_info(row),
        ticket_count=mine.count(),
        open_count=mine.where(Ticket.status.in_(active)).count(),
        org_contacts=org_contacts,
        org_open=org_open,
        others=tuple(found[i] for i in ids if i in found),
    )
