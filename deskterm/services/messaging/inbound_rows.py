"""The rows one flush of the batched import writes (see `inbound_batch`).

For all the messages of a flush at once: the claims, contacts (`directory.ensure_contact_row`
over the batch), tickets and entries with ids reserved up front, files, followers, ticket
version and status bumps, search rows, confirmation mail, events, SLA clocks and the inbound
records: what `tickets.create_ticket`, `tickets.add_customer_message` and their listeners
write for each message, in the same order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm import clock
from deskterm.domain import REOPENED_BY_CUSTOMER, Actor, NewAttachment, Priority, Status
from deskterm.mail import ids
from deskterm.mail.parse import ParsedMail
from deskterm.services import attachments, directory
from deskterm.services.automation import sla
from deskterm.services.messaging import mailbox, notifications
from deskterm.store import search
from deskterm.store.db import backend, db, execute_many, insert_rows
from deskterm.store.models import Contact, Entry, Event, Follower, OutboxMessage, Ticket

if TYPE_CHECKING:
    from deskterm.services.messaging.inbound_batch import Pending

log = logging.getLogger("deskterm.mail")


@dataclass
class _Person:
    """A contact as the batch leaves it (id, name, language) and whether to write it."""

    id: int | None
    email: str
    name: str
    language: str | None
    new: bool = False
    changed: bool = False


@dataclass
class _Writes:
    """The rows of one flush, in the order message-by-message import writes them."""

    tickets: list[dict] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    files: list[tuple[int, NewAttachment]] = field(default_factory=list)
    followers: list[dict] = field(default_factory=list)
    events: dict[int, list[dict]] = field(default_factory=dict)  # per message index
    bumps: list[tuple] = field(default_factory=list)
    index: list[tuple[str, int, int | None, str]] = field(default_factory=list)
    settled: list[tuple] = field(default_factory=list)
    created: list[tuple[int, int]] = field(default_factory=list)  # (message index, ticket)
    touched: list[int] = field(default_factory=list)
    #: per message index: (its ticket, how many of its events come before the SLA sync
    #: that its change makes one by one: a breach found there is written at that place)
    synced: dict[int, tuple[int, int]] = field(default_factory=dict)


def entry_body(mail: ParsedMail) -> str:
    """The text of the customer entry a message becomes (never empty)."""
    return ids.strip_tokens(mail.body).strip() or (
        "(no text)" if mail.attachments else "(empty message)")


def _now_db() -> datetime:
    return clock.to_db(clock.now())


_TICKET_SQL = 'SELECT "requester_id", "status" FROM "ticket" WHERE "id" = ?'
_PEOPLE_SQL = 'SELECT "id", "email", "name", "language" FROM "contact" WHERE "email" IN ({marks})'
_FOLLOWERS_SQL = 'SELECT "contact_id" FROM "follower" WHERE "ticket_id" = ?'
_CONTACT_SQL = 'UPDATE "contact" SET "name" = ?, "language" = ? WHERE "id" = ?'
_BUMP_SQL = 'UPDATE "ticket" SET "version" = "version" + 1, "updated_at" = ? WHERE "id" = ?'
_REOPEN_SQL = (
    'UPDATE "ticket" SET "version" = "version" + 2, "updated_at" = ?, "status" = ?, '
    '"status_changed_at" = ?, "snoozed_until" = CASE WHEN ? = 1 THEN NULL ELSE "snoozed_until" '
    'END WHERE "id" = ?'
)


class Flush:
    """One flush: the claims, then every table's rows for all the messages at once."""

    def __init__(self, messages: list[Pending], results: list,
                 queues: dict[str | None, tuple[int, int | None]] | None = None) -> None:
        self.messages = messages
        self.results = results
        self.now = _now_db()
        self.people: dict[str, _Person] = {}
        self.new_people: list[_Person] = []
        self.queues = {} if queues is None else queues  # (id, team) by slug, kept by the batch
        self.out = _Writes()
        self.ticket_of: dict[int, int | None] = {}
        self.entry_of: dict[int, int | None] = {}
        self.clocks: list[tuple] = []  # the SLA columns planned before the events

    def run(self) -> None:
        claimed = [m for m in self.messages if self._claim(m)]
        acting = [m for m in claimed if m.decision.action != "ignore"]
        self._load_people(acting)
        for message in acting:
            self._meet(message)
        for person, new_id in zip(self.new_people, self._reserve("contact", self.new_people),
                                  strict=True):
            person.id = new_id
        creates = [m for m in acting if m.decision.action == "create"]
        ticket_ids = iter(self._reserve("ticket", creates))
        entry_ids = iter(self._reserve("entry", [n for m in acting for n in (
            None, *(() if m.emits else m.decision.notes))]))
        for message in claimed:
            if message.decision.action == "create":
                self._create(message, next(ticket_ids), entry_ids)
            elif message.decision.action == "thread":
                self._thread(message, entry_ids)
            else:
                log.info("ignored %s: %s", message.mail.from_email, message.decision.reason)
                self.ticket_of[message.index] = self.entry_of[message.index] = None
            self._settle(message)
        self._write()
        for message in claimed:
            if message.emits:
                self._emit(message)
        self._report(claimed)

    @staticmethod
    def _reserve(table: str, items: list) -> list[int]:
        return backend().reserve_ids(db, table, len(items)) if items else []

    def _claim(self, message: Pending) -> bool:
        """`mailbox.claim`; a message another importer took meanwhile is a duplicate."""
        from deskterm.services.messaging.inbound import ImportResult

        mail = message.mail
        if mailbox.claim(mail.digest, mail.message_id, message.source):
            return True
        earlier = mailbox.seen(mail.digest)
        self.results[message.index] = ImportResult(
            "duplicate", message.source, ticket_id=earlier.ticket_id if earlier else None,
            reason=f"already {earlier.status if earlier else 'claimed'}",
            subject=mail.subject, sender=mail.from_email)
        return False

    # --- contacts: `directory.ensure_contact_row` over the batch --------------------------

    def _load_people(self, messages: list[Pending]) -> None:
        wanted = {directory.normalise_email(a) for m in messages
                  for a in (m.mail.from_email, *m.decision.followers)}
        if not wanted:
            return
        emails = sorted(wanted)
        marks = ", ".join("?" * len(emails))
        for contact_id, email, name, language in db.execute_sql(_PEOPLE_SQL.format(marks=marks),
                                                               emails):
            self.people[email] = _Person(contact_id, email, name, language)

    def _person(self, email: str, name: str | None = None) -> _Person:
        address = directory.normalise_email(email)
        person = self.people.get(address)
        if person is None:
            person = _Person(None, address, (name or "").strip(), None, new=True)
            self.people[address] = person
            self.new_people.append(person)
        elif name and not person.name:
            person.name = name.strip()
            person.changed = True
        return person

    def _meet(self, message: Pending) -> None:
        """The contacts a message makes or updates, in the order one-by-one import does."""
        from deskterm.services.messaging import mail_text
        from deskterm.services.messaging.inbound import mail_language

        mail = message.mail
        requester = self._person(mail.from_email, mail.from_name or None)
        if message.decision.action == "create" and requester.language is None:
            found = mail_language(f"{mail.subject}\n{mail.body}", requester.email)
            if found:
                requester.language = mail_text.supported(found)
                requester.changed = True
        for email in message.decision.followers:
            self._person(email)

    # --- one message --------------------------------------------------------------------

    def _queue(self, slug: str | None) -> tuple[int, int | None]:
        if slug not in self.queues:
            row = directory.queue_row(slug)
            self.queues[slug] = (row.id, row.team_id)
        return self.queues[slug]

    def _event(self, message: Pending, ticket_id: int, actor: Actor, action: str,
               name: str | None = None, after: object = None, before: object = None) -> None:
        self.out.events.setdefault(message.index, []).append(dict(
            ticket=ticket_id, actor=actor.label, at=self.now, action=action, field=name,
            before=None if before is None else str(before),
            after=None if after is None else str(after), via=actor.via))

    def _entry(self, entry_id: int, ticket_id: int, kind: str, person: _Person, body: str,
               message_id: str | None = None) -> None:
        self.out.entries.append(dict(
            id=entry_id, ticket=ticket_id, kind=kind, agent=None, contact=person.id,
            author=person.name or person.email, body=body, created_at=self.now,
            message_id=message_id, source_ticket=None))

    def _message_entry(self, message: Pending, ticket_id: int, person: _Person,
                       entry_ids) -> int:
        """The customer's entry, its files and its search row (`tickets._add_entry`)."""
        mail = message.mail
        files = [NewAttachment(a.filename, a.content_type, a.data) for a in mail.attachments]
        body = entry_body(mail)
        entry_id = next(entry_ids)
        self._entry(entry_id, ticket_id, "customer", person, body, mail.message_id)
        self.out.files += [(entry_id, f) for f in files]
        self.out.index.append(("entry", ticket_id, entry_id, body))
        return entry_id

    def _notes(self, message: Pending, ticket_id: int, person: _Person, entry_ids) -> None:
        for note in message.decision.notes:  # `inbound._note`: system lines, no event
            self._entry(next(entry_ids), ticket_id, "system", person, f"Mail: {note}")

    def _create(self, message: Pending, ticket_id: int, entry_ids) -> None:
        """What `tickets.create_ticket` and its listeners write for a new ticket."""
        mail, decision = message.mail, message.decision
        requester = self.people[directory.normalise_email(mail.from_email)]
        actor = Actor("customer", requester.email, contact_id=requester.id)
        queue_id, team_id = self._queue(decision.queue)
        subject = mail.clean_subject.strip()
        self.out.tickets.append(dict(
            id=ticket_id, subject=subject, status=Status.NEW.value,
            priority=Priority.NORMAL.value, priority_rank=Priority.NORMAL.rank, queue=queue_id,
            requester=requester.id, team=team_id, channel="email", created_at=self.now,
            updated_at=self.now, linked_to=decision.linked_to, status_changed_at=self.now,
            sla_breached=False, version=1))
        self.out.index.append(("subject", ticket_id, None, subject))
        entry_id = self._message_entry(message, ticket_id, requester, entry_ids)
        following: set[int] = set()
        for email in decision.followers:
            person = self.people[directory.normalise_email(email)]
            if person.id != requester.id and person.id not in following:
                following.add(person.id)
                self.out.followers.append(dict(ticket=ticket_id, contact=person.id))
        self._event(message, ticket_id, actor, "created", after=subject)
        if decision.linked_to is not None:
            self._event(message, ticket_id, actor, "linked", "linked_to", decision.linked_to)
        self.ticket_of[message.index], self.entry_of[message.index] = ticket_id, entry_id
        if message.emits:
            return  # the listeners (confirmation, SLA) and the notes come in `_emit`
        self.out.created.append((message.index, ticket_id))
        self._touch(message, ticket_id)
        self._notes(message, ticket_id, requester, entry_ids)

    def _emit(self, message: Pending) -> None:
        """After the rows: the new ticket's change to every listener (SLA, the rules that
        fire on it, notifications), then the notes, as `tickets.create_ticket` and
        `inbound._note` do one by one."""
        from deskterm.services import signals, tickets

        ticket_id, entry_id = self.ticket_of[message.index], self.entry_of[message.index]
        assert ticket_id is not None
        person = self.people[directory.normalise_email(message.mail.from_email)]
        actor = Actor("customer", person.email, contact_id=person.id)
        signals.emit(signals.Change("created", ticket_id, actor, entry_id=entry_id))
        for note in message.decision.notes:
            tickets.add_system_line(actor, ticket_id, f"Mail: {note}")

    def _thread(self, message: Pending, entry_ids) -> None:
        """What `tickets.add_customer_message` and its listeners write."""
        mail, decision = message.mail, message.decision
        ticket_id = decision.ticket_id
        assert ticket_id is not None
        requester_id, status = db.execute_sql(_TICKET_SQL, (ticket_id,)).fetchone()
        person = self.people[directory.normalise_email(mail.from_email)]
        actor = Actor("customer", person.email, contact_id=person.id)
        entry_id = self._message_entry(message, ticket_id, person, entry_ids)
        following = {row[0] for row in db.execute_sql(_FOLLOWERS_SQL, (ticket_id,))}
        for email in decision.followers:
            cc = self.people[directory.normalise_email(email)]
            if cc.id == requester_id or cc.id in following:
                continue
            following.add(cc.id)
            self.out.followers.append(dict(ticket=ticket_id, contact=cc.id))
            self._event(message, ticket_id, actor, "follower", "followers", cc.email)
        self._event(message, ticket_id, actor, "customer_message", after=entry_id)
        self._touch(message, ticket_id)
        old = Status(status)
        if old in REOPENED_BY_CUSTOMER:
            self.out.bumps.append((self.now, Status.OPEN.value, self.now,
                                   int(old is Status.POSTPONED), ticket_id))
            self._event(message, ticket_id, actor, "status", "status", Status.OPEN.value,
                        before=old.value)
        else:
            self.out.bumps.append((self.now, ticket_id))
        self._notes(message, ticket_id, person, entry_ids)
        self.ticket_of[message.index], self.entry_of[message.index] = ticket_id, entry_id

    def _touch(self, message: Pending, ticket_id: int) -> None:
        """The message's change is emitted here one by one (its SLA sync follows)."""
        self.out.touched.append(ticket_id)
        self.out.synced[message.index] = (ticket_id, len(self.out.events[message.index]))

    def _settle(self, message: Pending) -> None:
        mail, decision = message.mail, message.decision
        status = "ignored" if decision.action == "ignore" else "imported"
        self.out.settled.append(mailbox.settle_row(
            mail.digest, status, ticket_id=self.ticket_of[message.index],
            entry_id=self.entry_of[message.index], from_addr=mail.from_email,
            subject=mail.subject, reason=decision.describe()))

    # --- the writes ---------------------------------------------------------------------

    def _write(self) -> None:
        out = self.out
        if self.new_people:
            insert_rows(Contact, [
                dict(id=p.id, email=p.email, name=p.name, created_at=self.now,
                     language=p.language, sms_opt_in=False) for p in self.new_people
            ])
        execute_many(_CONTACT_SQL, [(p.name, p.language, p.id) for p in self.people.values()
                                    if p.changed and not p.new])
        if out.tickets:
            insert_rows(Ticket, out.tickets)
        if out.entries:
            insert_rows(Entry, out.entries)
        for entry_id, item in out.files:
            attachments.store(entry_id, item)
        if out.followers:
            insert_rows(Follower, out.followers)
        execute_many(_BUMP_SQL, [b for b in out.bumps if len(b) == 2])
        execute_many(_REOPEN_SQL, [b for b in out.bumps if len(b) == 5])
        for what, ticket_id, entry_id, text in out.index:
            if what == "subject":
                search.index_subject(ticket_id, text)
            else:
                search.index_entry(ticket_id, entry_id, text)
        self._breaches()
        mails = notifications.confirmations([t for _, t in out.created])
        rows = self._confirmations(mails)
        events = [e for index in sorted(out.events) for e in out.events[index]]
        if events:
            insert_rows(Event, events)
        # the clocks planned before the events stand, but where this flush wrote a status
        # change (a reopened ticket) they are computed again with it
        reopened = {bump[-1] for bump in out.bumps if len(bump) == 5}
        sla.write_columns([u for u in self.clocks if u[-1] not in reopened])
        sla.sync_tickets([t for t in dict.fromkeys(out.touched) if t in reopened])
        if rows:
            insert_rows(OutboxMessage, rows)
        execute_many(mailbox.SETTLE_SQL, out.settled)

    def _breaches(self) -> None:
        """The SLA breaches the messages' changes record, each with its event right after
        the change that found it (where one-by-one import's SLA listener writes it)."""
        plan = sla.plan_sync(list(dict.fromkeys(self.out.touched)))
        self.clocks, found = plan.updates, plan.breaches
        if not found:
            return
        sla.record_breaches(found)
        index_of = {ticket_id: index for index, (ticket_id, _) in self.out.synced.items()}
        placed: dict[int, int] = {}
        for breach in found:
            index = index_of[breach.ticket_id]
            at = self.out.synced[index][1] + placed.get(index, 0)
            self.out.events[index].insert(at, breach.event)
            placed[index] = placed.get(index, 0) + 1

    def _confirmations(self, mails: list[notifications.Confirmation]) -> list[dict]:
        """The outbox rows; a capped one is an event after its ticket's own events."""
        index_of = {ticket_id: index for index, ticket_id in self.out.created}
        rows = []
        for mail in mails:
            if mail.row is not None:
                rows.append(mail.row)
                continue
            self.out.events.setdefault(index_of[mail.ticket_id], []).append(dict(
                ticket=mail.ticket_id, actor=notifications.CAP_ACTOR.label, at=self.now,
                action="mail_capped", field="mail", before=None, after=mail.capped,
                via=notifications.CAP_ACTOR.via))
        return rows

    def _report(self, claimed: list[Pending]) -> None:
        from deskterm.services.messaging.inbound import ImportResult

        for message in claimed:
            mail, decision = message.mail, message.decision
            self.results[message.index] = ImportResult(
                decision.status, message.source, ticket_id=self.ticket_of[message.index],
                reason=decision.describe(), subject=mail.subject, sender=mail.from_email)
