"""The team-server backend: PostgreSQL through peewee and psycopg 3.

The rest of deskterm writes SQL with `?` placeholders and SQLite's DDL (the frozen
migrations); this module adapts both: placeholders become psycopg's `%s`, migration DDL is
translated (types, serial keys, foreign keys added once every table exists), search is a
`tsvector` with a GIN index, change detection is LISTEN/NOTIFY, and workers claim rows with
`FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from peewee import Database, PostgresqlDatabase, SelectQuery

from deskterm import drivers
from deskterm.store import stats
from deskterm.store.backends.base import Backend, MigrationHandle, search_terms

drivers.attach_psycopg()  # this backend is imported only for a PostgreSQL desk

#: The NOTIFY channel every committed change to what screens show is announced on.
CHANNEL = "deskterm_changes"

_PLACEHOLDERS = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$\$.*?\$\$|--[^\n]*|\?|%s|%""", re.S
)


@lru_cache(maxsize=4096)
def to_psycopg(sql: str) -> str:
    """`?` placeholders to `%s` (outside quotes); every literal `%` doubled for psycopg.

    A bare `%s` is kept: peewee's own introspection queries are written that way.
    """

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%s":
            return token
        return token.replace("%", "%%")

    sql = _PLACEHOLDERS.sub(swap, sql)
    if sql.lstrip()[:16].upper().startswith("INSERT OR IGNORE"):
        sql = re.sub(r"(?i)^\s*INSERT OR IGNORE", "INSERT", sql) + " ON CONFLICT DO NOTHING"
    return sql


def _bool_as_int_dumper() -> type:
    """A psycopg dumper that sends Python booleans as integers.

    Flags are INTEGER columns (0/1) in the shared schema, as SQLite stores them, so raw
    SQL such as `active = 1` means the same on both backends.
    """
    import psycopg
    from psycopg.adapt import Dumper

    class BoolAsInt(Dumper):
        oid = psycopg.postgres.types["int4"].oid

        def dump(self, obj: bool) -> bytes:
            return b"1" if obj else b"0"

    return BoolAsInt


def _nul_free_str_dumper() -> type:
    """A psycopg dumper for text that stores NUL characters, which PostgreSQL text cannot
    hold, as U+FFFD: what every face shows for a control character on SQLite too."""
    from psycopg.types.string import StrDumperUnknown

    class NulFreeStr(StrDumperUnknown):
        def dump(self, obj: str):  # noqa: ANN201
            return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)

    return NulFreeStr


def _nul_free(value: Any) -> Any:
    """Text as PostgreSQL stores it (a NUL as U+FFFD, as the connection's dumper sends it)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class DeskPostgresqlDatabase(PostgresqlDatabase):
    """PostgresqlDatabase that speaks the `?` placeholder style the rest of deskterm uses."""

    param = "?"
    #: Flags are INTEGER 0/1 on both backends (see `_bool_as_int_dumper`).
    field_types = {**PostgresqlDatabase.field_types, "BOOL": "INTEGER"}

    def _connect(self):  # noqa: ANN202 - peewee's hook
        conn = super()._connect()
        conn.adapters.register_dumper(bool, _bool_as_int_dumper())
        conn.adapters.register_dumper(str, _nul_free_str_dumper())
        return conn

    def execute_sql(self, sql: str, params: Any = None):  # noqa: ANN201
        return super().execute_sql(to_psycopg(sql), params)


# --- DDL translation for the numbered migrations ---------------------------------------

_FOREIGN_KEY = re.compile(
    r',\s*FOREIGN KEY \(("[^"]+")\) REFERENCES ("[^"]+") \(("[^"]+")\)'
    r"((?:\s+ON (?:DELETE|UPDATE) (?:SET NULL|SET DEFAULT|CASCADE|RESTRICT|NO ACTION))*)"
)
_SERIAL_KEY = re.compile(r"INTEGER\s+(?:NOT NULL\s+)?PRIMARY KEY(?:\s+AUTOINCREMENT)?", re.I)
_TABLE_NAME = re.compile(r'^\s*CREATE TABLE\s+(?:IF NOT EXISTS\s+)?("[^"]+"|\w+)', re.I)
#: VARCHAR(n) becomes TEXT: SQLite never enforced the length, so neither does PostgreSQL.
_TYPES = ((re.compile(r"\bDATETIME\b", re.I), "TIMESTAMP"),
          (re.compile(r"\bVARCHAR\(\d+\)", re.I), "TEXT"),
          (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
          (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"))
#: SQLite-only statements a migration may hold; PostgreSQL gets its own equivalents in
#: m0013 (search table, triggers) or needs none (pragmas).
_SQLITE_ONLY = re.compile(
    r"^\s*(CREATE VIRTUAL TABLE|PRAGMA|CREATE TRIGGER[^;]*\bBEGIN\b|DROP TRIGGER)", re.I | re.S
)


def translate_ddl(sql: str) -> tuple[str | None, list[str]]:
    """SQLite DDL to PostgreSQL DDL: the statement (None to skip) and statements to defer.

    Foreign keys of a CREATE TABLE are deferred to the end of the migration, since SQLite
    lets a table refer to one created later in the same migration and PostgreSQL does not.
    """
    if _SQLITE_ONLY.match(sql):
        return None, []
    deferred: list[str] = []
    table = _TABLE_NAME.match(sql)
    if table:
        name = table.group(1)
        for column, target, target_column, actions in _FOREIGN_KEY.findall(sql):
            deferred.append(
                f"ALTER TABLE {name} ADD FOREIGN KEY ({column}) "
                f"REFERENCES {target} ({target_column}){actions}"
            )
        sql = _FOREIGN_KEY.sub("", sql)
        sql = _SERIAL_KEY.sub("SERIAL PRIMARY KEY", sql)
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql, deferred


class PostgresMigrationHandle(MigrationHandle):
    """Runs a migration's SQLite DDL translated for PostgreSQL."""

    backend = "postgresql"

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._deferred: list[str] = []

    def execute_sql(self, sql: str, params: Any = None):  # noqa: ANN201
        translated, deferred = translate_ddl(sql)
        self._deferred.extend(deferred)
        if translated is None:
            return None
        return self.db.execute_sql(translated, params)

    def execute(self, query: Any, **context: Any):  # noqa: ANN201
        """A peewee query (model DDL from `create_tables`) through the same translation,
        so a frozen model's CharField is TEXT here as in the hand-written migrations."""
        sql, params = self.db.get_sql_context(**context).sql(query).query()
        return self.execute_sql(sql, params)

    def finish(self) -> None:
        while self._deferred:
            self.db.execute_sql(self._deferred.pop(0))

    def unlimited_text(self, table: str, *columns: str) -> None:
        for column in columns:
            self.db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE TEXT')


# --- the backend -----------------------------------------------------------------------


def _search_query(terms: list) -> tuple[str, list[Any]]:
    """One tsquery expression (terms ANDed) built only from bound parameters."""
    parts, params = [], []
    for term in terms:
        if term.prefix:
            lexeme = re.sub(r"\W+", "", term.text)
            if not lexeme:
                continue
            parts.append("to_tsquery('simple', deskterm_fold(?) || ':*')")
            params.append(lexeme)
        else:
            parts.append("phraseto_tsquery('simple', deskterm_fold(?))")
            params.append(term.text)
    return " && ".join(parts), params


#: The text of a ticket's thread (agents' and customers' entries) as a tsvector.
_ENTRIES_DOC = (
    "COALESCE(deskterm_tsv((SELECT string_agg(e.body, ' ' ORDER BY e.id) FROM entry e "
    "WHERE e.ticket_id = t.id AND e.kind != 'system')), ''::tsvector)"
)
#: (Re)index one ticket from its subject ({subject}: a parameter or t.subject) and thread.
_ADD_ENTRY = (
    "INSERT INTO search_index (ticket_id, doc) VALUES (?, deskterm_tsv(?)) "
    "ON CONFLICT (ticket_id) DO UPDATE SET doc = search_index.doc || EXCLUDED.doc"
)
_UPSERT_DOC = (
    "INSERT INTO search_index (ticket_id, doc) SELECT t.id, deskterm_tsv({subject}) || "
    + _ENTRIES_DOC
    + " FROM ticket t WHERE t.id = ? ON CONFLICT (ticket_id) DO UPDATE SET doc = EXCLUDED.doc"
)
#: The same without one entry (a parameter before the ticket's id): one being withdrawn.
_UPSERT_DOC_WITHOUT = _UPSERT_DOC.replace("AND e.kind != 'system'",
                                          "AND e.kind != 'system' AND e.id != ?")


#: Foreign keys from or to any of the tables (two array parameters): table, name, definition.
_FOREIGN_KEYS_OF = (
    "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
    "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
    "WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace "
    "AND (t.relname = ANY(?) OR r.relname = ANY(?)) ORDER BY t.relname, c.conname"
)
#: Indexes of the tables that back no primary key, unique or exclusion constraint.
_PLAIN_INDEXES_OF = (
    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
    "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(?) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
    "AND c.contype IN ('p', 'u', 'x')) ORDER BY i.relname"
)
#: Working memory for building those indexes again (this transaction only).
_LOAD_MEMORY = "256MB"


class PostgresBackend(Backend):
    name = "postgresql"
    holds_nul = False
    #: Each hit is a tsvector read from the table (about 6 us): the planner's probe of the
    #: index while walking the sort order wins over collecting tens of thousands of hits.
    cheap_hits = False

    def __init__(self) -> None:
        self._listener: Any = None
        self._version = 0

    def make_database(self, target: Path | str) -> Database:
        return DeskPostgresqlDatabase(str(target), prefer_psycopg3=True)

    def adapt_sql(self, sql: str) -> str:
        return to_psycopg(sql)

    def exists(self, target: Path | str) -> bool:
        import psycopg

        try:
            with psycopg.connect(str(target), connect_timeout=10) as conn:
                row = conn.execute("SELECT to_regclass('schema_version')").fetchone()
        except psycopg.OperationalError:
            return False
        return row[0] is not None

    def describe(self, target: Path | str) -> str:
        parts = urlsplit(str(target))
        if parts.password:
            netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
            parts = parts._replace(netloc=netloc)
        return urlunsplit(parts)

    def attachments_dir(self, target: Path | str) -> Path:
        from deskterm import paths

        return paths.side_dir(target, "files")

    def drop_everything(self, db: Database) -> None:
        tables = [r[0] for r in db.execute_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        with db.atomic():
            for table in tables:
                db.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            for (name,) in db.execute_sql(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
                "AND p.proname LIKE 'deskterm_%'"
            ).fetchall():
                db.execute_sql(f"DROP FUNCTION IF EXISTS {name} CASCADE")

    def migration_handle(self, db: Database) -> MigrationHandle:
        return PostgresMigrationHandle(db)

    def lock_schema(self, db: Database) -> None:
        db.execute_sql("SELECT pg_advisory_xact_lock(7316)")  # 7316: deskterm's schema lock

    def after_upgrade(self, db: Database) -> None:
        db.execute_sql("ANALYZE")

    # --- loading a whole desk: COPY, then indexes and foreign keys built once -----------

    @contextmanager
    def bulk_loading(self, db: Database, tables: list[str]) -> Iterator[bool]:
        # Indexes (but the primary and unique keys) and foreign keys touching `tables` go
        # for the load and come back, under the same names, built once over all the rows;
        # adding a foreign key checks every row. On an error nothing is rebuilt: the
        # transaction rolls back, dropped objects included.
        keys = db.execute_sql(_FOREIGN_KEYS_OF, (tables, tables)).fetchall()
        indexes = db.execute_sql(_PLAIN_INDEXES_OF, (tables,)).fetchall()
        for table, name, _ in keys:
            db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            db.execute_sql(f'DROP INDEX "{name}"')
        db.execute_sql(f"SET LOCAL maintenance_work_mem = '{_LOAD_MEMORY}'")
        yield True
        for _, definition in indexes:
            db.execute_sql(definition)
        for table, name, definition in keys:
            db.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')

    def load_rows(self, db: Database, table: str, columns: list[str],
                  rows: Iterable[list[Any]]) -> None:
        from psycopg.types.string import StrDumperUnknown

        names = ", ".join(f'"{name}"' for name in columns)
        cursor = db.cursor()
        # psycopg's own (compiled) text dumper: the caller sends no NUL (`holds_nul`), so
        # the connection's NUL-replacing one, a Python call per value, is not needed here
        cursor.adapters.register_dumper(str, StrDumperUnknown)
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def update_rows(self, db: Database, table: str, columns: dict[str, str], key: str,
                    rows: list[Sequence[Any]], *, also: str = "", where: str = "") -> None:
        # One UPDATE ... FROM the rows of one JSON parameter: a statement per row costs the
        # server an executor start and the statement's triggers each time (rendering 10,000
        # mails: 10.9 s a row at a time, 5.7 s as one statement per batch).
        if not rows:
            return
        sets = ", ".join([f'"{name}" = r.c{n}' for n, name in enumerate(columns)]
                         + ([also] if also else []))
        extra = f" AND {where}" if where else ""
        rows_sql = self.array_rows(*columns.values(), "integer")
        values = [[_nul_free(v) for v in row] for row in rows]
        db.execute_sql(
            f'UPDATE "{table}" SET {sets} FROM ({rows_sql}) r '
            f'WHERE "{table}"."{key}" = r.c{len(columns)}{extra}',
            (json.dumps(values, default=str),),
        )

    def stream_rows(self, db: Database, sql: str, size: int) -> Iterator[list[tuple]]:
        # A server-side cursor: scoped to the transaction, or held past it outside one.
        import psycopg

        conn = db.connection()
        in_transaction = conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        with conn.cursor(name="deskterm_stream", withhold=not in_transaction) as cursor:
            cursor.itersize = size
            cursor.execute(self.adapt_sql(sql))
            while batch := cursor.fetchmany(size):
                yield batch

    def reserve_ids(self, db: Database, table: str, count: int) -> list[int]:
        rows = db.execute_sql(
            f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) "
            "FROM generate_series(1, ?)", (count,)
        ).fetchall()
        return sorted(row[0] for row in rows)

    def reset_sequences(self, db: Database, tables: list[str]) -> None:
        for table in tables:
            db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )

    # --- change detection: LISTEN on a connection of its own ---------------------------

    def data_version(self, db: Database) -> int:
        import psycopg

        if self._listener is None or self._listener.closed:
            self._listener = psycopg.connect(str(db.database), autocommit=True)
            self._listener.execute(f"LISTEN {CHANNEL}")
        for _ in self._listener.notifies(timeout=0):
            self._version += 1
        return self._version

    def close(self) -> None:
        """Close the listening connection (if any)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def try_job_lock(self, db: Database, name: str, holder: str, hold_for: float) -> bool:
        # A session-level advisory lock: released by unlock or when the process dies.
        row = db.execute_sql("SELECT pg_try_advisory_lock(hashtext(?))", (f"deskterm:{name}",))
        return bool(row.fetchone()[0])

    def release_job_lock(self, db: Database, name: str, holder: str) -> None:
        db.execute_sql("SELECT pg_advisory_unlock(hashtext(?))", (f"deskterm:{name}",))

    def claim(self, query: SelectQuery) -> SelectQuery:
        return query.for_update(skip_locked=True)

    def lock_rows_sql(self) -> str:
        return " FOR UPDATE"

    # --- SQL expressions ----------------------------------------------------------------

    def microseconds_between(self, start: str, end: str) -> str:
        return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000) AS BIGINT)"

    def day_of(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM-DD')"

    def array_rows(self, *types: str) -> str:
        columns = "".join(f", CAST(e.value->>{n} AS {kind}) AS c{n}"
                          for n, kind in enumerate(types))
        return (f"SELECT e.ord - 1 AS pos{columns} FROM jsonb_array_elements(CAST(? AS jsonb)) "
                "WITH ORDINALITY AS e(value, ord)")

    # --- search: one tsvector per ticket -----------------------------------------------

    def index_subject(self, db: Database, ticket_id: int, subject: str) -> None:
        db.execute_sql(_UPSERT_DOC.format(subject="?"), (subject, ticket_id))

    def index_entry(self, db: Database, ticket_id: int, entry_id: int, body: str) -> None:
        db.execute_sql(_ADD_ENTRY, (ticket_id, body))

    def index_entries(self, db: Database, items: list[tuple[int, int, str]]) -> None:
        # the same statement as `index_entry`, in the same order, in one pipeline
        rows = [(ticket_id, body) for ticket_id, _, body in items]
        if rows:
            db.cursor().executemany(self.adapt_sql(_ADD_ENTRY), rows)

    def unindex_entry(self, db: Database, ticket_id: int, entry_id: int) -> None:
        db.execute_sql(_UPSERT_DOC_WITHOUT.format(subject="t.subject"), (entry_id, ticket_id))

    def move_ticket(self, db: Database, source_id: int, target_id: int) -> None:
        # The entries already belong to the target: index it again, drop the source.
        db.execute_sql("DELETE FROM search_index WHERE ticket_id = ?", (source_id,))
        db.execute_sql(_UPSERT_DOC.format(subject="t.subject"), (target_id,))

    def rebuild_search(self, db: Database) -> int:
        db.execute_sql("DELETE FROM search_index")
        db.execute_sql(
            f"INSERT INTO search_index (ticket_id, doc) SELECT t.id, "
            f"deskterm_tsv(t.subject) || {_ENTRIES_DOC} FROM ticket t "
            "WHERE t.merged_into_id IS NULL"
        )
        stats.analyze(db)  # after `db reindex` or a copy, as on SQLite: fresh statistics
        return db.execute_sql("SELECT COUNT(*) FROM search_index").fetchone()[0]

    def matching_ticket_ids(self, text: str) -> tuple[str, list[Any]] | None:
        terms = search_terms(text)
        if not terms:
            return None
        query, params = _search_query(terms)
        if not query:
            return None
        return f"SELECT ticket_id FROM search_index WHERE doc @@ ({query})", params
