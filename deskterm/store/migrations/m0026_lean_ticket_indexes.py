"""Schema version 26: fewer ticket index entries for every close to move.

A close changes a ticket's status, times and SLA due columns, so each index on any of them
moves that ticket's entry: nineteen of them since m0025, the bulk close's and the time
rules' main cost (on a million tickets each one costs about 0.25 s per 100,000 closes).
Every statement the product runs was planned on both engines (every built-in view and
sort key in both directions, seeks, closed views, counts, reports, the dashboard, the SLA
sweep, the time rules' candidates) to find what the indexes below are still good for:

- `ticket_next_response_due`: no statement uses it (the listing and the sweep read the
  response clock from `first_response_due`, which holds the reply owed now).
- `ticket_status_status_changed_at`: only `sla.backfill`'s one-off UPDATE of rows without
  a status time (it recomputes every ticket anyway); the time rules' candidates walk the
  (status, id) index, the order they fire in.
- `ticket_first_response_due` and `ticket_resolution_due`: only range conditions use them
  (the `sla due in` rules, the dashboard's due-today counts), and a range implies the
  column is set; rebuilt over the tickets with a running clock only, so a close removes
  the entry instead of moving it among every ticket without a clock.
"""

from deskterm.store import stats

VERSION = 26

DROPPED = ("ticket_next_response_due", "ticket_status_status_changed_at")
#: The due-time indexes rebuilt over the tickets whose clock runs (same names).
PARTIAL = {
    "ticket_first_response_due": '"first_response_due"',
    "ticket_resolution_due": '"resolution_due"',
}


def up(db) -> None:
    """Drop the unused indexes and narrow the due-time ones to running clocks."""
    for name in (*DROPPED, *PARTIAL):
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    for name, column in PARTIAL.items():
        db.execute_sql(f'CREATE INDEX "{name}" ON "ticket" ({column}) WHERE {column} IS NOT NULL')
    stats.analyse_new_indexes(db, PARTIAL)
