"""Audit events: who changed what, when, from what to what."""

from __future__ import annotations

from typing import Any

from deskterm import clock
from deskterm.domain import Actor, EventRecord
from deskterm.store.models import Event


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(sorted(str(v) for v in value)) or None
    return str(value)


def record(
    ticket_id: int | None,
    actor: Actor,
    action: str,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Write one audit event (call inside the change's transaction)."""
    Event.create(
        ticket=ticket_id,
        actor=actor.label,
        at=clock.to_db(clock.now()),
        action=action,
        field=field,
        before=_text(before),
        after=_text(after),
    )


def events_for(ticket_id: int) -> list[EventRecord]:
    """A ticket's audit trail, oldest first."""
    query = Event.select().where(Event.ticket == ticket_id).order_by(Event.at, Event.id)
    return [
        EventRecord(
            id=e.id,
            ticket_id=e.ticket_id,
            actor=e.actor,
            at=clock.to_utc(e.at),
            action=e.action,
            field=e.field,
            before=e.before,
            after=e.after,
        )
        for e in query
    ]
