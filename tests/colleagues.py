"""Who else may work a ticket of the demo desk (its queue's team), for tests where another
agent changes it: which ticket comes first depends on the demo's data."""

from __future__ import annotations

from deskterm.domain import Actor
from deskterm.services import directory, tickets


def colleague_on(ticket_id: int, *, besides: str = "ana") -> Actor:
    """An active agent of the ticket's team other than `besides`."""
    team = tickets.get_ticket(ticket_id).team
    for agent in directory.list_agents():
        if agent.username != besides and agent.active and team in agent.teams:
            return directory.actor_for(agent.username)
    raise LookupError(f"nobody besides {besides} works #{ticket_id} (team {team})")
