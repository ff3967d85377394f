"""What a customer may do in the portal, on top of the desk's one permission check.

`services.access.check(actor, action, ticket)` decides for every face that a customer
reaches only their own tickets; this module narrows the portal's scopes further: a
tracking link's scope opens its one ticket and allows only `TRACKING_ACTIONS`, and where
the desk enables `organisation_tickets` a customer also reads and answers their
organisation's tickets. Anything refused is NotFound with the same words as a ticket that
does not exist, so no answer tells whether a ticket number is in use.
"""

from __future__ import annotations

from deskterm.domain import CustomerScope, NotFound, Refused
from deskterm.services.trust import access
from deskterm.services.trust.access import Action
from deskterm.store.models import Contact, Ticket

ACTIONS = frozenset({"ticket.view", "ticket.reply", "ticket.resolve", "attachment.read"})
TRACKING_ACTIONS = frozenset({"ticket.view", "ticket.reply", "attachment.read"})
NOT_FOUND = "no such ticket"
#: The desk-wide permission each portal action needs.
DESK_ACTIONS = {"ticket.view": Action.TICKET_READ, "attachment.read": Action.TICKET_READ,
                "ticket.reply": Action.CUSTOMER_MESSAGE,
                "ticket.resolve": Action.CUSTOMER_RESOLVE}


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
    if row.requester_id == scope.contact_id:  # a colleague's: granted by the desk's setting
        try:
            access.check(scope.actor, DESK_ACTIONS[action], row)
        except (NotFound, Refused):
            raise NotFound(NOT_FOUND) from None
    return row
