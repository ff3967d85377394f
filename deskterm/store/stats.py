"""Planner statistics, kept fresh by the product (never by a benchmark).

SQLite's documented practice: run `PRAGMA optimize` when a connection closes and after
large changes; it analyses only the tables this connection used whose statistics are
missing or stale (the row count grew about tenfold), so it costs nothing most of the time
and a few seconds once per tenfold growth. Statistics are taken from every row
(`analysis_limit=0`): sampled ones misjudge a seven-value column such as `status` and send
the open queue through the status index and a sort. A full `ANALYZE` follows `db reindex`
and bulk imports; a desk opened without ticket statistics gets them on open.
"""

from __future__ import annotations

from peewee import SqliteDatabase

#: Rows read per index when analysing (0: all; see the module docstring).
ANALYSIS_LIMIT = 0
OPTIMIZE_SQL = (f"PRAGMA analysis_limit={ANALYSIS_LIMIT}", "PRAGMA optimize")


def is_sqlite(db) -> bool:
    return isinstance(getattr(db, "obj", db), SqliteDatabase)


def optimize(db) -> None:
    """`PRAGMA optimize`: refresh the statistics of the tables that need it."""
    if not is_sqlite(db):
        return  # PostgreSQL keeps its own statistics (autovacuum's ANALYZE)
    for statement in OPTIMIZE_SQL:
        db.execute_sql(statement)


def analyze(db, table: str | None = None) -> None:
    """A full `ANALYZE` (of one table, or of every table)."""
    target = f' "{table}"' if table else ""
    if is_sqlite(db):
        db.execute_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    db.execute_sql(f"ANALYZE{target}")


def ensure(db) -> bool:
    """Give a desk whose tickets were never analysed their statistics; True if it did."""
    if not is_sqlite(db):
        return False
    known = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).fetchone()
    if known and db.execute_sql("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'ticket'").fetchone():
        return False
    big = db.execute_sql("SELECT COUNT(*) FROM (SELECT 1 FROM ticket LIMIT 1000)").fetchone()
    if big[0] < 1000:
        return False  # a small desk plans well without statistics; optimize catches up later
    analyze(db, "ticket")
    return True


#: A change of at least this many tickets refreshes the statistics right away.
LARGE_CHANGE = 10_000


def after_bulk(db, rows: int) -> None:
    """After a large bulk change or import: `PRAGMA optimize` (cheap when nothing is stale)."""
    if rows >= LARGE_CHANGE:
        optimize(db)


def analyse_new_indexes(db, names) -> None:
    """A migration's new indexes get statistics where the desk keeps some for tickets
    (SQLite; PostgreSQL analyses after every upgrade), so the planner sees them at once."""
    if db.backend != "sqlite":
        return
    has_stats = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).fetchone()
    if has_stats and db.execute_sql("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'ticket'").fetchone():
        db.execute_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        for name in names:
            db.execute_sql(f'ANALYZE "{name}"')
