"""Ticket lists: a TicketQuery (or filter text) becomes one SQL query, paged in the database."""

from __future__ import annotations

from peewee import JOIN, SQL, Expression, fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES, Actor, TicketRow
from deskterm.services import ticket_view
from deskterm.services.query import Condition, TicketQuery, parse_query
from deskterm.store import search
from deskterm.store.models import (
    Agent,
    Attachment,
    Contact,
    Entry,
    Follower,
    Organisation,
    Queue,
    Team,
    Ticket,
    TicketTag,
)

_SORT_COLUMNS = {
    "updated": Ticket.updated_at,
    "created": Ticket.created_at,
    "priority": Ticket.priority_rank,
    "status": Ticket.status,
    "id": Ticket.id,
    "subject": Ticket.subject,
    "requester": Contact.name,
    "queue": Queue.slug,
    "assignee": Agent.username,
    "due": fn.COALESCE(Ticket.first_response_due, Ticket.resolution_due),
}


def _in(column, values) -> Expression:
    return column.in_(list(values))


def _condition_sql(cond: Condition) -> Expression:
    """The WHERE expression for one condition (before negation)."""
    key, values = cond.key, cond.values
    if key == "status":
        statuses = set(values)
        if "active" in statuses:
            statuses.discard("active")
            statuses.update(s.value for s in ACTIVE_STATUSES)
        return _in(Ticket.status, statuses)
    if key == "priority":
        return _in(Ticket.priority, values)
    if key == "queue":
        return Ticket.queue.in_(Queue.select(Queue.id).where(_in(Queue.slug, values)))
    if key == "team":
        return Ticket.team.in_(Team.select(Team.id).where(_in(Team.slug, values)))
    if key == "assignee":
        named = [v for v in values if v not in ("none", "unassigned")]
        expr = Ticket.assignee.in_(Agent.select(Agent.id).where(_in(Agent.username, named)))
        if len(named) != len(values):
            expr = expr | Ticket.assignee.is_null()
        return expr
    if key == "tag":
        return Ticket.id.in_(TicketTag.select(TicketTag.ticket).where(_in(TicketTag.name, values)))
    if key == "requester":
        expr = None
        for value in values:
            like = f"%{value.lower()}%"
            part = (fn.LOWER(Contact.email) ** like) | (fn.LOWER(Contact.name) ** like)
            expr = part if expr is None else expr | part
        return Ticket.requester.in_(Contact.select(Contact.id).where(expr))
    if key == "org":
        orgs = Organisation.select(Organisation.id).where(
            fn.LOWER(Organisation.name).in_([v.lower() for v in values])
        )
        return Ticket.requester.in_(
            Contact.select(Contact.id).where(Contact.organisation.in_(orgs))
        )
    if key == "channel":
        return _in(Ticket.channel, values)
    if key == "id":
        return _in(Ticket.id, [int(v) for v in values])
    if key == "has":
        expr = None
        for value in values:
            part = {
                "attachment": Ticket.id.in_(Entry.select(Entry.ticket).join(Attachment).distinct()),
                "followers": Ticket.id.in_(Follower.select(Follower.ticket)),
                "tags": Ticket.id.in_(TicketTag.select(TicketTag.ticket)),
                "assignee": Ticket.assignee.is_null(False),
            }[value]
            expr = part if expr is None else expr & part
        return expr
    if key == "sla":
        if cond.op == "breached":
            return Ticket.sla_breached == True  # noqa: E712
        if cond.op == "ok":
            return (Ticket.sla_breached == False) & (  # noqa: E712
                Ticket.first_response_due.is_null(False) | Ticket.resolution_due.is_null(False)
            )
        if cond.op == "none":
            return Ticket.first_response_due.is_null() & Ticket.resolution_due.is_null()
        limit = clock.to_db(cond.when)
        # first_response_due holds the reply owed now (first or next); NULL when none is.
        return Ticket.status.in_([s.value for s in ACTIVE_STATUSES]) & (
            (Ticket.first_response_due <= limit) | (Ticket.resolution_due <= limit)
        )
    column = {
        "older": Ticket.updated_at,
        "newer": Ticket.updated_at,
        "created": Ticket.created_at,
        "updated": Ticket.updated_at,
    }[key]
    when = clock.to_db(cond.when)
    return {"<": column < when, "<=": column <= when, ">": column > when, ">=": column >= when}[
        cond.op
    ]


def _fts(terms: tuple[str, ...]) -> Expression | None:
    found = search.matching_ticket_ids(" ".join(terms))
    if found is None:
        return None
    sql, params = found
    return Ticket.id.in_(SQL(f"({sql})", params))


def apply(query: TicketQuery, select=None):
    """Add the query's WHERE and ORDER BY to a ticket SELECT (default: the list select)."""
    select = select if select is not None else ticket_view.row_select()
    if query.ticket_id is not None:
        select = select.where(Ticket.id == query.ticket_id)
    for cond in query.conditions:
        expr = _condition_sql(cond)
        select = select.where(~expr if cond.negate else expr)
    if query.text and (expr := _fts(query.text)) is not None:
        select = select.where(expr)
    if query.excluded_text and (expr := _fts(query.excluded_text)) is not None:
        select = select.where(~expr)
    name = query.sort.lstrip("-")
    column = _SORT_COLUMNS[name]
    descending = query.sort.startswith("-")
    return select.order_by(column.desc() if descending else column.asc(), Ticket.id.desc())


def _as_query(query: TicketQuery | str | None, me: str | None) -> TicketQuery:
    return query if isinstance(query, TicketQuery) else parse_query(query, me)


def _scoped(select, actor: Actor | None):
    """Limit a ticket select to what `actor` may read (faces always pass their actor;
    services reading for themselves pass None)."""
    if actor is None:
        return select
    from deskterm.services import access

    access.check(actor, access.Action.READ)
    scope = access.ticket_scope(actor)
    return select if scope is None else select.where(scope)


def list_tickets(
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    limit: int = 50,
    offset: int = 0,
    actor: Actor | None = None,
) -> list[TicketRow]:
    """One page of tickets matching the query, in its sort order (what `actor` may read;
    `me` defaults to the actor's name)."""
    me = me or (actor.name if actor else None)
    select = _scoped(apply(_as_query(query, me)), actor).limit(limit).offset(offset)
    return ticket_view.rows(select)


def _id_select(query: TicketQuery):
    base = (
        Ticket.select(Ticket.id)
        .join(Queue, on=(Ticket.queue == Queue.id))
        .switch(Ticket)
        .join(Contact, on=(Ticket.requester == Contact.id))
        .switch(Ticket)
        .join(Agent, join_type=JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
    )
    return apply(query, base)


def count_tickets(
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    actor: Actor | None = None,
) -> int:
    """How many tickets match (of those `actor` may read)."""
    me = me or (actor.name if actor else None)
    return _scoped(_id_select(_as_query(query, me)), actor).order_by().count()


def ticket_ids(
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    actor: Actor | None = None,
) -> list[int]:
    """Every matching ticket id, in sort order (of those `actor` may read)."""
    me = me or (actor.name if actor else None)
    return [row[0] for row in _scoped(_id_select(_as_query(query, me)), actor).tuples()]
