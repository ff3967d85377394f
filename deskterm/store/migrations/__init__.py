"""Numbered schema migrations.

Each module `mNNNN_name.py` has `VERSION` and `up(db)` and is frozen once released: its
DDL never changes, a new module changes the schema. `upgrade` applies the missing ones in
order, each in its own transaction, and records them in `schema_version`.

Migrations are written in SQLite's DDL; on PostgreSQL `up` receives a handle that
translates it (see `store/backends/postgres.py`), and `db.backend` tells a migration which
engine it runs on where the two need different statements.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from peewee import Database

from deskterm import clock
from deskterm.store.db import write_transaction


def _migrations() -> list[ModuleType]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
    found.sort(key=lambda mod: mod.VERSION)
    return found


def latest_version() -> int:
    """The schema version this release expects."""
    return _migrations()[-1].VERSION


def current_version(db: Database) -> int:
    """The schema version of the open database (0 for an empty one)."""
    from deskterm.store.db import backend

    backend().migration_handle(db).execute_sql(
        'CREATE TABLE IF NOT EXISTS "schema_version" '
        '("version" INTEGER NOT NULL PRIMARY KEY, "applied_at" DATETIME NOT NULL)'
    )
    row = db.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()
    return row[0] or 0


def applied_versions(db: Database) -> set[int]:
    """The versions recorded in `schema_version`."""
    current_version(db)  # makes the table on an empty database
    return {row[0] for row in db.execute_sql('SELECT "version" FROM "schema_version"')}


def upgrade(db: Database) -> list[int]:
    """Apply every missing migration in VERSION order (also one that fills a gap in the
    numbering, released after a higher one); return the versions applied."""
    applied: list[int] = []
    start = current_version(db)
    done = applied_versions(db)
    if start > latest_version():
        from deskterm.domain import Refused

        raise Refused(
            f"database schema v{start} is newer than this deskterm (v{latest_version()}); "
            "upgrade deskterm"
        )
    from deskterm.store.db import backend

    for module in _migrations():
        if module.VERSION in done:
            continue
        with write_transaction():
            backend().lock_schema(db)
            # Another process may have applied it while this one waited for the lock.
            if module.VERSION in applied_versions(db):
                continue
            handle = backend().migration_handle(db)
            module.up(handle)
            handle.finish()
            db.execute_sql(
                'INSERT INTO "schema_version" ("version", "applied_at") VALUES (?, ?)',
                (module.VERSION, clock.to_db(clock.now()).isoformat(sep=" ")),
            )
        applied.append(module.VERSION)
    if applied:
        backend().after_upgrade(db)
    return applied
