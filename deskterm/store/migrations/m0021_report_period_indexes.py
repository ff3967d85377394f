"""Schema version 21: a report's period read from indexes alone.

Reports count who resolved what in a period from the status events; with only the
(actor, at) index that read every event of the period (replies, notes, tags...) and
looked each one up. A partial index over status events alone, (after, at, actor, ticket,
field: SQLite reads a partial index's own condition column from the index only when it is
one of its columns), serves "resolved in the period, by agent" from the index alone (a
few thousand entries on a million tickets). Both engines have partial indexes.

The tickets created in a period (counts by day, queue and channel; first response times)
and those resolved in it (resolution times, satisfaction) are read from two covering
indexes led by `created_at` and `resolved_at`; the second replaces the plain
`resolved_at` one (every query that used it can use the new one's first column).

On SQLite a desk that keeps planner statistics gets them for the new indexes at once (as
m0018 does: an index without statistics misleads the planner).
"""

from deskterm.store import stats

VERSION = 21

INDEXES = {
    "event_status_changes": (
        '"event" ("after", "at", "actor", "ticket_id", "field") WHERE "field" = \'status\''
    ),
    "ticket_created_at_merged_into_id_queue_id_channel_first_response_at": (
        '"ticket" ("created_at", "merged_into_id", "queue_id", "channel", "first_response_at")'
    ),
    "ticket_resolved_at_merged_into_id_queue_id_created_at_csat_rating": (
        '"ticket" ("resolved_at", "merged_into_id", "queue_id", "created_at", "csat_rating")'
    ),
}


def up(db) -> None:
    """Add the report indexes (with their statistics where the desk keeps some)."""
    for name, definition in INDEXES.items():
        db.execute_sql(f'CREATE INDEX "{name}" ON {definition}')
    db.execute_sql('DROP INDEX IF EXISTS "ticket_resolved_at"')
    stats.analyse_new_indexes(db, INDEXES)
