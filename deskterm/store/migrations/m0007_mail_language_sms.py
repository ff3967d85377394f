"""Schema version 7: the language a contact (or a queue) is written to in, a contact's SMS
opt-in, and which channel an outbox message leaves by (email or sms)."""

VERSION = 7

STATEMENTS = [
    'ALTER TABLE "contact" ADD COLUMN "language" VARCHAR(16)',
    'ALTER TABLE "contact" ADD COLUMN "sms_opt_in" INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE "queue" ADD COLUMN "language" VARCHAR(16)',
    "ALTER TABLE \"outbox_message\" ADD COLUMN \"channel\" VARCHAR(16) NOT NULL DEFAULT 'email'",
]


def up(db) -> None:
    """Add contact and queue languages, SMS opt-in and the outbox channel."""
    for statement in STATEMENTS:
        db.execute_sql(statement)
