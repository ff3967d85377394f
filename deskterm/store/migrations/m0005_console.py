"""Schema version 5: indexes so the console can sort 100,000 tickets by any column quickly."""

VERSION = 5

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS "ticket_subject" ON "ticket" ("subject")',
    'CREATE INDEX IF NOT EXISTS "ticket_priority_rank_updated_at" '
    'ON "ticket" ("priority_rank", "updated_at")',
    'CREATE INDEX IF NOT EXISTS "mention_agent_id_seen" ON "mention" ("agent_id", "seen")',
]


def up(db) -> None:
    """Add sort indexes for the ticket list and a lookup index for an agent's mentions."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
