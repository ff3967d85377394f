"""The FTS5 index over subjects and thread bodies (derived data: `rebuild` remakes it)."""

from __future__ import annotations

import re

from deskterm.store.db import db, write_transaction

#: entry_id used for the row that holds a ticket's subject.
SUBJECT_ROW = 0

_WORD = re.compile(r'"([^"]*)"|(\S+)')


def index_subject(ticket_id: int, subject: str) -> None:
    """(Re)index a ticket's subject."""
    db.execute_sql(
        "DELETE FROM search_index WHERE ticket_id = ? AND entry_id = ?", (ticket_id, SUBJECT_ROW)
    )
    db.execute_sql(
        "INSERT INTO search_index (content, ticket_id, entry_id) VALUES (?, ?, ?)",
        (subject, ticket_id, SUBJECT_ROW),
    )


def index_entry(ticket_id: int, entry_id: int, body: str) -> None:
    """Index one thread entry's body."""
    db.execute_sql(
        "INSERT INTO search_index (content, ticket_id, entry_id) VALUES (?, ?, ?)",
        (body, ticket_id, entry_id),
    )


def move_ticket(source_id: int, target_id: int) -> None:
    """Point the entries of a merged ticket at the surviving one (subject row dropped)."""
    db.execute_sql(
        "DELETE FROM search_index WHERE ticket_id = ? AND entry_id = ?", (source_id, SUBJECT_ROW)
    )
    db.execute_sql(
        "UPDATE search_index SET ticket_id = ? WHERE ticket_id = ?", (target_id, source_id)
    )


def match_expression(text: str) -> str | None:
    """Turn user text into a safe FTS5 MATCH string: every word or "phrase" quoted.

    Quoting each term means no user input can form FTS syntax; a trailing `*` on a word
    keeps prefix search. Returns None when the text holds no searchable term.
    """
    terms = []
    for phrase, word in _WORD.findall(text):
        raw = phrase if phrase else word
        prefix = raw.endswith("*") and not phrase
        raw = raw.rstrip("*") if prefix else raw
        raw = raw.strip()
        if not raw:
            continue
        quoted = '"' + raw.replace('"', '""') + '"'
        terms.append(quoted + ("*" if prefix else ""))
    return " ".join(terms) or None


def matching_ticket_ids_sql() -> str:
    """SQL fragment selecting ticket ids whose text matches the single `?` parameter."""
    return "SELECT ticket_id FROM search_index WHERE search_index MATCH ?"


def rebuild() -> int:
    """Rebuild the whole index from tickets and entries; return the row count."""
    with write_transaction():
        db.execute_sql("DELETE FROM search_index")
        db.execute_sql(
            "INSERT INTO search_index (content, ticket_id, entry_id) "
            "SELECT subject, id, 0 FROM ticket WHERE merged_into_id IS NULL"
        )
        db.execute_sql(
            "INSERT INTO search_index (content, ticket_id, entry_id) "
            "SELECT body, ticket_id, id FROM entry WHERE kind != 'system'"
        )
        return db.execute_sql("SELECT COUNT(*) FROM search_index").fetchone()[0]
