"""Schema version 25: the open queue read from indexes of active tickets only.

The open queue (and every built-in view of active tickets: My open, Unassigned, Breaching
SLA, Needs reassignment) walked the sort index of every ticket, skipping closed ones.
When an admin bulk-closes stale tickets they become the newest by update, so the first
page by `updated` read 200,000 closed tickets before the first open one (0.13-0.85 s
on a million tickets); oldest-first orders (`created`, `id`, priority ascending) walked three
years of closed history the same way.

Each sort key of the ticket list gets a partial index over the active statuses, in the
sort order with the `id` tie-breaker, then the columns the built-in views and an agent's
access filter test (assignee, team, queue, SLA breach), so those are checked in the index
before any row is read. My open and Unassigned by `updated` get (assignee, updated, id)
over active tickets. `status` needs none: its (status, id) index already walks the active
statuses in order. `due` is served today by its index over every ticket (a closed ticket
owes no reply, so closed ones sort last), but with full statistics on a small desk the
planner preferred the status index and a sort; its partial index leaves no such choice.

Every partial index is also work for each close (its entry goes): a bulk close of 100,000
of a million tickets updates seven more indexes.

SQLite uses a partial index only when the query spells its condition as the index does:
the listing writes the active statuses as these literals in this order (never as bound
parameters). PostgreSQL proves the condition from any spelling. On SQLite a desk that
keeps planner statistics gets them for the new indexes at once (as m0018 and m0021 do).

The outbox gets a `sent_at` index: the change fingerprint every screen polls (and the
queue counts' cache checks) reads the latest delivery, which read every outbox row.
"""

from deskterm.store import stats

VERSION = 25

ACTIVE = "\"status\" IN ('new', 'open', 'pending', 'on_hold', 'postponed')"
FILTERS = '"assignee_id", "team_id", "queue_id", "sla_breached"'
DUE = "(COALESCE(\"first_response_due\", \"resolution_due\", '9999-12-31 23:59:59'))"

INDEXES = {
    "ticket_active_updated_at_id": f'"updated_at", "id", {FILTERS}',
    "ticket_active_created_at_id": f'"created_at", "id", {FILTERS}',
    "ticket_active_priority_rank_id": f'"priority_rank", "id", {FILTERS}',
    "ticket_active_subject_id": f'"subject", "id", {FILTERS}',
    "ticket_active_due_id": f'{DUE}, "id", {FILTERS}',
    "ticket_active_id": f'"id", {FILTERS}',
    "ticket_active_assignee_id_updated_at_id": '"assignee_id", "updated_at", "id"',
}


def up(db) -> None:
    """Add the partial indexes (with their statistics where the desk keeps some)."""
    for name, columns in INDEXES.items():
        db.execute_sql(f'CREATE INDEX "{name}" ON "ticket" ({columns}) WHERE {ACTIVE}')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "outbox_message_sent_at" ON "outbox_message" '
                   '("sent_at")')
    stats.analyse_new_indexes(db, INDEXES)
