"""Customer mail queued as an intent, written out before it is sent or shown.

A bulk change or a time rule queues its customer mail by one INSERT ... SELECT
(`notification_sets`): each row has its ticket, kind, channel, address and time (so the
automatic-mail cap counts it at once), an empty subject, body and Message-ID, and in
`render` (JSON) what writing it still needs: the status change (`before`, `after`) and
`upto`, the highest entry id when it was queued. `render_pending` writes such rows in
outbox-id order with the code a single change uses (`notifications._outbox_row`,
`_values`, `_sms`), threaded on the Message-IDs the ticket had when the row was queued:
its entries up to `upto` and its outbox mail queued before it. The sender
(`mailbox.due_outbox`) and the outbox readers call it first; one agent's change calls it
for its ticket in its own transaction, so its mail is complete when it commits.

Facts that are not part of the change (the requester's name, language and the ticket's
subject) are read when the row is written, as a mail a moment later would show them.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import uuid
from collections.abc import Iterable, Sequence

from deskterm.domain import Delivery
from deskterm.services.messaging import mail_text, mailbox
from deskterm.services.messaging import notifications as mail
from deskterm.services.portal import tracking
from deskterm.store.db import (
    backend,
    db,
    execute_many,
    is_read_only,
    update_rows,
    write_transaction,
)
from deskterm.store.models import OutboxMessage

#: Rows written per transaction (and tickets per IN list).
CHUNK = 2_000
_FACTS_CHUNK = 500

_KNOWN_SQL = (
    'SELECT "ticket_id", "created_at", 0, "id", "message_id", "kind" FROM "entry" '
    'WHERE "ticket_id" IN ({marks}) AND "message_id" IS NOT NULL UNION ALL '
    'SELECT "ticket_id", "created_at", 1, "id", "message_id", NULL FROM "outbox_message" '
    'WHERE "ticket_id" IN ({marks}) AND "channel" = \'email\' AND "message_id" != \'\' '
    "ORDER BY 1, 2, 3, 4"
)
_FOLLOWERS_SQL = (
    'SELECT f."ticket_id", c."email" FROM "follower" f JOIN "contact" c ON c."id" = '
    'f."contact_id" WHERE f."ticket_id" IN ({marks}) ORDER BY f."ticket_id", f."id"'
)
_ENTRIES_SQL = 'SELECT "id", "body", "author" FROM "entry" WHERE "id" IN ({marks})'
#: What writing an intent sets (each row: these values, then the outbox id); on SQLite
#: `UPDATE "outbox_message" SET "subject" = ?, ..., "render" = NULL WHERE "id" = ? AND
#: "render" IS NOT NULL` per row, on PostgreSQL one UPDATE per batch (`db.update_rows`).
_WRITTEN = {"subject": "text", "body": "text", "message_id": "text", "headers": "text",
            "cc_addrs": "text"}
#: A row that cannot be written is failed with the reason and keeps its intent: `mail
#: outbox retry` queues it again and the next pass writes it (a failed row is skipped).
_FAILED_SQL = (
    'UPDATE "outbox_message" SET "status" = ?, "last_error" = ? '
    'WHERE "id" = ? AND "render" IS NOT NULL'
)
_GONE = "cannot write the message: its ticket or requester is gone"


def intent(**fields: object) -> str:
    """The `render` text of a queued intent (compact JSON)."""
    return json.dumps(fields, separators=(",", ":"))


def _marks(count: int) -> str:
    return ",".join("?" * count)


_PENDING_SQL = (
    'SELECT "id", "ticket_id", "entry_id", "kind", "channel", "created_at", "render" '
    'FROM "outbox_message" '
    'WHERE "render" IS NOT NULL AND "status" = \'queued\'{tickets} ORDER BY "id" LIMIT ?{lock}'
)


def _pending(ticket_ids: Sequence[int] | None, limit: int) -> list[tuple]:
    """The oldest `limit` rows still to be written (of these tickets), locked for this
    transaction on PostgreSQL (a second writer waits, then skips the rows written)."""
    tickets = "" if ticket_ids is None else f' AND "ticket_id" IN ({_marks(len(ticket_ids))})'
    sql = _PENDING_SQL.format(tickets=tickets, lock=backend().lock_rows_sql())
    return [tuple(r) for r in db.execute_sql(sql, (*(ticket_ids or ()), limit))]


def render_pending(ticket_ids: Iterable[int] | None = None, limit: int | None = None) -> int:
    """Write the queued intents (of these tickets; at most `limit`, oldest first), each
    batch in a short transaction of its own (or inside the caller's). Returns how many."""
    wanted = None if ticket_ids is None else list(dict.fromkeys(ticket_ids))
    if wanted is not None and not wanted:
        return 0
    done = 0
    groups = [None] if wanted is None else [
        wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]
    for group in groups:
        while limit is None or done < limit:
            size = CHUNK if limit is None else min(CHUNK, limit - done)
            with write_transaction():
                rows = _pending(group, size)
                if rows:
                    _Writer().write(rows)
            done += len(rows)
            if len(rows) < size:
                break
    return done


def pending_count() -> int:
    """How many queued intents are not written yet."""
    (count,) = db.execute_sql(
        'SELECT COUNT(*) FROM "outbox_message" WHERE "render" IS NOT NULL').fetchone()
    return count


class _Writer:
    """What one batch reads once (config, secrets, templates, portal link key)."""

    def __init__(self) -> None:
        self.config = mail.current_config()
        self.secret = mailbox.secret(self.config.mail.secret)
        self.follow = tracking.follow_linker(self.config)
        self.templates: dict = {}
        self.facts: dict[int, mail._TicketFacts] = {}
        self.threads: dict[int, list[tuple]] = {}
        self.followers: dict[int, list[str]] = {}
        self.entries: dict[int, tuple[str, str]] = {}

    def _read(self, rows: list[tuple]) -> None:
        """The facts, threads and followers of the rows' tickets, their replies' entries."""
        tickets = list(dict.fromkeys(r[1] for r in rows if r[1] is not None))
        self.threads = {t: [] for t in tickets}
        for start in range(0, len(tickets), _FACTS_CHUNK):
            group = tickets[start : start + _FACTS_CHUNK]
            marks = _marks(len(group))
            for row in db.execute_sql(mail.FACTS_SELECT + f'WHERE t."id" IN ({marks})', group):
                if row[0] not in self.facts and row[9]:
                    self.facts[row[0]] = mail.facts_of(row)
            for ticket_id, *key in db.execute_sql(_KNOWN_SQL.format(marks=marks),
                                                  (*group, *group)):
                self.threads[ticket_id].append(tuple(key))
            for ticket_id, address in db.execute_sql(_FOLLOWERS_SQL.format(marks=marks), group):
                self.followers.setdefault(ticket_id, []).append(address)
        entries = list(dict.fromkeys(r[2] for r in rows if r[2] is not None))
        for start in range(0, len(entries), _FACTS_CHUNK):
            group = entries[start : start + _FACTS_CHUNK]
            for entry_id, body, author in db.execute_sql(
                    _ENTRIES_SQL.format(marks=_marks(len(group))), group):
                self.entries[entry_id] = (body, author)

    def write(self, rows: list[tuple]) -> None:
        self._read(rows)
        written, failed = [], []
        specs: dict[str, dict] = {}
        for outbox_id, ticket_id, entry_id, kind, channel, created_at, render in rows:
            ticket = self.facts.get(ticket_id) if ticket_id is not None else None
            entry = self.entries.get(entry_id) if kind == "reply" else ("", "")
            if ticket is None or entry is None:
                failed.append((Delivery.FAILED.value, _GONE, outbox_id))
                continue
            spec = specs.get(render)
            if spec is None:  # a batch's intents mostly share their text
                spec = specs[render] = json.loads(render)
            try:
                written.append(self._one(ticket, kind, channel, spec, entry, outbox_id,
                                         created_at))
            except Exception as error:  # a broken row must not hold up the rest
                failed.append((Delivery.FAILED.value,
                               f"cannot write the message: {error!r}"[:2000], outbox_id))
        update_rows("outbox_message", _WRITTEN, "id", written, also='"render" = NULL',
                    where='"render" IS NOT NULL')
        execute_many(_FAILED_SQL, failed)

    def _one(self, ticket: mail._TicketFacts, kind: str, channel: str, spec: dict,
             entry: tuple[str, str], outbox_id: int, created_at: object) -> tuple:
        status = spec.get("after", spec.get("status", ticket.status))
        if status != ticket.status:  # the mail tells the status of its change
            ticket = dataclasses.replace(ticket, status=status)
        values = mail._values(ticket, self.config, self.secret)
        if kind == "reply":
            values["reply.body"], values["agent.name"] = entry
        if channel == "sms":
            return self._sms(ticket, kind, values, spec, entry, outbox_id)
        return self._mail(ticket, kind, values, spec, outbox_id, created_at)

    def _mail(self, ticket: mail._TicketFacts, kind: str, values: dict[str, str], spec: dict,
              outbox_id: int, created_at: object) -> tuple:
        """One mail, threaded on the ticket's mail as it was when the intent was queued:
        its entries up to `upto` and its outbox mail before this row."""
        thread = self.threads[ticket.id]
        upto = spec.get("upto", 0)
        known, target = [], None
        for _, source, row_id, message_id, entry_kind in thread:
            if row_id <= upto if source == 0 else row_id < outbox_id:
                known.append(message_id)
                if source == 0 and entry_kind == "customer":
                    target = message_id  # a reply answers the customer's last mail
        cc = None
        if kind == "reply":
            cc = self.followers.get(ticket.id, [])
        else:
            target = None
        if kind == "status_changed":
            language = values["language"]
            values = {**values,
                      "status.before": mail_text.status_name(spec["before"], language),
                      "status.after": mail_text.status_name(spec["after"], language)}
        row = mail._outbox_row(ticket, kind, values, known, target, self.config, self.secret,
                               cc=cc, templates=self.templates, follow=self.follow)
        bisect.insort(thread, (created_at, 1, outbox_id, row["message_id"], None),
                      key=lambda item: item[:3])
        body = row["body"]
        for status in spec.get("fold", ()):  # "reply and set pending": one mail
            body = body.rstrip("\n") + f"\n\n(Status: {status})\n"
        return (row["subject"], body, row["message_id"], row["headers"], row["cc_addrs"],
                outbox_id)

    def _sms(self, ticket: mail._TicketFacts, kind: str, values: dict[str, str], spec: dict,
             entry: tuple[str, str], outbox_id: int) -> tuple:
        if kind == "reply":
            text = mail._sms(ticket, values, "reply", snippet=entry[0])
        else:
            status = mail_text.status_name(spec["after"], values["language"])
            text = mail._sms(ticket, values, "status", status=status)
        message_id = f"<sms.{ticket.id}.{uuid.uuid4().hex}@{self.config.mail.domain}>"
        return ("", text, message_id, "{}", "", outbox_id)


def for_display(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """`rows` with every queued intent among them written first (read again); on a desk
    opened read-only they are shown as queued, not written yet."""
    pending = [r for r in rows if r.render is not None and r.status == Delivery.QUEUED.value]
    if not pending or is_read_only():
        return rows
    render_pending(ticket_ids={r.ticket_id for r in pending if r.ticket_id is not None})
    fresh = {r.id: r for r in OutboxMessage.select().where(
        OutboxMessage.id.in_([r.id for r in pending]))}
    return [fresh.get(r.id, r) if r.render is not None else r for r in rows]

