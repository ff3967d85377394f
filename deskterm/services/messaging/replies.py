"""What the console's composer sends: a reply or note with files, its own To / Cc, and an
undo-send window.

A reply is written at once (thread entry, status, SLA, rules), but the mail it causes is
held in the outbox (`outbox_message.hold_until`) for a few seconds; the sender skips held
messages (`mailbox.due_outbox`). Within the window `undo_send` withdraws the reply: its
mail is dropped, the entry removed (its words leave the search index, its files the disk),
the first-response time and the status it set put back, and the text handed back to the
composer. The audit trail keeps both the reply and
its withdrawal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from deskterm import clock
from deskterm.domain import (
    Actor,
    BadInput,
    Delivery,
    EntryKind,
    NewAttachment,
    NotFound,
    Refused,
    Status,
    TicketDetail,
)
from deskterm.services import attachments, directory, tickets
from deskterm.services.trust import access, audit
from deskterm.services.trust.access import Action
from deskterm.store import search
from deskterm.store.db import backend, db, retry_when_busy, write_transaction
from deskterm.store.models import Attachment, Entry, Event, OutboxMessage, Ticket

#: The undo-send window when the config does not say (`[console] undo_send_seconds`).
DEFAULT_HOLD = timedelta(seconds=10)


@dataclass(frozen=True)
class Sent:
    """What the composer sent: enough to undo it within the window."""

    ticket_id: int
    entry_id: int
    mode: str  # reply | note
    held_until: datetime | None  # UTC; None: nothing held (a note, or no window)
    detail: TicketDetail


@dataclass(frozen=True)
class Withdrawn:
    """A reply taken back before its mail left: what to put back in the composer."""

    ticket_id: int
    body: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    status: Status  # the ticket's status after the withdrawal
    detail: TicketDetail


def parse_addresses(text: str) -> tuple[str, ...]:
    """`a@x.ba, Name <b@y.ru>; c@z` as addresses (lower-cased, each once); BadInput names
    the first one that is not an address."""
    from email.utils import getaddresses

    found: list[str] = []
    for name, address in getaddresses([text.replace(";", ",")]):
        if not address and not name:
            continue
        email = directory.normalise_email(address or name)
        if email not in found:
            found.append(email)
    if text.strip() and not found:
        raise BadInput(f"not an email address: {text.strip()!r}")
    return tuple(found)


def read_files(paths: Sequence[str]) -> list[NewAttachment]:
    """The files to attach, read now (BadInput names one that is missing)."""
    return [attachments.from_path(Path(p).expanduser()) for p in paths]


def _newest_entry(detail: TicketDetail, kind: EntryKind) -> int:
    return max(e.id for e in detail.entries if e.kind is kind)


def _last_outbox_id() -> int:
    (last,) = db.execute_sql('SELECT MAX("id") FROM "outbox_message"').fetchone()
    return last or 0


@retry_when_busy
def send(
    actor: Actor,
    ticket_id: int,
    mode: str,
    body: str,
    *,
    files: Sequence[str] = (),
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
    set_status: str | None = None,
    tags: Sequence[str] = (),
    hold: timedelta = DEFAULT_HOLD,
    expected_version: int | None = None,
) -> Sent:
    """Send a reply (to `to` / `cc` when given, else the requester and followers) or an
    internal note, with files from disk, in one transaction; a reply's mail is held for
    `hold` so `undo_send` can take it back."""
    new_files = read_files(files)
    if mode not in ("reply", "note"):
        raise BadInput(f"mode {mode!r}: expected reply or note")
    if mode == "reply" and to is not None and not to:
        raise BadInput("a reply needs at least one recipient in To")
    recipients = tuple(parse_addresses(", ".join(to))) if to is not None else None
    copies = tuple(parse_addresses(", ".join(cc))) if cc is not None else None
    with write_transaction():
        if mode == "note":
            detail = tickets.add_note(
                actor, ticket_id, body, attachments=new_files, expected_version=expected_version
            )
            return Sent(ticket_id, _newest_entry(detail, EntryKind.NOTE), "note", None, detail)
        mark = _last_outbox_id()
        detail = tickets.reply(
            actor,
            ticket_id,
            body,
            attachments=new_files,
            set_status=set_status,
            expected_version=expected_version,
        )
        if tags:
            detail = tickets.add_tags(actor, ticket_id, tags)
        entry_id = _newest_entry(detail, EntryKind.REPLY)
        mail = OutboxMessage.entry == entry_id
        if recipients is not None:
            OutboxMessage.update(to_addrs=", ".join(recipients)).where(
                mail & (OutboxMessage.channel == "email")
            ).execute()
        if copies is not None:
            OutboxMessage.update(cc_addrs=", ".join(copies)).where(
                mail & (OutboxMessage.channel == "email")
            ).execute()
        held_until = None
        if hold > timedelta(0):
            held_until = clock.now() + hold
            OutboxMessage.update(hold_until=clock.to_db(held_until)).where(
                (OutboxMessage.ticket == ticket_id)
                & (OutboxMessage.id > mark)
                & (OutboxMessage.status == Delivery.QUEUED.value)
            ).execute()
    return Sent(ticket_id, entry_id, "reply", held_until, detail)


def _status_before(ticket_id: int, entry_id: int) -> tuple[str, str, datetime] | None:
    """(before, after, since when it was `before`) of the status change the reply's send
    made, if it made one."""
    reply_event = (
        Event.select(Event.id)
        .where((Event.ticket == ticket_id) & (Event.action == "reply")
               & (Event.after == str(entry_id)))
        .order_by(Event.id.desc())
        .first()
    )
    if reply_event is None:
        return None
    change = (
        Event.select(Event.before, Event.after)
        .where((Event.ticket == ticket_id) & (Event.field == "status")
               & (Event.id > reply_event.id))
        .order_by(Event.id)
        .first()
    )
    if change is None:
        return None
    earlier = (
        Event.select(Event.at)
        .where((Event.ticket == ticket_id) & (Event.field == "status")
               & (Event.id < reply_event.id))
        .order_by(Event.id.desc())
        .first()
    )
    since = earlier.at if earlier is not None else Ticket.get_by_id(ticket_id).created_at
    return change.before, change.after, since


@retry_when_busy
def undo_send(actor: Actor, entry_id: int) -> Withdrawn:
    """Withdraw one's own reply while its mail is still held: Refused once it has left."""
    with write_transaction():
        entry = Entry.get_or_none(Entry.id == entry_id)
        if entry is None or entry.kind != EntryKind.REPLY.value:
            raise NotFound(f"no reply {entry_id} to withdraw")
        row = Ticket.get_by_id(entry.ticket_id)
        access.check(actor, Action.TICKET_WORK, row)
        if actor.agent_id is None or entry.agent_id != actor.agent_id:
            raise Refused("only the agent who sent a reply can withdraw it")
        now = clock.to_db(clock.now())
        own = OutboxMessage.select().where(OutboxMessage.entry == entry_id)
        mails = list(backend().claim(own))
        held = [m for m in mails if m.hold_until is not None]
        if not held or len(held) != len(mails) or any(
            m.hold_until <= now or m.status != Delivery.QUEUED.value or m.attempts for m in held
        ):
            raise Refused("too late to undo: the reply has been sent")
        until = held[0].hold_until
        batch = OutboxMessage.select().where(
            (OutboxMessage.ticket == row.id) & (OutboxMessage.hold_until == until)
            & (OutboxMessage.status == Delivery.QUEUED.value)
        )
        dropped = list(backend().claim(batch))
        to = tuple(a for m in held if m.channel == "email" for a in _split(m.to_addrs))
        cc = tuple(a for m in held if m.channel == "email" for a in _split(m.cc_addrs))
        status = _status_before(row.id, entry_id)
        OutboxMessage.delete().where(OutboxMessage.id.in_([m.id for m in dropped])).execute()
        files = {a.path for a in Attachment.select(Attachment.path)
                 .where(Attachment.entry == entry_id)}
        Attachment.delete().where(Attachment.entry == entry_id).execute()
        body = entry.body
        search.unindex_entry(row.id, entry_id)
        Entry.delete().where(Entry.id == entry_id).execute()
        changes: dict[str, object] = {"version": Ticket.version + 1, "updated_at": now}
        if row.first_response_at == entry.created_at:
            changes["first_response_at"] = None
        if status is not None and row.status == status[1]:
            changes["status"] = status[0]
            changes["status_changed_at"] = status[2]
        Ticket.update(**changes).where(Ticket.id == row.id).execute()
        audit.record(row.id, actor, "unsend", None, str(entry_id), None)
        if "status" in changes:
            audit.record(row.id, actor, "status", "status", status[1], status[0])
        _resync_sla(row.id)
    attachments.remove_unused(files)
    detail = tickets.get_ticket(row.id)
    return Withdrawn(row.id, body, to, cc, detail.status, detail)


def _split(addresses: str) -> list[str]:
    return [a.strip() for a in (addresses or "").split(",") if a.strip()]


def _resync_sla(ticket_id: int) -> None:
    from deskterm.services.automation import sla

    sla.sync_tickets([ticket_id])
