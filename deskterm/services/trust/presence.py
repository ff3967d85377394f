"""Who else is viewing or replying to a ticket: heartbeat rows that go stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deskterm import clock
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import Agent, Presence

#: A heartbeat older than this no longer counts.
STALE_AFTER = timedelta(seconds=30)
ACTIVITIES = ("viewing", "replying")


@dataclass(frozen=True)
class Viewer:
    username: str
    name: str
    activity: str  # viewing | replying


@retry_when_busy
def heartbeat(username: str, ticket_id: int, activity: str = "viewing") -> None:
    """Record that the agent is on the ticket now."""
    agent = Agent.get_or_none(Agent.username == username)
    if agent is None:
        return
    activity = activity if activity in ACTIVITIES else "viewing"
    with write_transaction():
        (
            Presence.insert(
                agent=agent.id,
                ticket=ticket_id,
                activity=activity,
                seen_at=clock.to_db(clock.now()),
            )
            .on_conflict(
                conflict_target=[Presence.agent, Presence.ticket],
                preserve=[Presence.activity, Presence.seen_at],
            )
            .execute()
        )


def leave(username: str, ticket_id: int) -> None:
    """The agent left the ticket."""
    agent = Agent.get_or_none(Agent.username == username)
    if agent is not None:
        Presence.delete().where(
            (Presence.agent == agent.id) & (Presence.ticket == ticket_id)
        ).execute()


def others_on(ticket_id: int, username: str) -> list[Viewer]:
    """Other agents with a fresh heartbeat on the ticket, replying ones first."""
    since = clock.to_db(clock.now() - STALE_AFTER)
    rows = (
        Presence.select(Presence, Agent)
        .join(Agent)
        .where(
            (Presence.ticket == ticket_id)
            & (Agent.username != username)
            & (Presence.seen_at >= since)
        )
        .order_by(Presence.activity.desc(), Agent.username)
    )
    return [Viewer(r.agent.username, r.agent.name, r.activity) for r in rows]
