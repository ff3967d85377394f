"""The open desk as the faces see it: open it, close it, and a thread worker's own connection.

Faces (console, CLI, portal, channels) never touch the store; this is all they need of the
database handle. `DatabaseError` is the error a face may meet from any service call (a
locked, broken or unreachable database) and `is_server_url` tells a PostgreSQL URL from a
SQLite file, both as the store defines them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from peewee import DatabaseError

from deskterm.store.backends import is_server_url
from deskterm.store.db import close_db, db, db_target, open_db


def open_desk(target: Path | str) -> None:
    """Open the desk at `target` (a SQLite file or a `postgresql://` URL) and bring its
    schema up to date; a file that is not a deskterm desk is refused (see `store.db.open_db`)."""
    open_db(target)


def close_desk() -> None:
    """Close the open desk (nothing happens when none is open)."""
    close_db()


def is_open(target: Path | str) -> bool:
    """True when this process has the desk at `target` open already."""
    return db.obj is not None and not db.is_closed() and str(db_target()) == str(target)


def worker_connection() -> AbstractContextManager[None]:
    """The calling thread's own connection for a `with` block, closed at its end: wrap a
    thread worker's body in it. Its close skips the statistics refresh that the main
    connection's close runs (`store.backends.sqlite._DeskSqlite`), so frequent worker
    closes never write statistics under the console's change detection."""
    return db.connection_context()


__all__ = ["DatabaseError", "close_desk", "is_open", "is_server_url", "open_desk",
           "worker_connection"]
