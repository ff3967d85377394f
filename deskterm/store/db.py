"""The database handle (late-bound) and how it is opened."""

from __future__ import annotations

from pathlib import Path

from peewee import SqliteDatabase

#: Bound to a file by `open_db`; models refer to this object.
db = SqliteDatabase(None)

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -32_000,
}


def open_db(path: Path | str, *, upgrade: bool = True) -> SqliteDatabase:
    """Bind the database to `path` (created if missing) and bring its schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not db.is_closed():
        db.close()
    db.init(str(path), pragmas=PRAGMAS, check_same_thread=False)
    db.connect(reuse_if_open=True)
    if upgrade:
        from deskterm.store.migrations import upgrade as run_upgrade

        run_upgrade(db)
    return db


def db_path() -> Path:
    """The file the handle is bound to."""
    if db.database is None:
        raise RuntimeError("database not opened")
    return Path(db.database)
