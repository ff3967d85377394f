"""Tickets an agent opened lately (the console's go-to list) and finding a ticket by ref."""

from __future__ import annotations

from deskterm import clock
from deskterm.domain import Actor, NotFound, TicketRow
from deskterm.services import tickets
from deskterm.services.finding import listing
from deskterm.services.trust import access
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, RecentTicket

#: How many recently opened tickets are kept per agent.
KEEP = 20


def _agent_id(username: str) -> int:
    agent = Agent.get_or_none(Agent.username == username)
    if agent is None:
        raise NotFound(f"no agent named {username!r}")
    return agent.id


def find_ticket(ref: str | int, actor: Actor | None = None) -> int:
    """The ticket a `#N` reference opens (following merges); NotFound if there is none
    (or if `actor` may not read it)."""
    ticket_id = tickets.surviving_ticket(tickets.resolve_ref(ref))
    if actor is not None:
        access.check(actor, access.Action.TICKET_READ, ticket_id)
    return ticket_id


@retry_when_busy
def touch(username: str, ticket_id: int) -> None:
    """Record that the agent opened a ticket now; only the newest `KEEP` are kept."""
    agent_id = _agent_id(username)
    now = clock.to_db(clock.now())
    with write_transaction():
        updated = (
            RecentTicket.update(opened_at=now)
            .where((RecentTicket.agent == agent_id) & (RecentTicket.ticket == ticket_id))
            .execute()
        )
        if not updated:
            RecentTicket.create(agent=agent_id, ticket=ticket_id, opened_at=now)
        old = (
            RecentTicket.select(RecentTicket.id)
            .where(RecentTicket.agent == agent_id)
            .order_by(RecentTicket.opened_at.desc(), RecentTicket.id.desc())
            .offset(KEEP)
        )
        RecentTicket.delete().where(RecentTicket.id.in_([r.id for r in old])).execute()


def recent_tickets(
    username: str, limit: int = 10, actor: Actor | None = None
) -> list[TicketRow]:
    """The tickets the agent opened lately, the latest first (those `actor` may read)."""
    ids = [
        r.ticket_id
        for r in RecentTicket.select(RecentTicket.ticket)
        .where(RecentTicket.agent == _agent_id(username))
        .order_by(RecentTicket.opened_at.desc(), RecentTicket.id.desc())
        .limit(limit)
    ]
    if not ids:
        return []
    query = f"id:{','.join(map(str, ids))}"
    rows = {r.id: r for r in listing.list_tickets(query, limit=limit, actor=actor)}
    return [rows[i] for i in ids if i in rows]
