"""Schema version 24: customer mail queued as an intent, written out before it is sent.

A bulk change or a time rule over thousands of tickets queues its customer mail by one
INSERT ... SELECT (`notification_sets`): the row is in the outbox at once (its address,
kind, channel and time, so the automatic-mail cap counts it), and `render` holds what is
still needed to write it (the status change, the entry-id high-water mark for threading,
as JSON); subject, body, headers and Message-ID are written by `outbox_render` later, in
outbox-id order, before the row is sent or shown. NULL: written (every existing row).

`message_id` stays NOT NULL (a table rebuild on a big desk is slow): a row still to be
written carries '', which every reader of Message-IDs skips. Two partial indexes hold only
those rows: the sender's oldest-first pass and one ticket's rows.
"""

VERSION = 24


def up(db) -> None:
    """Add the `render` column and the indexes of rows still to be written."""
    db.execute_sql('ALTER TABLE "outbox_message" ADD COLUMN "render" TEXT')
    db.execute_sql('CREATE INDEX "outbox_message_pending" ON "outbox_message" ("id") '
                   'WHERE "render" IS NOT NULL')
    db.execute_sql('CREATE INDEX "outbox_message_pending_ticket" ON "outbox_message" '
                   '("ticket_id", "id") WHERE "render" IS NOT NULL')
