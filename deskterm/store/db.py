"""The database handle (late-bound), how it is opened, and how writers take the lock.

`db` is a proxy the models refer to; `open_db` binds it to a SQLite file or, for a
`postgresql://` URL, to a PostgreSQL database. What differs between the two lives in
`store/backends/`; `backend()` is the one of the open database.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from peewee import Database, DatabaseProxy, OperationalError, SqliteDatabase

from deskterm.store import stats
from deskterm.store.backends import Backend, for_target, is_server_url
from deskterm.store.backends.sqlite import PRAGMAS  # noqa: F401 - kept for callers

#: Bound by `open_db`; models refer to this object.
db = DatabaseProxy()
db.initialize(SqliteDatabase(None))

_current: dict[str, Backend] = {}

#: How often a whole operation is tried when the database stays busy, and the first pause.
BUSY_ATTEMPTS = 6
BUSY_PAUSE = 0.05

#: Whole operations run again because the database was busy (in this process).
busy_retries = 0

F = TypeVar("F", bound=Callable[..., Any])


def file_kind(path: Path | str) -> str:
    """What is at `path`: "missing", "empty" (0 bytes), "deskterm" (a SQLite file with
    deskterm's schema_version table, or no tables at all), "sqlite" (another program's
    SQLite database) or "other" (not SQLite)."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if path.is_dir():
        return "other"
    if path.stat().st_size == 0:
        return "empty"
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return "other"
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError:
        return "other"
    return "deskterm" if not names or "schema_version" in names else "sqlite"


def open_db(
    target: Path | str, *, upgrade: bool = True, read_only: bool | None = None
) -> Database:
    """Bind the database to `target` (created if missing) and bring its schema up to date.

    A file that is not a deskterm database is refused, never changed. A SQLite file this
    process cannot write (read_only=None: decided from the file) is opened read-only
    (`mode=ro` URI) without migrations: reading commands work, a write fails clearly.
    """
    close_db()
    chosen = for_target(target)
    if is_server_url(target):
        read_only = False
        database = chosen.make_database(target)
    else:
        path = Path(target)
        kind = file_kind(path)
        if kind in ("sqlite", "other"):
            from deskterm.domain import Refused

            what = "another program's SQLite database" if kind == "sqlite" else "not a database"
            raise Refused(f"{path} is {what}, not a deskterm desk; refusing to touch it")
        if read_only is None:
            read_only = kind == "deskterm" and not os.access(path, os.W_OK)
        if read_only:
            pragmas = {k: v for k, v in PRAGMAS.items() if k in ("busy_timeout", "cache_size")}
            database = SqliteDatabase(
                f"file:{path}?mode=ro", pragmas=pragmas, check_same_thread=False, uri=True
            )
        else:
            database = chosen.make_database(path)
    db.initialize(database)
    _current["backend"] = chosen
    db.connect(reuse_if_open=True)
    _close_at_exit()
    if read_only:
        _check_read_only_schema(Path(target))
    elif upgrade:
        from deskterm.store.migrations import upgrade as run_upgrade

        if run_upgrade(db):
            stats.optimize(db)
        stats.ensure(db)
    return db


_exit_hook: list[bool] = []


def _close_at_exit() -> None:
    """Close (and so optimize) the main connection when the process ends."""
    if not _exit_hook:
        atexit.register(lambda: db.obj is not None and not db.is_closed() and db.close())
        _exit_hook.append(True)


def _check_read_only_schema(path: Path) -> None:
    from deskterm.domain import Refused
    from deskterm.store.migrations import latest_version

    row = db.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()
    if (row[0] or 0) < latest_version():
        raise Refused(
            f"{path} is read-only and its schema (v{row[0] or 0}) needs an upgrade to "
            f"v{latest_version()}; run `deskterm db upgrade` where it is writable"
        )


def is_read_only() -> bool:
    """True when the open database was opened read-only."""
    name = str(db.database or "")
    return name.startswith("file:") and "mode=ro" in name


def close_db() -> None:
    """Close the open database (and anything its backend holds)."""
    if not db.is_closed():
        db.close()
    if "backend" in _current:
        _current["backend"].close()


def backend() -> Backend:
    """The backend of the open database (SQLite before any is opened)."""
    if "backend" not in _current:
        from deskterm.store.backends.sqlite import SqliteBackend

        _current["backend"] = SqliteBackend()
    return _current["backend"]


def execute_many(sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run one statement (`?` placeholders) for every row of parameters."""
    rows = list(rows)
    if rows:
        db.cursor().executemany(backend().adapt_sql(sql), rows)


def update_rows(table: str, columns: dict[str, str], key: str, rows: list[Sequence[Any]],
                *, also: str = "", where: str = "") -> None:
    """Many rows of `table` updated by key, each from its own values, in as few statements
    as the backend does best (see `Backend.update_rows`)."""
    if rows:
        backend().update_rows(db, table, columns, key, rows, also=also, where=where)


def insert_rows(model: type, rows: list[dict[str, Any]]) -> None:
    """Insert many rows of `model` (dicts with the same field names) with one prepared
    statement: what `Model.insert_many` does, without building SQL for every value."""
    if not rows:
        return
    given = [model._meta.fields[name] for name in rows[0]]
    defaults = [f for f in model._meta.sorted_fields
                if f.name not in rows[0] and f.default is not None]
    columns = ", ".join(f'"{f.column_name}"' for f in [*given, *defaults])
    marks = ", ".join("?" for _ in [*given, *defaults])
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
    execute_many(sql, [
        [*(f.db_value(row[f.name]) for f in given),
         *(f.db_value(f.default() if callable(f.default) else f.default) for f in defaults)]
        for row in rows
    ])


@contextmanager
def exclusive_job(name: str, *, hold_for: float = 900.0) -> Iterator[bool]:
    """Run job `name` in one process at a time across every host; yields False (and the
    caller skips the job) while another process runs it."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    mine = backend().try_job_lock(db, name, holder, hold_for)
    try:
        yield mine
    finally:
        if mine:
            backend().release_job_lock(db, name, holder)


def is_postgres() -> bool:
    """True when the open database is PostgreSQL."""
    return backend().name == "postgresql"


def db_target() -> Path | str:
    """The file (SQLite) or URL (PostgreSQL) the handle is bound to."""
    if db.database is None:
        raise RuntimeError("database not opened")
    if is_postgres():
        return db.database
    name = str(db.database)
    if name.startswith("file:"):  # a read-only URI
        name = name[5:].split("?", 1)[0]
    return Path(name)


def db_path() -> Path:
    """The file the handle is bound to (SQLite only; see `db_target` for both)."""
    return Path(db_target())



def write_transaction() -> Any:
    """The transaction every write runs in (nested calls become savepoints).

    On SQLite it begins IMMEDIATE: the write lock is taken up front, so a second writer
    waits on busy_timeout instead of failing with "database is locked" when its read turns
    into a write. Reads need no transaction and stay deferred. PostgreSQL locks rows, not
    the database: a plain BEGIN.
    """
    if is_postgres():
        return db.atomic()
    return db.atomic("IMMEDIATE")


def is_busy(error: BaseException) -> bool:
    """True for errors a later attempt may not hit: SQLite's "locked / busy", PostgreSQL's
    deadlock and serialization failures."""
    if not isinstance(error, OperationalError):
        return False
    text = str(error).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or "busy" == text
        or "deadlock detected" in text
        or "could not serialize access" in text
    )


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
