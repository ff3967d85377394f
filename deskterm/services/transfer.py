"""Move a whole desk between databases (SQLite <-> PostgreSQL): `deskterm db copy`.

Every table of the schema is copied row for row (ids kept), id sequences continue where
the source's left off, the attachment and mail folders are copied, and the search index is
rebuilt. Row counts and a checksum per table (the source's taken from the rows as they are
sent, the destination's read back) are compared inside the destination's one transaction,
which also rebuilds the search index and the planner's statistics: on any difference or
error nothing is committed. The backend loads the rows its fastest way (PostgreSQL: COPY,
its indexes and foreign keys built once after the rows).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peewee import Database

from deskterm import paths
from deskterm.domain import BadInput, NotFound, Refused
from deskterm.store import backends
from deskterm.store.backends import Backend

#: Derived or engine-owned tables: rebuilt or kept by each database itself.
_SKIPPED_PREFIXES = ("search_index", "sqlite_", "schema_version")
#: Tables that must be empty in the destination (a desk already lives there otherwise).
_MUST_BE_EMPTY = ("ticket", "agent", "queue", "contact")
BATCH = 2_000


def _tables(db: Database) -> list[str]:
    return [t for t in db.get_tables() if not t.startswith(_SKIPPED_PREFIXES)]


def _order(db: Database, tables: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Tables parents first, and each table's self-referencing columns (filled afterwards)."""
    parents: dict[str, set[str]] = {}
    self_refs: dict[str, list[str]] = {}
    for table in tables:
        keys = db.get_foreign_keys(table)
        parents[table] = {k.dest_table for k in keys if k.dest_table != table} & set(tables)
        self_refs[table] = [k.column for k in keys if k.dest_table == table]
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, needs in parents.items() if needs <= set(ordered))
        if not ready:  # a cycle between tables: keep going in name order
            ready = [sorted(parents)[0]]
        for table in ready:
            ordered.append(table)
            del parents[table]
    return ordered, self_refs


def _columns(db: Database, table: str) -> list[tuple[str, bool]]:
    """(name, is_timestamp) for each column, in table order."""
    return [
        (c.name, "time" in c.data_type.lower() or "date" in c.data_type.lower())
        for c in db.get_columns(table)
    ]


def _key(db: Database, table: str) -> str:
    keys = db.get_primary_keys(table)
    return keys[0] if keys else _columns(db, table)[0][0]


def _normal(value: Any, is_time: bool) -> Any:
    """One value as both engines agree on it (times as ISO text, flags as integers)."""
    if isinstance(value, bool):
        return int(value)
    if is_time and isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def _json_default(value: Any) -> Any:
    """What JSON cannot hold (bytes, dates in a column not typed as one), as `_normal`
    gives it."""
    normal = _normal(value, False)
    return str(value) if normal is value else normal


#: One row's JSON for the checksum (built once: `json.dumps` with options builds an
#: encoder per call).
_ROW_JSON = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode


def _time(value: Any) -> Any:
    """A timestamp column's value as `_normal` gives it (the common cases first)."""
    if value is None:
        return None
    if value.__class__ is datetime:
        return value.isoformat(sep=" ")
    if value.__class__ is str:
        try:
            return datetime.fromisoformat(value).isoformat(sep=" ")
        except ValueError:
            return value
    return _normal(value, True)


#: A NUL character as the checksum's JSON writes it; PostgreSQL text cannot hold one and
#: stores U+FFFD instead (see `Backend.holds_nul`), so both count as U+FFFD.
_NUL_JSON = "\\u0000"


class _Checksum:
    """Row count and sha256 of every row in key order, values as `_normal` gives them:
    the same for one table on either engine."""

    def __init__(self, columns: list[tuple[str, bool]]) -> None:
        self.times = [at for at, (_, is_time) in enumerate(columns) if is_time]
        self.digest = hashlib.sha256()
        self.rows = 0

    def add(self, batch: list[tuple]) -> bool:
        """Count and hash `batch`; True when its text holds a NUL character."""
        times, lines = self.times, []
        for row in batch:
            if times:
                row = list(row)
                for at in times:
                    row[at] = _time(row[at])
            lines.append(_ROW_JSON(row))
        lines.append("")
        text = "\n".join(lines)
        has_nul = _NUL_JSON in text
        if has_nul:
            text = text.replace(_NUL_JSON, "\ufffd")
        self.digest.update(text.encode())
        self.rows += len(batch)
        return has_nul

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.digest.hexdigest()[:16]}


def _without_nul(row: tuple) -> list[Any]:
    return [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in row]


def _select(table: str, columns: list[tuple[str, bool]], key: str) -> str:
    names = ", ".join(f'"{name}"' for name, _ in columns)
    return f'SELECT {names} FROM "{table}" ORDER BY "{key}"'


def _summary(db: Database, chosen: Backend, table: str) -> dict[str, Any]:
    """Row count and checksum of `table` as it is in `db`."""
    columns = _columns(db, table)
    checksum = _Checksum(columns)
    for batch in chosen.stream_rows(db, _select(table, columns, _key(db, table)), BATCH):
        checksum.add(batch)
    return checksum.summary()


def _open(chosen: Backend, target: Path | str) -> Database:
    handle = chosen.make_database(target)
    handle.connect()
    return handle


def _migrate(target: Path | str) -> None:
    """Create or upgrade the schema at `target` through the normal path."""
    from deskterm.store.db import close_db, open_db

    open_db(target)
    close_db()


def _copy_table(src: Database, src_backend: Backend, dst: Database, dst_backend: Backend,
                table: str, self_refs: list[str]) -> dict[str, Any]:
    """Load every row of `table` into `dst`; the source's count and checksum, taken from
    the rows as they went. Self-references wait for an UPDATE when `self_refs` is given
    (the destination checks each row's foreign keys as it arrives)."""
    columns = _columns(src, table)
    names = [name for name, _ in columns]
    checksum = _Checksum(columns)
    key = _key(src, table)
    at_key = names.index(key)
    positions = [names.index(name) for name in self_refs]
    later: list[tuple[str, Any, Any]] = []

    def rows():
        for batch in src_backend.stream_rows(src, _select(table, columns, key), BATCH):
            if checksum.add(batch) and not dst_backend.holds_nul:
                batch = [_without_nul(row) for row in batch]
            for row in batch:
                if positions:
                    row = list(row)
                    for at in positions:
                        if row[at] is not None:
                            later.append((names[at], row[at], row[at_key]))
                            row[at] = None
                yield row

    dst_backend.load_rows(dst, table, names, rows())
    for name, value, row_key in later:
        dst.execute_sql(f'UPDATE "{table}" SET "{name}" = ? WHERE "{key}" = ?', (value, row_key))
    return checksum.summary()


def _copy_folders(source: Path | str, dest: Path | str) -> int:
    copied = 0
    for kind in ("files", "mail"):
        origin, target = paths.side_dir(source, kind), paths.side_dir(dest, kind)
        if origin.is_dir() and origin.resolve() != target.resolve():
            shutil.copytree(origin, target, dirs_exist_ok=True)
            copied += sum(1 for p in origin.rglob("*") if p.is_file())
    return copied


def copy_desk(source: Path | str, dest: Path | str, *, dry_run: bool = False) -> dict[str, Any]:
    """Copy the desk at `source` into the empty database `dest`; report what was copied."""
    source, dest = paths.db_target(source), paths.db_target(dest)
    src_backend, dst_backend = backends.for_target(source), backends.for_target(dest)
    if str(source) == str(dest):
        raise BadInput("source and destination are the same database")
    if not src_backend.exists(source):
        raise NotFound(f"no desk at {src_backend.describe(source)}")
    _migrate(source)
    src = _open(src_backend, source)
    try:
        tables = _tables(src)
        report: dict[str, Any] = {
            "source": src_backend.describe(source),
            "destination": dst_backend.describe(dest),
            "dry_run": dry_run,
            "tables": {},
        }
        if dry_run:
            for table in tables:
                count = src.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                report["tables"][table] = {"rows": count}
            return report
        _migrate(dest)
        dst = _open(dst_backend, dest)
        try:
            _copy_all(src, src_backend, dst, dst_backend, tables, report)
        finally:
            dst.close()
    finally:
        src.close()
    report["files"] = _copy_folders(source, dest)
    return report


def _copy_all(src: Database, src_backend: Backend, dst: Database, dst_backend: Backend,
              tables: list[str], report: dict[str, Any]) -> None:
    missing = sorted(set(tables) - set(_tables(dst)))
    if missing:
        raise Refused(f"destination schema lacks tables: {', '.join(missing)}")
    for table in _MUST_BE_EMPTY:
        if dst.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]:
            raise Refused(
                f"{dst_backend.describe(dst.database)} already holds a desk ({table} has rows); "
                "copy into an empty database"
            )
    ordered, self_refs = _order(dst, tables)
    with dst.atomic():
        for table in reversed(ordered):
            dst.execute_sql(f'DELETE FROM "{table}"')  # rows a migration may have seeded
        copied: dict[str, dict[str, Any]] = {}
        with dst_backend.bulk_loading(dst, ordered) as unchecked:
            for table in ordered:
                copied[table] = _copy_table(src, src_backend, dst, dst_backend, table,
                                            [] if unchecked else self_refs[table])
        dst_backend.reset_sequences(
            dst, [t for t in ordered if any(n == "id" for n, _ in _columns(dst, t))]
        )
        for table in ordered:
            before, after = copied[table], _summary(dst, dst_backend, table)
            if before != after:
                raise Refused(
                    f"copy of {table} does not match: {before['rows']} rows "
                    f"({before['checksum']}) became {after['rows']} ({after['checksum']}); "
                    "nothing was written"
                )
            report["tables"][table] = before
        # the search index is derived: built here from the copied rows, in the same
        # transaction (with the planner's statistics)
        report["indexed"] = dst_backend.rebuild_search(dst)
