"""Schema version 18: reports served from indexes alone.

The backlog (active tickets by status, age, queue and team) is counted from one covering
(status, queue, created, team) index; the per-agent reply and note counts of a period
from an entry (created_at, kind, agent) index, which replaces the plain created_at one
(every query that used it can use the new one's first column).

On SQLite a desk that has planner statistics gets them for the new indexes at once: an
index without statistics looks cheap to the planner, which then sends the open queue
through it and a sort instead of down the (updated_at, id) index.
"""

from deskterm.store import stats

VERSION = 18

STATEMENTS = [
    'CREATE INDEX "ticket_status_queue_id_created_at_team_id" ON "ticket" '
    '("status", "queue_id", "created_at", "team_id")',
    'DROP INDEX IF EXISTS "entry_created_at"',
    'CREATE INDEX "entry_created_at_kind_agent_id" ON "entry" ("created_at", "kind", "agent_id")',
]


NEW_INDEXES = ("ticket_status_queue_id_created_at_team_id", "entry_created_at_kind_agent_id")


def up(db) -> None:
    """Add the covering report indexes (with their statistics where the desk keeps some)."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
    stats.analyse_new_indexes(db, NEW_INDEXES)
