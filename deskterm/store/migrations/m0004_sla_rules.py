"""Schema version 4: SLA clock columns, recorded breaches and rule firings."""

VERSION = 4

STATEMENTS = [
    'ALTER TABLE "ticket" ADD COLUMN "status_changed_at" DATETIME',
    'ALTER TABLE "ticket" ADD COLUMN "next_response_due" DATETIME',
    'UPDATE "ticket" SET "status_changed_at" = "updated_at"',
    'CREATE INDEX "ticket_status_status_changed_at" ON "ticket" ("status", "status_changed_at")',
    'CREATE INDEX "ticket_first_response_due" ON "ticket" ("first_response_due")',
    'CREATE INDEX "ticket_next_response_due" ON "ticket" ("next_response_due")',
    'CREATE INDEX "ticket_resolution_due" ON "ticket" ("resolution_due")',
    'CREATE TABLE "sla_breach" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "target" VARCHAR(255) NOT NULL, "due_at" DATETIME NOT NULL, "recorded_at" DATETIME NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "sla_breach_ticket_id_target_due_at" ON "sla_breach" ("ticket_id", "target", "due_at")',
    'CREATE INDEX "sla_breach_recorded_at" ON "sla_breach" ("recorded_at")',
    'CREATE TABLE "rule_hit" ("id" INTEGER NOT NULL PRIMARY KEY, "rule_id" INTEGER NOT NULL, "ticket_id" INTEGER NOT NULL, "anchor" VARCHAR(255) NOT NULL, "at" DATETIME NOT NULL, FOREIGN KEY ("rule_id") REFERENCES "rule" ("id") ON DELETE CASCADE, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "rule_hit_rule_id_ticket_id_anchor" ON "rule_hit" ("rule_id", "ticket_id", "anchor")',
    'CREATE INDEX "rule_hit_ticket_id" ON "rule_hit" ("ticket_id")',
    'ALTER TABLE "rule" ADD COLUMN "last_error" TEXT',
]


def up(db) -> None:
    """Add SLA clock columns on tickets, the breach log and the rule firing log."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
