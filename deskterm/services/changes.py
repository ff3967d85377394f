"""Cheap change detection for faces that must notice writes made by other processes."""

from __future__ import annotations

from deskterm.store.db import db


def data_version() -> int:
    """SQLite's `data_version`: it moves when another connection commits to the file."""
    return db.execute_sql("PRAGMA data_version").fetchone()[0]


def fingerprint() -> tuple:
    """A value that changes when anything a screen shows changes.

    Every ticket change writes an event, thread entries and canned replies have their own
    ids and times, and mail delivery stamps the outbox. Presence heartbeats and drafts
    change the file but not this, so they do not make screens reload.
    """
    return db.execute_sql(
        "SELECT (SELECT MAX(id) FROM event), (SELECT MAX(updated_at) FROM ticket),"
        " (SELECT MAX(id) FROM entry), (SELECT COUNT(*) FROM canned_reply),"
        " (SELECT MAX(updated_at) FROM canned_reply),"
        " (SELECT MAX(id) || ':' || COALESCE(MAX(sent_at), '') FROM outbox_message)"
    ).fetchone()
