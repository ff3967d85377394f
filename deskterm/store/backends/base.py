"""The interface every backend implements (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import Database, SelectQuery

_TERM = re.compile(r'"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Term:
    """One search term of the filter language: a word, a "phrase" or a prefix*."""

    text: str
    phrase: bool = False
    prefix: bool = False


def search_terms(text: str) -> list[Term]:
    """Split search text into terms: `"a phrase"`, `word`, `pref*` (empty ones dropped)."""
    terms = []
    for phrase, word in _TERM.findall(text):
        raw = phrase if phrase else word
        prefix = raw.endswith("*") and not phrase
        raw = (raw.rstrip("*") if prefix else raw).strip()
        if raw:
            terms.append(Term(raw, phrase=bool(phrase), prefix=prefix))
    return terms


class MigrationHandle:
    """What a migration's `up(db)` receives: the database, its DDL adapted to the backend.

    `backend` lets a migration branch where the engines truly differ.
    """

    backend = "sqlite"

    def __init__(self, db: Database) -> None:
        self.db = db

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        return self.db.execute_sql(sql, params)

    def finish(self) -> None:
        """Run what had to wait for the end of the migration (nothing here)."""

    def unlimited_text(self, table: str, *columns: str) -> None:
        """Let `columns` of `table` hold text of any length. Nothing to do on SQLite,
        which never enforces a declared length such as VARCHAR(255)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


class Backend:
    """What the store asks of a database engine; one subclass per engine."""

    #: "sqlite" or "postgresql"
    name = ""
    #: Text columns can hold a NUL character (else U+FFFD stands in for it, as every face
    #: shows a control character).
    holds_nul = True
    #: Collecting every hit of a search term costs about a microsecond a hit (the
    #: "middle" plan of `finding.listing` pays off); else a page probes the index instead.
    cheap_hits = True

    # --- connection ---------------------------------------------------------------------

    def make_database(self, target: Path | str) -> Database:
        """A peewee Database for `target`, not yet connected."""
        raise NotImplementedError

    def adapt_sql(self, sql: str) -> str:
        """SQL written with `?` placeholders as the driver wants it."""
        return sql

    def exists(self, target: Path | str) -> bool:
        """True when `target` already holds a database (file or server database)."""
        raise NotImplementedError

    def describe(self, target: Path | str) -> str:
        """`target` as shown to people (passwords hidden)."""
        return str(target)

    def attachments_dir(self, target: Path | str) -> Path:
        """Where attachment files of the desk at `target` live."""
        raise NotImplementedError

    def drop_everything(self, db: Database) -> None:
        """Remove every table of the open database (for `deskterm demo`)."""
        raise NotImplementedError

    # --- schema -------------------------------------------------------------------------

    def migration_handle(self, db: Database) -> MigrationHandle:
        """What migrations' `up(db)` receive."""
        return MigrationHandle(db)

    def lock_schema(self, db: Database) -> None:
        """Inside a migration's transaction: wait until no other process migrates."""

    def after_upgrade(self, db: Database) -> None:
        """Upkeep after migrations ran (statistics)."""

    def reset_sequences(self, db: Database, tables: list[str]) -> None:
        """Make each table's id sequence continue after its largest id (after a copy)."""

    # --- loading a whole desk (`deskterm db copy`) ---------------------------------------

    @contextmanager
    def bulk_loading(self, db: Database, tables: list[str]) -> Iterator[bool]:
        """Inside a write transaction, around loading many rows into `tables`: yields
        True when foreign keys go unchecked until the block ends (rows may then point at
        rows loaded later), False when every row is checked as it arrives."""
        yield False

    def load_rows(self, db: Database, table: str, columns: list[str],
                  rows: Iterable[list[Any]]) -> None:
        """Insert `rows` (values in `columns` order) into `table`, in as few round trips
        as the driver allows. Their text holds no NUL where `holds_nul` is False."""
        names = ", ".join(f'"{name}"' for name in columns)
        marks = ", ".join("?" for _ in columns)
        db.cursor().executemany(
            self.adapt_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'), rows)

    def update_rows(self, db: Database, table: str, columns: dict[str, str], key: str,
                    rows: list[Sequence[Any]], *, also: str = "", where: str = "") -> None:
        """For each row of values, set `columns` (name: SQL type, "text" or "integer") from
        its values in order (and the assignments `also`, SQL) on the one row of `table`
        whose integer `key` is its last value, if `where` (SQL on `table`'s columns)
        holds. Keys are unique. Here one prepared UPDATE per row."""
        sets = ", ".join([f'"{name}" = ?' for name in columns] + ([also] if also else []))
        extra = f" AND {where}" if where else ""
        db.cursor().executemany(
            self.adapt_sql(f'UPDATE "{table}" SET {sets} WHERE "{key}" = ?{extra}'), rows)

    def stream_rows(self, db: Database, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of a big SELECT in batches of about `size`, never all in memory."""
        cursor = db.execute_sql(sql)
        while batch := cursor.fetchmany(size):
            yield batch

    def reserve_ids(self, db: Database, table: str, count: int) -> list[int]:
        """`count` new ids of `table`, the ones its next inserts would get, taken now so
        a batch can insert rows that point at each other (inside a write transaction)."""
        raise NotImplementedError

    # --- behaviour that differs ---------------------------------------------------------

    def data_version(self, db: Database) -> int:
        """A number that moves when another connection commits a change."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds besides the main connection."""

    #: The statement that changes thousands of rows at once (the set paths): on SQLite
    #: `OR FAIL`, which spares it the copy of every page it touches (its statement
    #: journal) that only an error in mid-statement would need; the caller's transaction
    #: is rolled back on any error anyway. PostgreSQL keeps no such copy.
    update_many = "UPDATE"

    @contextmanager
    def set_change(self, db: Database) -> Iterator[None]:
        """Around a change of thousands of rows in one transaction (a bulk action, a time
        rule's set): SQLite keeps the pages it dirties in its cache until the commit
        instead of spilling them to the log and rewriting them batch after batch. A
        server database keeps its cache on the server: nothing to do."""
        yield

    @contextmanager
    def one_checkpoint(self, db: Database) -> Iterator[None]:
        """Around a job of many transactions (the time rules' run): SQLite copies the
        pages they wrote from its log into the file once, at the end, instead of after
        every commit (a page changed by several of them is copied once). A server
        database checkpoints by itself: nothing to do."""
        yield

    @contextmanager
    def capped_cache(self, db: Database, kib: int) -> Iterator[None]:
        """While inside, this connection caches at most `kib` KiB of pages, so a long
        batch job (mail import) does not grow with the database. A server database keeps
        its cache on the server: nothing to do."""
        yield

    def try_job_lock(self, db: Database, name: str, holder: str, hold_for: float) -> bool:
        """Become the one process running job `name` (e.g. time rules) across every host;
        a holder that dies lets another take over after `hold_for` seconds at most."""
        raise NotImplementedError

    def release_job_lock(self, db: Database, name: str, holder: str) -> None:
        raise NotImplementedError

    def claim(self, query: SelectQuery) -> SelectQuery:
        """Lock the selected rows for this transaction, skipping rows others hold."""
        return query

    def lock_rows_sql(self) -> str:
        """What ends a SELECT to lock its rows for this transaction, waiting for others
        that hold them (nothing on SQLite: a write transaction holds the whole file)."""
        return ""

    # --- SQL expressions that differ (reports aggregate in SQL) --------------------------

    def microseconds_between(self, start: str, end: str) -> str:
        """SQL for the exact whole microseconds from timestamp column `start` to `end`."""
        raise NotImplementedError

    def day_of(self, column: str) -> str:
        """SQL for a timestamp column's UTC date as `YYYY-MM-DD` text."""
        raise NotImplementedError

    def array_rows(self, *types: str) -> str:
        """A SELECT of the rows of one parameter, a JSON array of arrays, in order: column
        "pos" (0-based) then "c0", "c1"... of these SQL types ("integer", "text"). One
        parameter instead of thousands in a VALUES list (which SQLite compiles row by row)."""
        raise NotImplementedError

    # --- full-text search ---------------------------------------------------------------

    def index_subject(self, db: Database, ticket_id: int, subject: str) -> None:
        raise NotImplementedError

    def index_entry(self, db: Database, ticket_id: int, entry_id: int, body: str) -> None:
        raise NotImplementedError

    def index_entries(self, db: Database, items: list[tuple[int, int, str]]) -> None:
        """Index many new entries (ticket id, entry id, body); one by one unless the
        backend batches them."""
        for ticket_id, entry_id, body in items:
            self.index_entry(db, ticket_id, entry_id, body)

    def unindex_entry(self, db: Database, ticket_id: int, entry_id: int) -> None:
        """Take one entry's words out of its ticket's document (the entry row still
        exists; it is deleted next)."""
        raise NotImplementedError

    def move_ticket(self, db: Database, source_id: int, target_id: int) -> None:
        raise NotImplementedError

    def rebuild_search(self, db: Database) -> int:
        raise NotImplementedError

    def ticket_matches(self, text: str, id_column: str) -> tuple[str, list[Any]] | None:
        """SQL true when the ticket `id_column` matches `text`: a probe of the index for
        one ticket (the common-word plan walks the sort order and probes)."""
        found = self.matching_ticket_ids(text)
        if found is None:
            return None
        return f"{id_column} IN ({found[0]})", found[1]

    def matching_ticket_ids(self, text: str) -> tuple[str, list[Any]] | None:
        """SQL selecting the ids of tickets matching `text`, with its parameters."""
        raise NotImplementedError
