"""Cheap change detection for faces that must notice writes made by other processes."""

from __future__ import annotations

from deskterm.store.db import backend, db


def data_version() -> int:
    """A number that moves when another connection commits a change.

    SQLite's `data_version`; on PostgreSQL the count of notifications received on the
    change channel (sent by triggers in the committing transaction).
    """
    return backend().data_version(db)


FINGERPRINT_SQL = (
    "SELECT (SELECT MAX(id) FROM event), (SELECT MAX(updated_at) FROM ticket),"
    " (SELECT MAX(id) FROM entry), (SELECT COUNT(*) FROM canned_reply),"
    " (SELECT MAX(updated_at) FROM canned_reply),"
    " (SELECT MAX(id) FROM outbox_message), (SELECT MAX(sent_at) FROM outbox_message)"
)


def fingerprint() -> tuple:
    """A value that changes when anything a screen shows changes.

    Every ticket change writes an event, thread entries and canned replies have their own
    ids and times, and mail delivery stamps the outbox. Presence heartbeats and drafts
    change the file but not this, so they do not make screens reload.

    Every part over a big table is one index probe (a MAX over an indexed column, in its own
    subquery: `MAX(id), MAX(sent_at)` in one SELECT read every outbox row, 70 ms each
    poll once a bulk close had queued 100,000 status mails).
    """
    return db.execute_sql(FINGERPRINT_SQL).fetchone()
