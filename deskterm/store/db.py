"""The database handle (late-bound), how it is opened, and how writers take the lock."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from peewee import OperationalError, SqliteDatabase

#: Bound to a file by `open_db`; models refer to this object.
db = SqliteDatabase(None)

#: busy_timeout first: every later pragma (journal_mode among them) may wait on a writer.
PRAGMAS = {
    "busy_timeout": 10_000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -32_000,
}

#: How often a whole operation is tried when the database stays busy, and the first pause.
BUSY_ATTEMPTS = 6
BUSY_PAUSE = 0.05

#: Whole operations run again because the database was busy (in this process).
busy_retries = 0

F = TypeVar("F", bound=Callable[..., Any])


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


def write_transaction() -> Any:
    """The transaction every write runs in (nested calls become savepoints).

    On SQLite it begins IMMEDIATE: the write lock is taken up front, so a second writer
    waits on busy_timeout instead of failing with "database is locked" when its read turns
    into a write. Reads need no transaction and stay deferred.
    """
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def is_busy(error: BaseException) -> bool:
    """True for the database's "locked / busy" errors, which a later attempt may not hit."""
    if not isinstance(error, OperationalError):
        return False
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text or "busy" == text


def retry_when_busy(func: F) -> F:
    """Run `func` (one whole service operation) again, with backoff, when the database stays busy.

    Only the outermost call retries: inside another operation's transaction the error goes
    up, so that operation is rolled back and run again as a whole, never half of it.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global busy_retries
        if db.in_transaction():
            return func(*args, **kwargs)
        pause = BUSY_PAUSE
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if attempt == BUSY_ATTEMPTS or not is_busy(error):
                    raise
            busy_retries += 1
            time.sleep(pause * (1 + random.random()))
            pause *= 2
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
