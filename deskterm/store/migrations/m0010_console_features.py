"""Schema version 10: running timers, recently opened tickets, undo-send hold, team views."""

VERSION = 10

STATEMENTS = [
    'CREATE TABLE "active_timer" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "started_at" DATETIME NOT NULL, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "active_timer_agent_id" ON "active_timer" ("agent_id")',
    'CREATE INDEX "active_timer_ticket_id" ON "active_timer" ("ticket_id")',
    'CREATE TABLE "recent_ticket" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "opened_at" DATETIME NOT NULL, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "recent_ticket_agent_id_ticket_id" ON "recent_ticket" ("agent_id", "ticket_id")',
    'CREATE INDEX "recent_ticket_agent_id_opened_at" ON "recent_ticket" ("agent_id", "opened_at")',
    'CREATE INDEX "recent_ticket_ticket_id" ON "recent_ticket" ("ticket_id")',
    'ALTER TABLE "outbox_message" ADD COLUMN "hold_until" DATETIME',
    'ALTER TABLE "saved_view" ADD COLUMN "team_id" INTEGER REFERENCES "team" ("id") ON DELETE CASCADE',
]


def up(db) -> None:
    """Add the timer and recent-ticket tables, the outbox hold and a view's team."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
