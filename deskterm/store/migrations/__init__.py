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


def _names() -> dict[int, str]:
    """Every released migration's module name by its number (`m0021_...` is VERSION 21),
    read from the file names: opening a desk that is up to date imports none of them."""
    return {
        int(info.name[1:5]): info.name
        for info in pkgutil.iter_modules(__path__)
        if info.name.startswith("m") and info.name[1:5].isdigit()
    }


def _load(version: int, name: str) -> ModuleType:
    module = importlib.import_module(f"{__name__}.{name}")
    if module.VERSION != version:
        raise RuntimeError(f"migration {name} says VERSION = {module.VERSION}, not {version}")
    return module


def _migrations() -> list[ModuleType]:
    return [_load(version, name) for version, name in sorted(_names().items())]


def latest_version() -> int:
    """The schema version this release expects."""
    return max(_names())


def current_version(db: Database) -> int:
    """The schema version of the open database (0 for an empty one)."""
    _ensure_table(db)
    row = db.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()
    return row[0] or 0


def _ensure_table(db: Database) -> None:
    from deskterm.store.db import backend

    backend().migration_handle(db).execute_sql(
        'CREATE TABLE IF NOT EXISTS "schema_version" '
        '("version" INTEGER NOT NULL PRIMARY KEY, "applied_at" DATETIME NOT NULL)'
    )


def applied_versions(db: Database) -> set[int]:
    """The versions recorded in `schema_version` (the table made on an empty database)."""
    _ensure_table(db)
    return {row[0] for row in db.execute_sql('SELECT "version" FROM "schema_version"')}


def upgrade(db: Database) -> list[int]:
    """Apply every missing migration in VERSION order (also one that fills a gap in the
    numbering, released after a higher one); return the versions applied.

    An up-to-date desk costs one statement and one query (the console opens one on start)."""
    applied: list[int] = []
    known = _names()
    done = applied_versions(db)
    start = max(done, default=0)
    if start > max(known):
        from deskterm.domain import Refused

        raise Refused(
            f"database schema v{start} is newer than this deskterm (v{max(known)}); "
            "upgrade deskterm"
        )
    missing = sorted(version for version in known if version not in done)
    if not missing:
        return applied
    from deskterm.store.db import backend

    for version in missing:
        module = _load(version, known[version])
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
