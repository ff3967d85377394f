"""Reply drafts per agent and ticket, so a half-written answer survives a restart."""

from __future__ import annotations

from dataclasses import dataclass

from deskterm import clock
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, Draft

MODES = ("reply", "note")


@dataclass(frozen=True)
class DraftInfo:
    ticket_id: int
    mode: str  # reply | note
    body: str


def _agent_id(username: str) -> int | None:
    row = Agent.get_or_none(Agent.username == username)
    return row.id if row else None


@retry_when_busy
def save_draft(username: str, ticket_id: int, mode: str, body: str) -> None:
    """Keep the draft (an empty body deletes it)."""
    agent_id = _agent_id(username)
    if agent_id is None:
        return
    mode = mode if mode in MODES else "reply"
    with write_transaction():
        if not body.strip():
            Draft.delete().where((Draft.agent == agent_id) & (Draft.ticket == ticket_id)).execute()
            return
        (
            Draft.insert(
                agent=agent_id,
                ticket=ticket_id,
                mode=mode,
                body=body,
                updated_at=clock.to_db(clock.now()),
            )
            .on_conflict(
                conflict_target=[Draft.agent, Draft.ticket],
                preserve=[Draft.mode, Draft.body, Draft.updated_at],
            )
            .execute()
        )


def load_draft(username: str, ticket_id: int) -> DraftInfo | None:
    """The agent's draft on a ticket, if any."""
    agent_id = _agent_id(username)
    row = Draft.get_or_none((Draft.agent == agent_id) & (Draft.ticket == ticket_id))
    return DraftInfo(ticket_id, row.mode, row.body) if row else None


def clear_draft(username: str, ticket_id: int) -> None:
    """Forget the draft (after it was sent)."""
    agent_id = _agent_id(username)
    Draft.delete().where((Draft.agent == agent_id) & (Draft.ticket == ticket_id)).execute()
