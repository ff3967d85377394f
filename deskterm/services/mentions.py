"""@mentions of agents in internal notes, as the mentioned agent sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskterm import clock
from deskterm.store.models import Agent, Entry, Mention, Ticket


@dataclass(frozen=True)
class MentionInfo:
    id: int
    ticket_id: int
    subject: str
    entry_id: int
    author: str
    excerpt: str
    at: datetime
    seen: bool


def list_mentions(username: str, *, unseen_only: bool = False) -> list[MentionInfo]:
    """The agent's mentions, newest first."""
    query = (
        Mention.select(Mention, Entry, Ticket)
        .join(Entry)
        .join(Ticket)
        .switch(Mention)
        .join(Agent)
        .where(Agent.username == username)
        .order_by(Entry.created_at.desc(), Mention.id.desc())
    )
    if unseen_only:
        query = query.where(Mention.seen == False)  # noqa: E712
    return [
        MentionInfo(
            id=m.id,
            ticket_id=m.entry.ticket.id,
            subject=m.entry.ticket.subject,
            entry_id=m.entry.id,
            author=m.entry.author,
            excerpt=" ".join(m.entry.body.split())[:120],
            at=clock.to_utc(m.entry.created_at),
            seen=m.seen,
        )
        for m in query
    ]


def mentioned_ticket_ids(username: str) -> list[int]:
    """Tickets where the agent was mentioned, most recent mention first, no repeats."""
    seen: dict[int, None] = {}
    for m in list_mentions(username):
        seen.setdefault(m.ticket_id, None)
    return list(seen)


def mark_seen(username: str, ticket_id: int) -> int:
    """Mark the agent's mentions on a ticket as seen; return how many changed."""
    agent = Agent.get_or_none(Agent.username == username)
    if agent is None:
        return 0
    entry_ids = Entry.select(Entry.id).where(Entry.ticket == ticket_id)
    return (
        Mention.update(seen=True)
        .where((Mention.agent == agent.id) & (Mention.entry.in_(entry_ids)))
        .execute()
    )
