"""The embedded backend: one SQLite file, FTS5 search, `data_version`, one writer at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from peewee import Database, OperationalError, SqliteDatabase
from peewee import sqlite3 as driver  # the module peewee connects with

from deskterm.store import stats
from deskterm.store.backends.base import Backend, search_terms

#: busy_timeout first: every later pragma (journal_mode among them) may wait on a writer.
PRAGMAS = {
    "busy_timeout": 10_000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -32_000,
}

#: The page cache (KiB) while a set change runs (`set_change`): what a 100,000-ticket close
#: on a million tickets dirties (every index of the ticket table), so no page is written
#: to the log before the commit. Pages are allocated only as the change touches them.
SET_CHANGE_CACHE_KIB = 512_000

#: `unixepoch()` exists (SQLite 3.38 and later).
UNIXEPOCH = driver.sqlite_version_info >= (3, 38, 0)

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


class _DeskSqlite(SqliteDatabase):
    """SQLite that refreshes its planner statistics when the main connection closes.

    Short-lived worker connections (the console's) skip it: their closes would write
    statistics under the screens' change detection many times a minute.
    """

    def _close(self, conn) -> None:
        if threading.current_thread() is threading.main_thread():
            try:
                conn.execute("PRAGMA busy_timeout = 50")  # never wait on a writer to close
                for statement in stats.OPTIMIZE_SQL:
                    conn.execute(statement)
            except Exception:  # noqa: BLE001 - a busy or read-only file must still close
                pass
        super()._close(conn)


class SqliteBackend(Backend):
    name = "sqlite"

    def make_database(self, target: Path | str) -> Database:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        return _DeskSqlite(str(path), pragmas=PRAGMAS, check_same_thread=False)

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

    def reserve_ids(self, db: Database, table: str, count: int) -> list[int]:
        # The write lock is held, so nobody else inserts meanwhile; inserting an explicit
        # id moves an AUTOINCREMENT table's sqlite_sequence mark past it by itself.
        row = db.execute_sql(
            f'SELECT MAX(COALESCE((SELECT MAX("id") FROM "{table}"), 0), COALESCE('
            "(SELECT seq FROM sqlite_sequence WHERE name = ?), 0))", (table,)
        ).fetchone()
        return list(range(row[0] + 1, row[0] + 1 + count))

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

    update_many = "UPDATE OR FAIL"

    @contextmanager
    def set_change(self, db: Database) -> Iterator[None]:
        before = int(db.execute_sql("PRAGMA cache_size").fetchone()[0])
        if -before >= SET_CHANGE_CACHE_KIB:  # a set change inside a set change
            yield
            return
        with self.capped_cache(db, SET_CHANGE_CACHE_KIB):
            yield

    @contextmanager
    def one_checkpoint(self, db: Database) -> Iterator[None]:
        every = int(db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0])
        db.execute_sql("PRAGMA wal_autocheckpoint = 0")
        try:
            yield
        finally:
            db.execute_sql(f"PRAGMA wal_autocheckpoint = {every}")
            try:  # a reader still on older pages only makes it stop early (PASSIVE)
                db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except OperationalError:  # busy: the next commit's checkpoint does it
                pass

    @contextmanager
    def capped_cache(self, db: Database, kib: int) -> Iterator[None]:
        before = int(db.execute_sql("PRAGMA cache_size").fetchone()[0])
        db.execute_sql(f"PRAGMA cache_size = {-abs(int(kib))}")
        try:
            yield
        finally:
            db.execute_sql(f"PRAGMA cache_size = {before}")

    # --- SQL expressions: timestamps are stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text ----

    def microseconds_between(self, start: str, end: str) -> str:
        # whole seconds (the first 19 characters) and the fraction apart: SQLite's date
        # functions round to milliseconds, which can carry into the second
        def seconds(col: str) -> str:
            if UNIXEPOCH:  # the same integer as strftime('%s'), at a third of the cost
                return f"unixepoch(substr({col}, 1, 19))"
            return f"CAST(strftime('%s', substr({col}, 1, 19)) AS INTEGER)"

        def fraction(col: str) -> str:
            return f"CAST(substr({col}, 20) AS REAL)"

        return (
            f"(({seconds(end)} - {seconds(start)}) * 1000000 + "
            f"CAST(ROUND(({fraction(end)} - {fraction(start)}) * 1000000) AS INTEGER))"
        )

    def day_of(self, column: str) -> str:
        return f"substr({column}, 1, 10)"

    def array_rows(self, *types: str) -> str:
        columns = "".join(f", json_extract(e.value, '$[{n}]') AS c{n}" for n in range(len(types)))
        return f"SELECT e.key AS pos{columns} FROM json_each(?) e"

    # --- search: a contentless FTS5 table, one row per ticket, rowid = ticket id ---------
    # A ticket's document is its subject and its non-system entries' bodies (entry order);
    # the index keeps no copy of the text, so a hit is the ticket id itself. A row is
    # removed by handing FTS5 the text it was made from, rebuilt here from the tables.

    _BODIES_SQL = (
        "SELECT id, body, source_ticket FROM entry WHERE ticket_id = ? AND kind != 'system' "
        "ORDER BY id"
    )
    _INSERT_SQL = "INSERT INTO search_index (rowid, subject, body) VALUES (?, ?, ?)"
    _DELETE_SQL = (
        "INSERT INTO search_index (search_index, rowid, subject, body) "
        "VALUES ('delete', ?, ?, ?)"
    )
    _REBUILD_SQL = """
    INSERT INTO search_index (rowid, subject, body)
    SELECT t.id, t.subject, COALESCE((
        SELECT group_concat(body, char(10)) FROM (
            SELECT e.body FROM entry e WHERE e.ticket_id = t.id AND e.kind != 'system'
            ORDER BY e.id
        )), '')
    FROM "ticket" t WHERE t.merged_into_id IS NULL"""

    @staticmethod
    def _subject(db: Database, ticket_id: int) -> str:
        row = db.execute_sql('SELECT subject FROM "ticket" WHERE id = ?', (ticket_id,)).fetchone()
        return row[0] if row else ""

    def _replace(self, db: Database, ticket_id: int, old, new) -> None:
        if old is not None:
            db.execute_sql(self._DELETE_SQL, (ticket_id, *old))
        if new is not None:
            db.execute_sql(self._INSERT_SQL, (ticket_id, *new))

    def index_subject(self, db: Database, ticket_id: int, subject: str) -> None:
        self._replace(db, ticket_id, None, (subject, ""))

    def index_entry(self, db: Database, ticket_id: int, entry_id: int, body: str) -> None:
        rows = db.execute_sql(self._BODIES_SQL, (ticket_id,)).fetchall()
        before = "\n".join(b for eid, b, _ in rows if eid != entry_id)
        subject = self._subject(db, ticket_id)
        after = f"{before}\n{body}" if before else body
        self._replace(db, ticket_id, (subject, before), (subject, after))

    #: Each ticket's document without the entries just written (`{fresh}`), assembled by
    #: SQLite (one row per ticket, not every body sent to Python and joined there).
    _DOCS_WITHOUT_SQL = (
        'SELECT t.id, t.subject, COALESCE((SELECT group_concat(d.body, char(10)) FROM ('
        "SELECT e.body FROM entry e WHERE e.ticket_id = t.id AND e.kind != 'system' AND "
        'e.id NOT IN ({fresh}) ORDER BY e.id) d), \'\') FROM "ticket" t WHERE t.id IN ({marks})'
    )

    def index_entries(self, db: Database, items: list[tuple[int, int, str]]) -> None:
        # each ticket's document is replaced once: old text without the new entries, new
        # text with them appended (they are the ticket's newest: the same document
        # `index_entry` one at a time leaves)
        new: dict[int, dict[int, str]] = {}
        for ticket_id, entry_id, body in items:
            new.setdefault(ticket_id, {})[entry_id] = body
        ids = list(new)
        deletes, inserts = [], []
        for start in range(0, len(ids), 500):
            group = ids[start : start + 500]
            fresh = [entry_id for ticket_id in group for entry_id in new[ticket_id]]
            sql = self._DOCS_WITHOUT_SQL.format(fresh=",".join("?" * len(fresh)),
                                                marks=",".join("?" * len(group)))
            docs = {row[0]: row[1:] for row in db.execute_sql(sql, (*fresh, *group))}
            for ticket_id in group:
                subject, before = docs.get(ticket_id, ("", ""))
                added = "\n".join(body for _, body in sorted(new[ticket_id].items()))
                deletes.append((ticket_id, subject, before))
                inserts.append((ticket_id, subject, f"{before}\n{added}" if before else added))
        cursor = db.cursor()
        cursor.executemany(self._DELETE_SQL, deletes)
        cursor.executemany(self._INSERT_SQL, inserts)

    def unindex_entry(self, db: Database, ticket_id: int, entry_id: int) -> None:
        rows = db.execute_sql(self._BODIES_SQL, (ticket_id,)).fetchall()
        subject = self._subject(db, ticket_id)
        before = "\n".join(b for _, b, _ in rows)
        after = "\n".join(b for eid, b, _ in rows if eid != entry_id)
        self._replace(db, ticket_id, (subject, before), (subject, after))

    def move_ticket(self, db: Database, source_id: int, target_id: int) -> None:
        rows = db.execute_sql(self._BODIES_SQL, (target_id,)).fetchall()
        moved = "\n".join(b for _, b, origin in rows if origin == source_id)
        kept = "\n".join(b for _, b, origin in rows if origin != source_id)
        subject = self._subject(db, target_id)
        self._replace(db, source_id, (self._subject(db, source_id), moved), None)
        self._replace(db, target_id, (subject, kept), (subject, "\n".join(b for _, b, _ in rows)))

    def rebuild_search(self, db: Database) -> int:
        db.execute_sql("INSERT INTO search_index (search_index) VALUES ('delete-all')")
        db.execute_sql(self._REBUILD_SQL)
        db.execute_sql("INSERT INTO search_index (search_index) VALUES ('optimize')")
        stats.analyze(db)  # every index was rebuilt: fresh statistics
        return db.execute_sql(
            'SELECT COUNT(*) FROM "ticket" WHERE merged_into_id IS NULL'
        ).fetchone()[0]

    def matching_ticket_ids(self, text: str) -> tuple[str, list[Any]] | None:
        expression = match_expression(text)
        if expression is None:
            return None
        return "SELECT rowid FROM search_index WHERE search_index MATCH ?", [expression]

    def ticket_matches(self, text: str, id_column: str) -> tuple[str, list[Any]] | None:
        expression = match_expression(text)
        if expression is None:
            return None
        return (
            "EXISTS (SELECT 1 FROM search_index WHERE search_index MATCH ? "
            f"AND rowid = {id_column})",
            [expression],
        )
