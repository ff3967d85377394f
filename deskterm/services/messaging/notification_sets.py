"""Customer mail for many changes at once, exactly as `notifications.on_change` queues it
one change after the other (which calls these functions with its one change).

`status_mails` queues what status changes tell customers (the status mail, the survey on
resolve, the status folded into a reply queued moments ago, the SMS); `reply_mails` the
mail and SMS of public replies. Both queue intents: per batch of changes one
INSERT ... SELECT writes each message's ticket, kind, channel, address and time, and what
writing it needs (`render`: the status change, the entry-id high-water mark for
threading); the automatic-mail cap is decided in the same SQL (an address's n-th mail of
the batch after those it got in the window, `ROW_NUMBER`), and its `mail_capped` events
are one INSERT ... SELECT too. `outbox_render` writes the text later, in outbox order: at
once for one change (`write=True`), before sending for a set change.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

from deskterm import clock
from deskterm.domain import Actor, Delivery, Status
from deskterm.services.messaging import notifications as mail
from deskterm.services.messaging import outbox_render
from deskterm.store.db import backend, db, execute_many

#: Changes per INSERT ... SELECT of intents (one JSON parameter).
BATCH = 2_000

#: Each of these tickets' newest reply mail queued moments ago (`created_at` >= ?) and
#: not tried yet, found by one probe of the outbox's ticket index per ticket. The status
#: is compared through COALESCE (a no-op: it is never NULL) so that no planner takes the
#: delivery-status index instead: it holds every intent the earlier batches of the same
#: set change have queued, and read once per ticket or batch it cost the square of the
#: set's size.
_NEWEST_REPLY_SQL = (
    'SELECT (SELECT MAX(r."id") FROM "outbox_message" r WHERE r."ticket_id" = t."id" AND '
    'r."kind" = \'reply\' AND r."channel" = \'email\' AND COALESCE(r."status", \'\') = ? '
    'AND r."attempts" = 0 AND r."created_at" >= ?) FROM "ticket" t WHERE t."id" IN ({marks})'
)
_REPLY_MAILS_SQL = (
    'SELECT "ticket_id", "id", "body", "render" FROM "outbox_message" WHERE "id" IN ({marks}) '
    'ORDER BY "id"'
)
_FOLD_SQL = 'UPDATE "outbox_message" SET "body" = ? WHERE "id" = ?'
_FOLD_INTENTS_SQL = (
    'UPDATE "outbox_message" SET "render" = CASE WHEN "render" LIKE ? '
    'THEN substr("render", 1, length("render") - 2) || ? '
    'ELSE substr("render", 1, length("render") - 1) || ? END '
    'WHERE "id" IN ({marks}) AND "render" IS NOT NULL'
)
_LAST_ENTRY_SQL = 'SELECT COALESCE(MAX("id"), 0) FROM "entry"'


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _recent_replies(ids: Sequence[int]) -> dict[int, tuple[int, str, str | None]]:
    """(id, body, render) of each ticket's reply mail queued moments ago, not tried yet."""
    if not ids:
        return {}
    since = clock.to_db(clock.now() - mail._SAME_ACTION)
    sql = _NEWEST_REPLY_SQL.format(marks=_marks(len(ids)))
    newest = [row[0] for row in db.execute_sql(sql, (Delivery.QUEUED.value, since, *ids))
              if row[0] is not None]
    if not newest:
        return {}
    return {t: (i, body, render) for t, i, body, render in
            db.execute_sql(_REPLY_MAILS_SQL.format(marks=_marks(len(newest))), newest)}


#: Where a batch's decisions are kept between the statements that read them (a
#: connection's own table, emptied after each batch; the same SQL on both engines).
_STAGE_SQL = (
    'CREATE TEMP TABLE IF NOT EXISTS "outbox_stage" ("pos" INTEGER, "tid" INTEGER, '
    '"spec" TEXT, "addr" TEXT, "phone" TEXT, "sms" INTEGER, "mail" INTEGER, "sent" INTEGER)'
)
#: The requesters of changed tickets (`c`: position, ticket, status before; one JSON
#: parameter) who get news: an address, not merged (a merge tells its own); `sms` > 0
#: when they opted in; `mail` 0 when the status is folded into a reply instead. An
#: automatic mail is the n-th to its address in this batch after the k it got in the cap
#: window (this call's earlier batches too): `sent` while k + n <= cap (once capped,
#: every later one is).
_DECIDE_SQL = (
    'INSERT INTO "outbox_stage" ("pos", "tid", "spec", "addr", "phone", "sms", "mail", "sent") '
    'WITH "c"("pos", "tid", "before") AS ({rows}), '
    '"m" AS (SELECT c."pos", c."tid", ? || c."before" || ? AS "spec", ct."email" AS "addr", '
    'ct."phone" AS "phone", ct."sms_opt_in" + COALESCE(a."sms_opt_in", 0) AS "sms", '
    'CASE WHEN {unfolded} THEN 1 ELSE 0 END AS "mail" FROM "c" '
    'JOIN "ticket" t ON t."id" = c."tid" JOIN "contact" ct ON ct."id" = t."requester_id" '
    'LEFT JOIN "customer_account" a ON a."contact_id" = ct."id" '
    'WHERE ct."email" IS NOT NULL AND ct."email" != \'\' AND '
    'COALESCE(t."merged_into_id", 0) = 0) '
    'SELECT m.*, CASE WHEN m."mail" = 1 AND (SELECT COUNT(*) FROM "outbox_message" o WHERE '
    'o."to_addrs" = m."addr" AND o."created_at" >= ? AND o."kind" IN ({kinds})) + '
    'ROW_NUMBER() OVER (PARTITION BY m."addr", m."mail" ORDER BY m."pos") <= ? '
    'THEN 1 ELSE 0 END FROM "m"'
)
#: The `mail_capped` event of each automatic mail the cap holds, in order.
_CAPPED_EVENTS_SQL = (
    'INSERT INTO "event" ("ticket_id", "actor", "at", "action", "field", "before", "after", '
    '"via") SELECT s."tid", ?, ?, \'mail_capped\', \'mail\', NULL, ? || s."addr" || ?, ? '
    'FROM "outbox_stage" s WHERE s."mail" = 1 AND s."sent" = 0 ORDER BY s."pos"'
)
#: The intents, per ticket in order the SMS first, then the mail.
_QUEUE_INTENTS_SQL = (
    'INSERT INTO "outbox_message" ("ticket_id", "entry_id", "kind", "to_addrs", "cc_addrs", '
    '"subject", "body", "message_id", "headers", "status", "created_at", "channel", '
    '"attempts", "render") SELECT x."tid", NULL, x."kind", x."addr", \'\', \'\', \'\', \'\', '
    '\'{}\', ?, ?, x."channel", 0, x."spec" FROM ('
    'SELECT s."pos", 0 AS "seq", s."tid", ? AS "kind", s."phone" AS "addr", '
    '\'sms\' AS "channel", ? AS "spec" FROM "outbox_stage" s '
    'WHERE s."sms" > 0 AND COALESCE(s."phone", \'\') != \'\' UNION ALL '
    'SELECT s."pos", 1, s."tid", ?, s."addr", \'email\', s."spec" FROM "outbox_stage" s '
    'WHERE s."sent" = 1) x ORDER BY x."pos", x."seq"'
)
_CLEAR_STAGE_SQL = 'DELETE FROM "outbox_stage"'


def status_mails(actor: Actor, changes: Sequence[tuple[int, Status]], after: Status, *,
                 write: bool = True) -> None:
    """What each status change (ticket, status before) to `after` by `actor` tells the
    customer, in this order (inside the change's transaction).

    Queued as intents, per batch: the decisions (who gets mail and SMS, what the cap
    holds) by one INSERT ... SELECT, then the `mail_capped` events and the outbox rows
    from them by one INSERT ... SELECT each; the folded status of a reply queued moments
    ago is appended to it. `write`: the intents are written out at once (one change); a
    set change leaves them to the sender (`outbox_render`)."""
    wanted = [(t, b) for t, b in changes if mail.status_mail_wanted(actor, b, after)]
    if not wanted:
        return
    config = mail.current_config()
    now = clock.to_db(clock.now())
    since = clock.to_db(clock.now() - timedelta(hours=config.mail.auto_cap_hours))
    (upto,) = db.execute_sql(_LAST_ENTRY_SQL).fetchone()
    kind = "survey" if after is Status.RESOLVED else "status_changed"
    # the intent's JSON around the status before (a status value: no quoting needed)
    spec = outbox_render.intent(before="~", after=after.value, upto=upto).split("~")
    sms_spec = outbox_render.intent(after=after.value)
    note = mail.capped_note(kind, "~", config).split("~", 1)
    kinds = mail.AUTOMATIC_KINDS
    cap = mail.CAP_ACTOR
    db.execute_sql(_STAGE_SQL)
    for start in range(0, len(wanted), BATCH):
        group = wanted[start : start + BATCH]
        folded: list[int] = []
        if after is not Status.RESOLVED:
            folded = _fold(list(dict.fromkeys(t for t, _ in group)), after)
        rows = json.dumps([[ticket_id, before.value] for ticket_id, before in group])
        unfolded = f'c."tid" NOT IN ({_marks(len(folded))})' if folded else "1 = 1"
        decide = _DECIDE_SQL.format(rows=backend().array_rows("integer", "text"),
                                    unfolded=unfolded, kinds=_marks(len(kinds)))
        db.execute_sql(decide, (rows, *spec, *folded, since, *kinds, config.mail.auto_cap))
        db.execute_sql(_CAPPED_EVENTS_SQL, (cap.label, now, *note, cap.via))
        db.execute_sql(_QUEUE_INTENTS_SQL, (Delivery.QUEUED.value, now, "status_changed",
                                            sms_spec, kind))
        db.execute_sql(_CLEAR_STAGE_SQL)
    if write:
        outbox_render.render_pending(ticket_ids=[t for t, _ in wanted])


def _fold(ids: Sequence[int], after: Status) -> list[int]:
    """"Reply and set pending": the status is appended to each ticket's reply mail queued
    moments ago (one mail, with the status); returns the tickets whose status is told so.
    A reply not written yet keeps it in its intent: one UPDATE appends it to the intent's
    `fold` list (the JSON's last key, as `outbox_render.intent` writes it)."""
    recent = _recent_replies(ids)
    written = [(body.rstrip("\n") + f"\n\n(Status: {after.value})\n", message_id)
               for message_id, body, render in recent.values() if render is None]
    execute_many(_FOLD_SQL, written)
    pending = [message_id for message_id, _, render in recent.values() if render is not None]
    if pending:
        db.execute_sql(_FOLD_INTENTS_SQL.format(marks=_marks(len(pending))),
                       ('%"fold":[%', f',"{after.value}"]}}', f',"fold":["{after.value}"]}}',
                        *pending))
    return list(recent)


#: The requesters of replied tickets (`c`: position, ticket, entry; one JSON parameter)
#: with an address, the mail then (opted in) the SMS of each reply, in order; `render`
#: keeps the ticket's status then and the entry-id high-water mark for threading.
_QUEUE_REPLIES_SQL = (
    'WITH "c"("pos", "tid", "entry") AS ({rows}), '
    '"m" AS (SELECT c."pos", c."tid", c."entry", ct."email" AS "addr", ct."phone" AS "phone", '
    'ct."sms_opt_in" + COALESCE(a."sms_opt_in", 0) AS "sms", t."status" AS "status" FROM "c" '
    'JOIN "ticket" t ON t."id" = c."tid" JOIN "contact" ct ON ct."id" = t."requester_id" '
    'LEFT JOIN "customer_account" a ON a."contact_id" = ct."id" '
    'WHERE ct."email" IS NOT NULL AND ct."email" != \'\') '
    'INSERT INTO "outbox_message" ("ticket_id", "entry_id", "kind", "to_addrs", "cc_addrs", '
    '"subject", "body", "message_id", "headers", "status", "created_at", "channel", '
    '"attempts", "render") SELECT x."tid", x."entry", \'reply\', x."addr", \'\', \'\', \'\', '
    '\'\', \'{{}}\', ?, ?, x."channel", 0, x."spec" FROM ('
    'SELECT m."pos", 0 AS "seq", m."tid", m."entry", m."addr", \'email\' AS "channel", '
    '? || m."status" || ? AS "spec" FROM "m" UNION ALL '
    'SELECT m."pos", 1, m."tid", m."entry", m."phone", \'sms\', ? || m."status" || ? FROM "m" '
    'WHERE m."sms" > 0 AND COALESCE(m."phone", \'\') != \'\''
    ') x ORDER BY x."pos", x."seq"'
)


def reply_mails(replies: Sequence[tuple[int, int]], *, write: bool = True) -> None:
    """The mail (followers in Cc) and SMS of each public reply (ticket, entry id), in this
    order (inside the reply's transaction), queued as intents by one INSERT ... SELECT
    per batch; `write` as for `status_mails`."""
    if not replies:
        return
    now = clock.to_db(clock.now())
    (upto,) = db.execute_sql(_LAST_ENTRY_SQL).fetchone()
    # the intent's JSON around the ticket's status (a status value: no quoting needed)
    mail_spec = outbox_render.intent(upto=upto, status="~").split("~")
    sms_spec = outbox_render.intent(status="~").split("~")
    sql = _QUEUE_REPLIES_SQL.format(rows=backend().array_rows("integer", "integer"))
    for start in range(0, len(replies), BATCH):
        rows = json.dumps([list(r) for r in replies[start : start + BATCH]])
        db.execute_sql(sql, (rows, Delivery.QUEUED.value, now, *mail_spec, *sms_spec))
    if write:
        outbox_render.render_pending(ticket_ids=[t for t, _ in replies])
