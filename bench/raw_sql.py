"""The benchmarks' bound: plain SQL on a plain driver connection to the same desk.

A desk is a SQLite file or a PostgreSQL URL; `Raw` speaks to either with the bench's
`?`-placeholder SQL and holds the few statements that differ between the engines (search,
date arithmetic, the command-line client).
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from deskterm.store.backends import is_server_url


class Raw:
    """A driver connection (sqlite3 or psycopg, autocommit) outside deskterm."""

    def __init__(self, target: Path | str) -> None:
        self.target = target
        self.postgres = is_server_url(target)
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(str(target), autocommit=True)
            self.version = self.conn.execute("SHOW server_version").fetchone()[0]
        else:
            self.conn = sqlite3.connect(target)
            self.conn.execute("PRAGMA busy_timeout = 10000")
            self.version = sqlite3.sqlite_version

    @property
    def engine(self) -> str:
        return f"PostgreSQL {self.version}" if self.postgres else f"SQLite {self.version}"

    def execute(self, sql: str, params: tuple = ()) -> Any:
        """Run `sql` (`?` placeholders, no `?` or `%` inside literals but LIKE patterns)."""
        if self.postgres:
            sql = sql.replace("%", "%%").replace("?", "%s")
        return self.conn.execute(sql, params)

    def transaction(self) -> AbstractContextManager:
        """One transaction around the block (committed at its end)."""
        return self.conn.transaction() if self.postgres else self.conn

    # --- what differs ---------------------------------------------------------------

    def search_ids(self) -> str:
        """SQL selecting the ids of tickets whose index matches the word parameter."""
        if self.postgres:
            return ("SELECT ticket_id FROM search_index WHERE doc @@ "
                    "phraseto_tsquery('simple', deskterm_fold(?))")
        return "SELECT rowid FROM search_index WHERE search_index MATCH ?"

    def search_term(self, word: str) -> str:
        """The word as the search parameter (an FTS5 phrase on SQLite)."""
        return word if self.postgres else '"' + word + '"'

    def days_between(self, start: str, end: str) -> str:
        """SQL for the days between two timestamp columns."""
        if self.postgres:
            return f"EXTRACT(EPOCH FROM ({end} - {start})) / 86400"
        return f"julianday({end}) - julianday({start})"

    def client_command(self, sql: str) -> list[str]:
        """The engine's own command-line client running `sql` once (a process bound)."""
        if self.postgres:
            return ["psql", "-X", "-q", "-A", "-t", "-d", str(self.target), "-c", sql]
        return ["sqlite3", str(self.target), sql]
