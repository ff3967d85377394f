"""Customer mail for many changes at once, exactly as `notifications.on_change` writes it
one change after the other (which calls these functions with its one change).

`status_mails` queues what status changes tell customers (the status mail, the survey on
resolve, the status folded into a reply queued moments ago, the SMS); `reply_mails` the
mail and SMS of public replies. Per batch of tickets, in a few queries: the ticket facts
(requester, language choice, phone and SMS opt-in, queue address), the Message-IDs each
thread knows, the followers, the last customer Message-ID, the latest untried reply mail,
and the automatic mails each address got in the cap's window, counted on as the batch
queues more (so a cap falls where it falls one by one). Config, signing secret, portal
link key and templates are read once per call; the outbox rows (mail and SMS, in the
per-ticket order) and the cap events are written with executemany.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta

from deskterm import clock
from deskterm.domain import Actor, Delivery, Status
from deskterm.services.messaging import mailbox
from deskterm.services.messaging import notifications as mail
from deskterm.services.portal import tracking
from deskterm.services.trust import audit
from deskterm.store.db import backend, db, execute_many

#: Tickets per batch (one IN list per query).
BATCH = 500
#: Status changes per INSERT ... SELECT of intents (three parameters each).
INTENT_BATCH = 2_000

_KNOWN_IDS_SQL = (
    'SELECT "ticket_id", "created_at", 0, "id", "message_id" FROM "entry" '
    'WHERE "ticket_id" IN ({marks}) AND "message_id" IS NOT NULL UNION ALL '
    'SELECT "ticket_id", "created_at", 1, "id", "message_id" FROM "outbox_message" '
    'WHERE "ticket_id" IN ({marks}) AND "channel" = \'email\' AND "message_id" != \'\' '
    'ORDER BY 1, 2, 3, 4'
)
_REPLY_TARGETS_SQL = (
    'SELECT "ticket_id", "message_id" FROM "entry" WHERE "ticket_id" IN ({marks}) AND '
    '"kind" = \'customer\' AND "message_id" IS NOT NULL ORDER BY "ticket_id", "created_at", "id"'
)
_FOLLOWERS_SQL = (
    'SELECT f."ticket_id", c."email" FROM "follower" f JOIN "contact" c ON c."id" = '
    'f."contact_id" WHERE f."ticket_id" IN ({marks}) ORDER BY f."ticket_id", f."id"'
)
_RECENT_REPLIES_SQL = (
    'SELECT "ticket_id", "id", "body" FROM "outbox_message" WHERE "ticket_id" IN ({marks}) '
    'AND "kind" = \'reply\' AND "channel" = \'email\' AND "status" = ? AND "attempts" = 0 '
    'AND "created_at" >= ? ORDER BY "id"'
)
_AUTOMATIC_SQL = (
    'SELECT "to_addrs", COUNT(*) FROM "outbox_message" WHERE "to_addrs" IN ({marks}) AND '
    '"created_at" >= ? AND "kind" IN ({kinds}) GROUP BY "to_addrs"'
)
_FOLD_SQL = 'UPDATE "outbox_message" SET "body" = ? WHERE "id" = ?'


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _chunks(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Batch:
    """What one call reads once (config, secrets, templates) and the rows it writes."""

    def __init__(self) -> None:
        self.config = mail.current_config()
        self.secret = mailbox.secret(self.config.mail.secret)
        self.follow = tracking.follow_linker(self.config)
        self.templates: dict = {}
        self.sent: dict[str, int] = {}  # automatic mails per address in the cap's window
        self.known: dict[int, list[str]] = {}
        self.rows: list[tuple] = []
        self.events: list[tuple] = []
        self.folds: list[tuple[str, int]] = []

    def facts(self, ids: Sequence[int]) -> dict[int, mail._TicketFacts]:
        """The facts of the tickets that get mail (a requester with an address)."""
        unique = list(dict.fromkeys(ids))
        found: dict[int, mail._TicketFacts] = {}
        sql = mail.FACTS_SELECT + f'WHERE t."id" IN ({_marks(len(unique))})'
        for row in db.execute_sql(sql, unique):
            if row[0] not in found and row[9]:
                found[row[0]] = mail.facts_of(row)
        ids = list(found)
        if ids:
            sql = _KNOWN_IDS_SQL.format(marks=_marks(len(ids)))
            known: dict[int, list[str]] = {i: [] for i in ids}
            for ticket_id, *_, message_id in db.execute_sql(sql, (*ids, *ids)):
                known[ticket_id].append(message_id)
            self.known.update(known)
        return found

    def count_automatic(self, addresses: Sequence[str]) -> None:
        """Load the cap counts of addresses not seen yet in this call."""
        new = [a for a in dict.fromkeys(addresses) if a not in self.sent]
        if not new:
            return
        since = clock.to_db(clock.now() - timedelta(hours=self.config.mail.auto_cap_hours))
        kinds = mail.AUTOMATIC_KINDS
        sql = _AUTOMATIC_SQL.format(marks=_marks(len(new)), kinds=_marks(len(kinds)))
        self.sent.update(dict.fromkeys(new, 0))
        self.sent.update(db.execute_sql(sql, (*new, since.isoformat(sep=" "), *kinds)))

    def queue(self, ticket: mail._TicketFacts, kind: str, values: dict[str, str], *,
              entry_id: int | None = None, cc: list[str] | None = None,
              in_reply_to: str | None = None) -> None:
        """One mail to the requester, unless it is automatic and the cap holds it."""
        to = ticket.requester_email
        if kind in mail.AUTOMATIC_KINDS:
            if self.sent[to] >= self.config.mail.auto_cap:
                actor = mail.CAP_ACTOR
                self.events.append((ticket.id, actor.label, clock.to_db(clock.now()),
                                    "mail_capped", "mail", None,
                                    mail.capped_note(kind, to, self.config), actor.via))
                return
            self.sent[to] += 1
        known = self.known[ticket.id]
        row = mail._outbox_row(ticket, kind, values, known, in_reply_to, self.config,
                               self.secret, entry_id=entry_id, cc=cc, templates=self.templates,
                               follow=self.follow)
        self.rows.append(mail.outbox_params(row))
        known.append(row["message_id"])

    def sms(self, ticket: mail._TicketFacts, kind: str, text: str,
            entry_id: int | None = None) -> None:
        """The same news by SMS (to a requester who `_texted`)."""
        message_id = f"<sms.{ticket.id}.{uuid.uuid4().hex}@{self.config.mail.domain}>"
        self.rows.append((ticket.id, entry_id, kind, ticket.requester_phone, "", "", text,
                          message_id, "{}", Delivery.QUEUED.value, clock.to_db(clock.now()),
                          "sms"))

    def write(self) -> None:
        execute_many(mail.OUTBOX_SQL, self.rows)
        execute_many(audit.EVENT_SQL, self.events)
        execute_many(_FOLD_SQL, self.folds)
        self.rows, self.events, self.folds = [], [], []


def _texted(ticket: mail._TicketFacts) -> bool:
    """Whether the requester opted in to SMS with a phone number."""
    return bool(ticket.wants_sms and ticket.requester_phone)


def _recent_replies(ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """(id, body) of each ticket's reply mail queued moments ago and not tried yet."""
    if not ids:
        return {}
    since = clock.to_db(clock.now() - mail._SAME_ACTION)
    sql = _RECENT_REPLIES_SQL.format(marks=_marks(len(ids)))
    return {t: (i, body) for t, i, body in
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
_LAST_ENTRY_SQL = 'SELECT COALESCE(MAX("id"), 0) FROM "entry"'


def status_mails(actor: Actor, changes: Sequence[tuple[int, Status]], after: Status, *,
                 write: bool = True) -> None:
    """What each status change (ticket, status before) to `after` by `actor` tells the
    customer, in this order (inside the change's transaction).

    Queued as intents by one INSERT ... SELECT per batch (with the cap decided in SQL:
    an address's n-th automatic mail of the batch after the `k` it got in the window is
    sent while k + n <= cap, else a `mail_capped` event); the folded status of a reply
    queued moments ago is appended to it. `write`: the intents are written out at once
    (one change); a set change leaves them to the sender (`outbox_render`)."""
    from deskterm.services.messaging import outbox_render

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
    for start in range(0, len(wanted), INTENT_BATCH):
        group = wanted[start : start + INTENT_BATCH]
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
    moments ago (one mail, with the status); returns the tickets whose status is told so."""
    recent = _recent_replies(ids)
    folds = []
    for message_id, body in recent.values():
        folds.append((body.rstrip("\n") + f"\n\n(Status: {after.value})\n", message_id))
    execute_many(_FOLD_SQL, folds)
    return list(recent)


def reply_mails(replies: Sequence[tuple[int, int, str, str]]) -> None:
    """The mail (followers in Cc) and SMS of each public reply (ticket, entry id, body,
    author), in this order (inside the reply's transaction). Intents queued before on
    these tickets are written first: a reply's References name them."""
    from deskterm.services.messaging import outbox_render

    outbox_render.render_pending(ticket_ids=[t for t, *_ in replies])
    batch = _Batch()
    for group in _chunks(replies):
        facts = batch.facts([t for t, *_ in group])
        ids = list(facts)
        followers: dict[int, list[str]] = {}
        targets: dict[int, str] = {}
        if ids:
            marks = _marks(len(ids))
            for ticket_id, email in db.execute_sql(_FOLLOWERS_SQL.format(marks=marks), ids):
                followers.setdefault(ticket_id, []).append(email)
            targets = dict(db.execute_sql(_REPLY_TARGETS_SQL.format(marks=marks), ids).fetchall())
        for ticket_id, entry_id, body, author in group:
            ticket = facts.get(ticket_id)
            if ticket is None:
                continue
            values = {**mail._values(ticket, batch.config, batch.secret),
                      "reply.body": body, "agent.name": author}
            batch.queue(ticket, "reply", values, entry_id=entry_id,
                        cc=followers.get(ticket_id, []), in_reply_to=targets.get(ticket_id))
            if _texted(ticket):
                batch.sms(ticket, "reply", mail._sms(ticket, values, "reply", snippet=body),
                          entry_id)
        batch.write()
