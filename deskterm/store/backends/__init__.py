"""What differs between SQLite and PostgreSQL, behind one small seam.

Services never write backend-specific SQL: they ask the current backend (`store.db.backend()`)
for the few things that differ (search, change detection, claiming work, DDL). A database
target is a file path (SQLite) or a `postgresql://` URL (PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

from deskterm.store.backends.base import Backend

URL_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(target: Path | str | None) -> bool:
    """True when `target` names a PostgreSQL server rather than a SQLite file."""
    return target is not None and str(target).startswith(URL_SCHEMES)


def for_target(target: Path | str) -> Backend:
    """The backend that opens `target`."""
    if is_server_url(target):
        from deskterm.store.backends.postgres import PostgresBackend

        return PostgresBackend()
    from deskterm.store.backends.sqlite import SqliteBackend

    return SqliteBackend()


__all__ = ["Backend", "URL_SCHEMES", "for_target", "is_server_url"]
