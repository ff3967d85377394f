"""Schema version 8: a million tickets.

Every sort key of the ticket list gets an index that matches its ORDER BY including the
`id` tie-breaker (so the first page, keyset pages and the last page are index walks);
the built-in "My open" / "Unassigned" views get an (assignee, updated, id, status) index,
"Breaching SLA" counts an (sla_breached, status) one, reports a resolved_at one; the
full-text index becomes one contentless row per ticket keyed by ticket id.
"""

from peewee import SqliteDatabase

VERSION = 8

STATEMENTS = [
    'DROP INDEX IF EXISTS "ticket_updated_at"',
    'CREATE INDEX "ticket_updated_at_id" ON "ticket" ("updated_at", "id")',
    'DROP INDEX IF EXISTS "ticket_created_at"',
    'CREATE INDEX "ticket_created_at_id" ON "ticket" ("created_at", "id")',
    'DROP INDEX IF EXISTS "ticket_priority_rank_updated_at"',
    'CREATE INDEX "ticket_priority_rank_id" ON "ticket" ("priority_rank", "id")',
    'DROP INDEX IF EXISTS "ticket_subject"',
    'CREATE INDEX "ticket_subject_id" ON "ticket" ("subject", "id")',
    'CREATE INDEX "ticket_status_id" ON "ticket" ("status", "id")',
    'DROP INDEX IF EXISTS "ticket_status"',
    'CREATE INDEX "ticket_assignee_id_updated_at_id" ON "ticket" ("assignee_id", "updated_at", "id", "status")',
    'CREATE INDEX "ticket_sla_breached_status" ON "ticket" ("sla_breached", "status")',
    'CREATE INDEX "ticket_resolved_at" ON "ticket" ("resolved_at")',
    'CREATE INDEX "ticket_due_id" ON "ticket" '
    '((COALESCE("first_response_due", "resolution_due", \'9999-12-31 23:59:59\')), "id")',
    ]


SEARCH_STATEMENTS = [
    'DROP TABLE IF EXISTS "search_index"',
    'CREATE VIRTUAL TABLE "search_index" USING fts5(subject, body, content=\'\', '
    'tokenize="unicode61 remove_diacritics 2")',
    """INSERT INTO search_index (rowid, subject, body)
    SELECT t.id, t.subject, COALESCE((
        SELECT group_concat(body, char(10)) FROM (
            SELECT e.body FROM entry e WHERE e.ticket_id = t.id AND e.kind != 'system'
            ORDER BY e.id
        )), '')
    FROM "ticket" t WHERE t.merged_into_id IS NULL""",
]


def up(db) -> None:
    """Replace the sort indexes and remake the search index keyed by ticket id."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
    if isinstance(getattr(db, "obj", db), SqliteDatabase):  # other backends: store/search
        for statement in SEARCH_STATEMENTS:
            db.execute_sql(statement)
