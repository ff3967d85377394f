"""What a customer may do: the portal's one ownership check.

Shaped like the desk's permission entry point, `check(actor, action, resource)`: a
customer (a `CustomerScope`) may act only on tickets they requested (and on their
organisation's, where the desk enables it); a tracking link's scope opens its one ticket
and allows only `TRACKING_ACTIONS`. Anything else is NotFound with the same words as a
ticket that does not exist, so no answer tells whether a ticket number is in use.
"""

from __future__ import annotations

from deskterm.domain import CustomerScope, NotFound
from deskterm.store.models import Contact, Ticket

ACTIONS = frozenset({"ticket.view", "ticket.reply", "ticket.resolve", "attachment.read"})
TRACKING_ACTIONS = frozenset({"ticket.view", "ticket.reply", "attachment.read"})
NOT_FOUND = "no such ticket"


def _organisation(contact_id: int) -> int | None:
    row = Contact.select(Contact.organisation).where(Contact.id == contact_id).first()
    return row.organisation_id if row else None


def owns(scope: CustomerScope, requester_id: int, *, organisation_tickets: bool) -> bool:
    """Whether the ticket's requester is this customer (or their organisation, if shared)."""
    if requester_id == scope.contact_id:
        return True
    if not organisation_tickets or scope.ticket_id is not None:
        return False
    mine = _organisation(scope.contact_id)
    return mine is not None and mine == _organisation(requester_id)


def check(scope: CustomerScope, action: str, ticket_id: int, *,
          organisation_tickets: bool = False) -> Ticket:
    """The ticket row if `scope` may do `action` on it; NotFound otherwise."""
    if action not in ACTIONS:
        raise ValueError(f"unknown customer action {action!r}")
    if scope.ticket_id is not None and (scope.ticket_id != ticket_id
                                        or action not in TRACKING_ACTIONS):
        raise NotFound(NOT_FOUND)
    row = Ticket.get_or_none(Ticket.id == ticket_id)
    if row is None or not owns(scope, row.requester_id,
                               organisation_tickets=organisation_tickets):
        raise NotFound(NOT_FOUND)
    return row
