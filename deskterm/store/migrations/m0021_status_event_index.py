"""Schema version 21: status changes of a period from an index of their own.

Reports count who resolved what in a period from the status events; with only the
(actor, at) index that read every event of the period (replies, notes, tags...) and
looked each one up. A partial index over status events alone, (after, at, actor, ticket,
field: SQLite reads a partial index's own condition column from the index only when it is
one of its columns), serves "resolved in the period, by agent" from the index alone (a
few thousand entries on a million tickets). Both engines have partial indexes.

On SQLite a desk that keeps planner statistics gets them for the new index at once (as
m0018 does: an index without statistics misleads the planner).
"""

VERSION = 21

INDEX = "event_status_changes"
STATEMENT = (
    f'CREATE INDEX "{INDEX}" ON "event" ("after", "at", "actor", "ticket_id", "field") '
    "WHERE \"field\" = 'status'"
)


def up(db) -> None:
    """Add the partial index of status events (with its statistics where the desk keeps some)."""
    db.execute_sql(STATEMENT)
    if db.backend != "sqlite":
        return  # PostgreSQL analyses after every upgrade
    has_stats = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).fetchone()
    if has_stats and db.execute_sql("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'event'").fetchone():
        db.execute_sql("PRAGMA analysis_limit = 0")
        db.execute_sql(f'ANALYZE "{INDEX}"')
