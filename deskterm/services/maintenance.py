"""Database upkeep the faces can ask for: schema upgrade, reindex, facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deskterm.domain import Actor
from deskterm.store import migrations, search
from deskterm.store.db import backend, db, db_target, open_db
from deskterm.store.models import Contact, Entry, Ticket


def upgrade(path: Path) -> dict[str, Any]:
    """Apply missing migrations to the database at `path`; report from/to versions."""
    handle = open_db(path, upgrade=False)
    before = migrations.current_version(handle)
    applied = migrations.upgrade(handle)
    return {"from": before, "to": migrations.current_version(handle), "applied": applied}


def reindex(actor: Actor) -> int:
    """Rebuild the full-text index; return how many rows it holds (admins)."""
    from deskterm.services.trust import access

    access.check(actor, access.Action.MANAGE_DESK)
    return search.rebuild()


def database_info() -> dict[str, Any]:
    """Path, schema version and row counts of the open database."""
    return {
        "path": backend().describe(db_target()),
        "backend": backend().name,
        "schema_version": migrations.current_version(db),
        "tickets": Ticket.select().count(),
        "entries": Entry.select().count(),
        "contacts": Contact.select().count(),
    }


def is_empty() -> bool:
    """True when the open database has no queues yet (never initialised)."""
    from deskterm.store.models import Queue

    return Queue.select().count() == 0
