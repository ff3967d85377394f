"""Full-text search over subjects and thread bodies (derived data: `rebuild` remakes it).

SQLite keeps an FTS5 table, PostgreSQL a `tsvector` per ticket with a GIN index; both fold
diacritics and understand the same filter language: words, "phrases" and prefix*.
"""

from __future__ import annotations

from typing import Any

from deskterm.store.backends.sqlite import SUBJECT_ROW, match_expression  # noqa: F401
from deskterm.store.db import backend, db, write_transaction


def index_subject(ticket_id: int, subject: str) -> None:
    """(Re)index a ticket's subject."""
    backend().index_subject(db, ticket_id, subject)


def index_entry(ticket_id: int, entry_id: int, body: str) -> None:
    """Index one thread entry's body."""
    backend().index_entry(db, ticket_id, entry_id, body)


def index_entries(items: list[tuple[int, int, str]]) -> None:
    """Index many new entries at once: (ticket id, entry id, body), in entry order, each
    the newest of its ticket (just written)."""
    if items:
        backend().index_entries(db, items)


def unindex_entry(ticket_id: int, entry_id: int) -> None:
    """Take an entry's words out of the index (call before deleting the entry)."""
    backend().unindex_entry(db, ticket_id, entry_id)


def move_ticket(source_id: int, target_id: int) -> None:
    """Point the entries of a merged ticket at the surviving one (subject row dropped)."""
    backend().move_ticket(db, source_id, target_id)


def matching_ticket_ids(text: str) -> tuple[str, list[Any]] | None:
    """SQL selecting ids of tickets whose text matches `text` (None: nothing to search)."""
    return backend().matching_ticket_ids(text)


def rebuild() -> int:
    """Rebuild the whole index from tickets and entries; return the row count."""
    with write_transaction():
        return backend().rebuild_search(db)


def ticket_matches(text: str, id_column: str) -> tuple[str, list[Any]] | None:
    """SQL true when ticket `id_column` matches `text` (an index probe for one ticket)."""
    return backend().ticket_matches(text, id_column)


def cheap_hits() -> bool:
    """Whether collecting every hit of a term is cheap (FTS5 rowids) or not (PostgreSQL
    reads each hit's document): see `Backend.cheap_hits`."""
    return backend().cheap_hits


def first_hits(text: str, limit: int) -> list[int]:
    """Up to `limit` matching ticket ids (any order): tells a rare term from a common one."""
    found = matching_ticket_ids(text)
    if found is None:
        return []
    sql, params = found
    return [row[0] for row in db.execute_sql(f"{sql} LIMIT {int(limit)}", params)]
