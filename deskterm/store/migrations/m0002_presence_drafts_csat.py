"""Schema version 2: presence (who is viewing/replying), drafts, satisfaction rating."""

VERSION = 2

STATEMENTS = [
    'CREATE TABLE "presence" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "activity" VARCHAR(255) NOT NULL, "seen_at" DATETIME NOT NULL, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "presence_agent_id" ON "presence" ("agent_id")',
    'CREATE INDEX "presence_ticket_id" ON "presence" ("ticket_id")',
    'CREATE UNIQUE INDEX "presence_agent_id_ticket_id" ON "presence" ("agent_id", "ticket_id")',
    'CREATE TABLE "draft" ("id" INTEGER NOT NULL PRIMARY KEY, "agent_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "mode" VARCHAR(255) NOT NULL, "body" TEXT NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("agent_id") REFERENCES "agent" ("id") ON DELETE CASCADE, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "draft_agent_id" ON "draft" ("agent_id")',
    'CREATE INDEX "draft_ticket_id" ON "draft" ("ticket_id")',
    'CREATE UNIQUE INDEX "draft_agent_id_ticket_id" ON "draft" ("agent_id", "ticket_id")',
    'ALTER TABLE "ticket" ADD COLUMN "csat_rating" INTEGER',
    'ALTER TABLE "ticket" ADD COLUMN "csat_comment" TEXT',
]


def up(db) -> None:
    """Add presence and draft tables and the satisfaction columns on tickets."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
