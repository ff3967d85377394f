"""Schema version 3: mail bookkeeping (who sent an inbound message, its subject and source)
and an index for the per-address cap on automatic mail."""

VERSION = 3

STATEMENTS = [
    'ALTER TABLE "inbound_message" ADD COLUMN "from_addr" VARCHAR(255)',
    'ALTER TABLE "inbound_message" ADD COLUMN "subject" TEXT',
    'ALTER TABLE "inbound_message" ADD COLUMN "source" TEXT',
    'CREATE INDEX "outbox_message_to_addrs_created_at" ON "outbox_message" ("to_addrs", "created_at")',
    'CREATE INDEX "inbound_message_status" ON "inbound_message" ("status")',
]


def up(db) -> None:
    """Add sender, subject and source to inbound messages; index outbox by recipient."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
