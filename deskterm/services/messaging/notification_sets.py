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

_RECENT_REPLIES_SQL = (
    'SELECT "ticket_id", "id", "body", "render" FROM "outbox_message" WHERE "ticket_id" IN '
    '({marks}) AND "kind" = \'reply\' AND "channel" = \'email\' AND "status" = ? AND '
    '"attempts" = 0 AND "created_at" >= ? ORDER BY "id"'
)
_FOLD_SQL = 'UPDATE "outbox_message" SET "body" = ?, "render" = ? WHERE "id" = ?'
_LAST_ENTRY_SQL = 'SELECT COALESCE(MAX("id"), 0) FROM "entry"'


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _recent_replies(ids: Sequence[int]) -> dict[int, tuple[int, str, str | None]]:
    """(id, body, render) of each ticket's reply mail queued moments ago, not tried yet."""
    if not ids:
        return {}
    since = clock.to_db(clock.now() - mail._SAME_ACTION)
    sql = _RECENT_REPLIES_SQL.format(marks=_marks(len(ids)))
    return {t: (i, body, render) for t, i, body, render in
            db.execute_sql(sql, (*ids, Delivery.QUEUED.value, since))}


#: The requesters of changed tickets (`c`: position, ticket, intent; one JSON parameter)
#: who get mail: an address, not merged (a merge tells its own); `sms` > 0 when they
#: opted in. `q`: the automatic mails, the n-th to its address in this batch after the
#: k it got in the cap window (this call's earlier batches too), `sent` while k + n <= cap
#: (once capped, every later one is).
_TARGETS = (
    'WITH "c"("pos", "tid", "spec") AS ({rows}), '
    '"m" AS (SELECT c."pos", c."tid", c."spec", ct."email" AS "addr", ct."phone" AS "phone", '
    'ct."sms_opt_in" + COALESCE(a."sms_opt_in", 0) AS "sms" FROM "c" '
    'JOIN "ticket" t ON t."id" = c."tid" JOIN "contact" ct ON ct."id" = t."requester_id" '
    'LEFT JOIN "customer_account" a ON a."contact_id" = ct."id" '
    'WHERE ct."email" IS NOT NULL AND ct."email" != \'\' AND '
    'COALESCE(t."merged_into_id", 0) = 0), '
    '"r" AS (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY m."addr" ORDER BY m."pos") AS "n" '
    'FROM "m" WHERE {unfolded}), '
    '"q" AS (SELECT r.*, (SELECT COUNT(*) FROM "outbox_message" o WHERE o."to_addrs" = '
    'r."addr" AND o."created_at" >= ? AND o."kind" IN ({kinds})) + r."n" <= ? AS "sent" '
    'FROM "r") '
)
#: After `_TARGETS`: the intents, per ticket in order the SMS first, then the mail.
_QUEUE_INTENTS = (
    'INSERT INTO "outbox_message" ("ticket_id", "entry_id", "kind", "to_addrs", "cc_addrs", '
    '"subject", "body", "message_id", "headers", "status", "created_at", "channel", '
    '"attempts", "render") SELECT x."tid", NULL, x."kind", x."addr", \'\', \'\', \'\', \'\', '
    '\'{}\', ?, ?, x."channel", 0, x."spec" FROM ('
    'SELECT m."pos", 0 AS "seq", m."tid", ? AS "kind", m."phone" AS "addr", '
    '\'sms\' AS "channel", ? AS "spec" FROM "m" '
    'WHERE m."sms" > 0 AND COALESCE(m."phone", \'\') != \'\' UNION ALL '
    'SELECT q."pos", 1, q."tid", ?, q."addr", \'email\', q."spec" FROM "q" WHERE q."sent"'
    ') x ORDER BY x."pos", x."seq"'
)
#: After `_TARGETS`: the `mail_capped` event of each automatic mail the cap holds.
_CAPPED_EVENTS = (
    'INSERT INTO "event" ("ticket_id", "actor", "at", "action", "field", "before", "after", '
    '"via") SELECT q."tid", ?, ?, \'mail_capped\', \'mail\', NULL, ? || q."addr" || ?, ? '
    'FROM "q" WHERE NOT q."sent" ORDER BY q."pos"'
)


def status_mails(actor: Actor, changes: Sequence[tuple[int, Status]], after: Status, *,
                 write: bool = True) -> None:
    """What each status change (ticket, status before) to `after` by `actor` tells the
    customer, in this order (inside the change's transaction).

    Queued as intents by one INSERT ... SELECT per batch (with the cap decided in SQL:
    an address's n-th automatic mail of the batch after the `k` it got in the window is
    sent while k + n <= cap, else a `mail_capped` event); the folded status of a reply
    queued moments ago is appended to it. `write`: the intents are written out at once
    (one change); a set change leaves them to the sender (`outbox_render`)."""
    wanted = [(t, b) for t, b in changes if mail.status_mail_wanted(actor, b, after)]
    if not wanted:
        return
    config = mail.current_config()
    now = clock.to_db(clock.now())
    since = clock.to_db(clock.now() - timedelta(hours=config.mail.auto_cap_hours))
    (upto,) = db.execute_sql(_LAST_ENTRY_SQL).fetchone()
    kind = "survey" if after is Status.RESOLVED else "status_changed"
    specs: dict[str, str] = {}
    sms_spec = outbox_render.intent(after=after.value)
    kinds = mail.AUTOMATIC_KINDS
    for start in range(0, len(wanted), BATCH):
        group = wanted[start : start + BATCH]
        folded: list[int] = []
        if after is not Status.RESOLVED:
            folded = _fold(list(dict.fromkeys(t for t, _ in group)), after)
        for _, before in group:
            if before.value not in specs:
                specs[before.value] = (outbox_render.intent(after=after.value, upto=upto)
                                       if kind == "survey" else outbox_render.intent(
                                           before=before.value, after=after.value, upto=upto))
        rows = json.dumps([[ticket_id, specs[before.value]] for ticket_id, before in group])
        unfolded = f'm."tid" NOT IN ({_marks(len(folded))})' if folded else "1 = 1"
        head = _TARGETS.format(rows=backend().array_rows("integer", "text"), unfolded=unfolded,
                               kinds=_marks(len(kinds)))
        params = (rows, *folded, since, *kinds, config.mail.auto_cap)
        prefix, suffix = mail.capped_note(kind, "\0", config).split("\0")
        db.execute_sql(head + _CAPPED_EVENTS, (*params, mail.CAP_ACTOR.label, now, prefix,
                                               suffix, mail.CAP_ACTOR.via))
        db.execute_sql(head + _QUEUE_INTENTS, (*params, Delivery.QUEUED.value, now,
                                               "status_changed", sms_spec, kind))
    if write:
        outbox_render.render_pending(ticket_ids=[t for t, _ in wanted])


def _fold(ids: Sequence[int], after: Status) -> list[int]:
    """"Reply and set pending": the status is appended to each ticket's reply mail queued
    moments ago (one mail, with the status; to its intent when it is not written yet);
    returns the tickets whose status is told so."""
    recent = _recent_replies(ids)
    folds = []
    for message_id, body, render in recent.values():
        if render is None:
            folds.append((body.rstrip("\n") + f"\n\n(Status: {after.value})\n", None, message_id))
        else:
            spec = json.loads(render)
            spec["fold"] = [*spec.get("fold", ()), after.value]
            folds.append((body, outbox_render.intent(**spec), message_id))
    execute_many(_FOLD_SQL, folds)
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
