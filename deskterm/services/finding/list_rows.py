"""The rows of a ticket list page: TicketRows for a page's ids, built cheaply.

A page is two statements by primary key (the rows with their names joined, then their
tags), written once as SQL text per page size. Building 50 frozen dataclasses through
their `__init__`, enums by value and timestamps through `replace(tzinfo=...)` cost more
than the database's own work, so each row is filled in one step from its values, enums
come from a dictionary and a stored timestamp is parsed as UTC directly.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime

from deskterm import clock
from deskterm.domain import Priority, Status, TicketRow
from deskterm.store.db import db

_ROWS_SQL = (
    'SELECT t."id", t."subject", t."status", t."priority", q."slug", c."name", c."email", '
    'a."username", tm."slug", t."created_at", t."updated_at", t."version", '
    't."first_response_due", t."resolution_due", t."sla_breached" FROM "ticket" t '
    'JOIN "queue" q ON q."id" = t."queue_id" JOIN "contact" c ON c."id" = t."requester_id" '
    'LEFT JOIN "agent" a ON a."id" = t."assignee_id" LEFT JOIN "team" tm ON tm."id" = t."team_id" '
    'WHERE t."id" IN ({marks})'
)
_TAGS_SQL = 'SELECT "ticket_id", "name" FROM "ticket_tag" WHERE "ticket_id" IN ({marks})'

_STATUS = {s.value: s for s in Status}
_PRIORITY = {p.value: p for p in Priority}
#: TicketRow's fields in declaration order: `_row` fills exactly these.
FIELDS = tuple(f.name for f in dataclasses.fields(TicketRow))
_parse = datetime.fromisoformat


@functools.lru_cache(maxsize=128)
def _prepared(template: str, count: int) -> str:
    """SQL text for `count` ids, built once per page size (not per call, not by the ORM)."""
    return template.format(marks=",".join("?" * count))


def at(value: str | datetime | None) -> datetime | None:
    """A stored instant as an aware UTC datetime.

    SQLite gives naive UTC text (`2026-12-01 09:15:34.769428`), read with a UTC offset
    appended in one C call; PostgreSQL gives a naive datetime. Any other shape (text
    with an offset of its own) takes the general path.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return _parse(value + "+00:00")
        except ValueError:
            value = _parse(value)
    return clock.to_utc(value)


def _row(values: tuple) -> TicketRow:
    """A TicketRow from its field values in FIELDS order, in one step (what the frozen
    dataclass's `__init__` does one `object.__setattr__` at a time; a test checks that
    `values` always has one value per field)."""
    row = object.__new__(TicketRow)
    row.__dict__.update(zip(FIELDS, values, strict=False))
    return row


def rows_for(ids: list[int]) -> list[TicketRow]:
    """TicketRows for these ids, in this order (two prepared queries by primary key)."""
    if not ids:
        return []
    run = db.execute_sql
    tags: dict[int, list[str]] = {}
    for ticket_id, name in run(_prepared(_TAGS_SQL, len(ids)), ids):
        tags.setdefault(ticket_id, []).append(name)
    status, priority, none = _STATUS.__getitem__, _PRIORITY.__getitem__, ()
    found = {}
    for (tid, subject, state, rank, queue, name, email, assignee, team, created, updated,
         version, first_due, res_due, breached) in run(_prepared(_ROWS_SQL, len(ids)), ids):
        tagged = tags.get(tid)
        found[tid] = _row((
            tid, subject, status(state), priority(rank), queue, name or email, email,
            assignee, team, at(created), at(updated), version,
            tuple(sorted(tagged)) if tagged else none, at(first_due), at(res_due),
            bool(breached),
        ))
    return [found[i] for i in ids if i in found]
