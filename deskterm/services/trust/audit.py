"""Audit events: who changed what, when, from what to what.

Events are append-only: the database refuses UPDATE and DELETE on them (m0006 triggers),
so nothing here, nor anywhere else, may need to change one once written. Desk set-up
changes (agents, teams, queues, canned replies, rules, SLA, views) are events without a
ticket: `action` says what (`agent.added`, `rules.loaded`...), `field` names the thing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deskterm import clock
from deskterm.domain import Actor, EventRecord
from deskterm.store.db import db
from deskterm.store.models import Event

#: The events insert as prepared SQL text (every change writes one; set-based paths
#: write many with `execute_many`), never rebuilt by the ORM per call.
EVENT_SQL = (
    'INSERT INTO "event" ("ticket_id", "actor", "at", "action", "field", "before", "after", '
    '"via") VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
)


#: Names desk events were first written under, and the `area.verb` names they are read as
#: now (the portal's were `portal_key_rotated`...). Stored events are never renamed (the
#: database refuses UPDATE on them), so an old row is renamed as it is read.
RENAMED = {
    "portal_key_rotated": "portal.key_rotated",
    "portal_keys_retired": "portal.keys_retired",
    "portal_registered": "portal.registered",
    "portal_confirm": "portal.confirm",
    "portal_reset": "portal.reset",
    "portal_settings": "portal.settings",
    "portal_sms": "portal.sms",
    "portal_password": "portal.password",
}


def text(value: Any) -> str | None:
    """A value as an event stores it (lists: sorted and comma separated)."""
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
    db.execute_sql(EVENT_SQL, (ticket_id, actor.label, clock.to_db(clock.now()), action, field,
                               text(before), text(after), actor.via))


def _record(e: Event) -> EventRecord:
    return EventRecord(
        id=e.id,
        ticket_id=e.ticket_id,
        actor=e.actor,
        at=clock.to_utc(e.at),
        action=RENAMED.get(e.action, e.action),
        field=e.field,
        before=e.before,
        after=e.after,
        via=e.via,
    )


def events_for(ticket_id: int) -> list[EventRecord]:
    """A ticket's audit trail, oldest first (internal: faces call `ticket_trail`)."""
    query = Event.select().where(Event.ticket == ticket_id).order_by(Event.at, Event.id)
    return [_record(e) for e in query]


def ticket_trail(actor: Actor, ticket_id: int) -> list[EventRecord]:
    """A ticket's audit trail for someone who may read the ticket, oldest first."""
    from deskterm.services.trust import access

    access.check(actor, access.Action.TICKET_AUDIT, ticket_id)
    return events_for(ticket_id)


def find_events(
    actor: Actor,
    *,
    ticket_id: int | None = None,
    agent: str | None = None,
    since: datetime | None = None,
    limit: int = 0,
) -> list[EventRecord]:
    """Events matching every filter given, oldest first (`limit` keeps the newest N).

    `agent` matches what the agent did, also as another agent with `--as`. One ticket's
    trail needs read access to the ticket; the desk-wide trail needs admin or observer.
    """
    query = _events(actor, ticket_id, agent, since)
    query = query.order_by(Event.at.desc(), Event.id.desc())
    if limit:
        query = query.limit(limit)
    return [_record(e) for e in reversed(list(query))]


def count_events(
    actor: Actor,
    *,
    ticket_id: int | None = None,
    agent: str | None = None,
    since: datetime | None = None,
) -> int:
    """How many events `find_events` would return without a limit."""
    return _events(actor, ticket_id, agent, since).count()


def _events(actor: Actor, ticket_id: int | None, agent: str | None, since: datetime | None):
    """The events matching the filters, once `actor` may read them."""
    from deskterm.services.directory import agent_row
    from deskterm.services.trust import access

    if ticket_id is not None and agent is None and since is None:
        access.check(actor, access.Action.TICKET_AUDIT, ticket_id)
    else:
        access.check(actor, access.Action.AUDIT_READ)
    query = Event.select()
    if ticket_id is not None:
        access.check(actor, access.Action.TICKET_AUDIT, ticket_id)
        query = query.where(Event.ticket == ticket_id)
    if agent is not None:
        name = agent_row(agent).username
        query = query.where((Event.actor == f"agent:{name}") | (Event.via == name))
    if since is not None:
        query = query.where(Event.at >= clock.to_db(since))
    return query
