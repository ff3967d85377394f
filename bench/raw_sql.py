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
from deskterm.store.backends.sqlite import PRAGMAS, SET_CHANGE_CACHE_KIB


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
            # the product's page cache: a bound gets no less memory than the product has
            self.conn.execute(f"PRAGMA cache_size = {PRAGMAS['cache_size']}")
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

    def set_change_cache(self) -> None:
        """The page cache the product's set changes get (a write bound's change)."""
        if not self.postgres:
            self.conn.execute(f"PRAGMA cache_size = {-SET_CHANGE_CACHE_KIB}")

    # --- what differs ---------------------------------------------------------------

    def search_ids(self) -> str:
        """SQL selecting the ids of tickets whose index matches the word parameter."""
        if self.postgres:
            return ("SELECT ticket_id FROM search_index WHERE doc @@ "
                    "phraseto_tsquery('simple', deskterm_fold(?))")
        return "SELECT rowid FROM search_index WHERE search_index MATCH ?"

    def reindex(self, ids_sql: str) -> tuple[list[str], list[str]]:
        """Statements that take these tickets' search documents out before new entries
        are written and put them back with the entries after: SQLite's contentless FTS5
        row is deleted with the text it was made from and written again whole (as the
        product does); PostgreSQL appends the new entries' text to the document."""
        if self.postgres:
            return [], [
                "INSERT INTO search_index (ticket_id, doc) SELECT e.ticket_id, "
                f"deskterm_tsv(e.body) FROM entry e WHERE e.ticket_id IN ({ids_sql}) AND "
                "e.id > (SELECT MAX(id) FROM entry) - (SELECT COUNT(*) FROM ("
                f"{ids_sql}) n) ON CONFLICT (ticket_id) DO UPDATE SET "
                "doc = search_index.doc || EXCLUDED.doc"]
        document = (
            "SELECT t.id, t.subject, COALESCE((SELECT group_concat(body, char(10)) FROM ("
            "SELECT e.body FROM entry e WHERE e.ticket_id = t.id AND e.kind != 'system' "
            f"ORDER BY e.id)), '') FROM ticket t WHERE t.id IN ({ids_sql})")
        return ([f"INSERT INTO search_index (search_index, rowid, subject, body) "
                 f"SELECT 'delete', d.* FROM ({document}) d"],
                [f"INSERT INTO search_index (rowid, subject, body) {document}"])

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
