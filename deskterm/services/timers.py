"""Time tracking with a running timer: one per agent, kept in the database so it survives
a restart; stopping it logs the elapsed minutes with `tickets.log_time` (`ticket time`).

Reading the running timer (the console's header, right after its first rows) needs only
the two tables: the ticket, access and audit services load when a timer starts or stops.
"""

from __future__ import annotations

import math

from deskterm import clock
from deskterm.domain import Actor, BadInput, NotFound, TimerInfo, TimerStopped
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import ActiveTimer, Agent, Ticket


def _agent_id(actor: Actor) -> int:
    if actor.agent_id is None:
        raise BadInput(f"{actor.label} is not an agent: only agents track time")
    return actor.agent_id


def _info(row: ActiveTimer, username: str) -> TimerInfo:
    return TimerInfo(
        agent=username,
        ticket_id=row.ticket_id,
        subject=Ticket.get_by_id(row.ticket_id).subject,
        started_at=clock.to_utc(row.started_at),
    )


def running_timer(username: str) -> TimerInfo | None:
    """The agent's running timer, if any."""
    agent = Agent.get_or_none(Agent.username == username)
    if agent is None:
        raise NotFound(f"no agent named {username!r}")
    row = ActiveTimer.get_or_none(ActiveTimer.agent == agent.id)
    return _info(row, username) if row else None


def elapsed_minutes(timer: TimerInfo) -> int:
    """Whole minutes a timer has run, rounded up (a started minute counts, at least 1)."""
    return max(1, math.ceil(timer.elapsed_seconds(clock.now()) / 60))


@retry_when_busy
def start_timer(actor: Actor, ticket_id: int) -> tuple[TimerInfo, TimerStopped | None]:
    """Start timing a ticket; a timer running on another ticket is stopped and logged first."""
    from deskterm.services import tickets
    from deskterm.services.trust import access, audit

    agent_id = _agent_id(actor)
    with write_transaction():
        ticket_id = tickets.surviving_ticket(tickets.resolve_ref(ticket_id))
        access.check(actor, access.Action.TICKET_WORK, ticket_id)
        stopped = None
        current = ActiveTimer.get_or_none(ActiveTimer.agent == agent_id)
        if current is not None:
            if current.ticket_id == ticket_id:
                raise BadInput(f"the timer is already running on #{ticket_id}")
            stopped = stop_timer(actor)
        ActiveTimer.create(agent=agent_id, ticket=ticket_id, started_at=clock.to_db(clock.now()))
        audit.record(ticket_id, actor, "timer_started")
        return running_timer(actor.name), stopped


@retry_when_busy
def stop_timer(actor: Actor, note: str = "") -> TimerStopped:
    """Stop the agent's timer and log its minutes on the ticket (one transaction)."""
    from deskterm.services import tickets

    agent_id = _agent_id(actor)
    with write_transaction():
        row = ActiveTimer.get_or_none(ActiveTimer.agent == agent_id)
        if row is None:
            raise NotFound("no timer is running")
        timer = _info(row, actor.name)
        minutes = elapsed_minutes(timer)
        row.delete_instance()
        tickets.log_time(actor, timer.ticket_id, minutes, note or "timer")
    return TimerStopped(timer, minutes)


@retry_when_busy
def discard_timer(actor: Actor) -> TimerInfo:
    """Stop the agent's timer without logging anything."""
    from deskterm.services.trust import audit

    agent_id = _agent_id(actor)
    with write_transaction():
        row = ActiveTimer.get_or_none(ActiveTimer.agent == agent_id)
        if row is None:
            raise NotFound("no timer is running")
        timer = _info(row, actor.name)
        row.delete_instance()
        audit.record(timer.ticket_id, actor, "timer_discarded")
    return timer


def toggle_timer(actor: Actor, ticket_id: int) -> tuple[TimerInfo | None, TimerStopped | None]:
    """Stop the timer if it runs on this ticket, else start it here (stopping any other)."""
    current = running_timer(actor.name)
    if current is not None and current.ticket_id == ticket_id:
        return None, stop_timer(actor)
    return start_timer(actor, ticket_id)
