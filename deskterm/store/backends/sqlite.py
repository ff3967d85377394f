"""The embedded backend: one SQLite file, FTS5 search, `data_version`, one writer at a time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from peewee import Database, SqliteDatabase

from deskterm.store.backends.base import Backend, search_terms

#: busy_timeout first: every later pragma (journal_mode among them) may wait on a writer.
PRAGMAS = {
    "busy_timeout": 10_000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -32_000,
}

#: entry_id used for the row that holds a ticket's subject.
SUBJECT_ROW = 0


def match_expression(text: str) -> str | None:
    """Turn user text into a safe FTS5 MATCH string: every word or "phrase" quoted.

    Quoting each term means no user input can form FTS syntax; a trailing `*` on a word
    keeps prefix search. Returns None when the text holds no searchable term.
    """
    quoted = [
        '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "")
        for term in search_terms(text)
    ]
    return " ".join(quoted) or None


class SqliteBackend(Backend):
    name = "sqlite"

    def make_database(self, target: Path | str) -> Database:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)

    def exists(self, target: Path | str) -> bool:
        return Path(target).exists()

    def attachments_dir(self, target: Path | str) -> Path:
        from deskterm import paths

        return paths.side_dir(target, "files")

    def drop_everything(self, db: Database) -> None:
        path = Path(db.database)
        db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def reset_sequences(self, db: Database, tables: list[str]) -> None:
        # INTEGER PRIMARY KEY continues after MAX(id) by itself; AUTOINCREMENT tables
        # keep their high-water mark in sqlite_sequence.
        for table in tables:
            db.execute_sql(
                "UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX(id), 0) FROM "
                f'"{table}") WHERE name = ?',
                (table,),
            )

    def try_job_lock(self, db: Database, name: str, holder: str, hold_for: float) -> bool:
        # A lease row in `setting`, taken under the write lock (one writer at a time).
        key, now = f"job:{name}", time.time()
        with db.atomic("IMMEDIATE"):
            row = db.execute_sql("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
            if row is not None:
                until, _, owner = row[0].partition(" ")
                if owner != holder and float(until) > now:
                    return False
            db.execute_sql(
                "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                (key, f"{now + hold_for:.3f} {holder}"),
            )
        return True

    def release_job_lock(self, db: Database, name: str, holder: str) -> None:
        with db.atomic("IMMEDIATE"):
            db.execute_sql(
                "DELETE FROM setting WHERE key = ? AND value LIKE ?", (f"job:{name}", f"% {holder}")
            )

    def data_version(self, db: Database) -> int:
        return db.execute_sql("PRAGMA data_version").fetchone()[0]

    # --- search: an FTS5 table, one row per subject and per entry -----------------------

    def index_subject(self, db: Database, ticket_id: int, subject: str) -> None:
        db.execute_sql(
            "DELETE FROM search_index WHERE ticket_id = ? AND entry_id = ?",
            (ticket_id, SUBJECT_ROW),
        )
        db.execute_sql(
            "INSERT INTO search_index (content, ticket_id, entry_id) VALUES (?, ?, ?)",
            (subject, ticket_id, SUBJECT_ROW),
        )

    def index_entry(self, db: Database, ticket_id: int, entry_id: int, body: str) -> None:
        db.execute_sql(
            "INSERT INTO search_index (content, ticket_id, entry_id) VALUES (?, ?, ?)",
            (body, ticket_id, entry_id),
        )

    def move_ticket(self, db: Database, source_id: int, target_id: int) -> None:
        db.execute_sql(
            "DELETE FROM search_index WHERE ticket_id = ? AND entry_id = ?",
            (source_id, SUBJECT_ROW),
        )
        db.execute_sql(
            "UPDATE search_index SET ticket_id = ? WHERE ticket_id = ?", (target_id, source_id)
        )

    def rebuild_search(self, db: Database) -> int:
        db.execute_sql("DELETE FROM search_index")
        db.execute_sql(
            "INSERT INTO search_index (content, ticket_id, entry_id) "
            "SELECT subject, id, 0 FROM ticket WHERE merged_into_id IS NULL"
        )
        db.execute_sql(
            "INSERT INTO search_index (content, ticket_id, entry_id) "
            "SELECT body, ticket_id, id FROM entry WHERE kind != 'system'"
        )
        return db.execute_sql("SELECT COUNT(*) FROM search_index").fetchone()[0]

    def matching_ticket_ids(self, text: str) -> tuple[str, list[Any]] | None:
        expression = match_expression(text)
        if expression is None:
            return None
        return "SELECT ticket_id FROM search_index WHERE search_index MATCH ?", [expression]
