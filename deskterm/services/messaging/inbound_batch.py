"""The batched import path: many messages decided one by one, written together.

Each message is decided by the same `Desk.decide` as one imported alone, against the
database as it stands; what the decisions call for (contacts, tickets, entries, followers,
events, search rows, SLA clocks, confirmations, the inbound records) is then written for
the whole batch with a few set statements instead of some twenty statements a message.
The result is the rows message-by-message import writes, in the same order with the same
ids (a test compares every row on the sample corpus).

Three rules keep that true:
- a decision never reads what the batch has not written yet: before a message whose
  Message-IDs, ticket numbers or target ticket the pending messages touch, the pending
  ones are written first (`Batch.flush`), then it is decided;
- only the common outcomes are batched (a new ticket, a message threaded into a ticket,
  an ignored robot): anything else (survey answers, bounces, quarantine) goes through
  `Importer.receive` after a flush, and so does the whole import when a listener other
  than SLA, rules and notifications is installed;
- a message on which an event rule fires (`created`, `customer replied`, `status
  changed`: `rules.may_fire` asks the rule's conditions about the ticket as the message
  will leave it) ends its flush: a new ticket's rows are written with the others, then
  its change is emitted to the listeners (SLA, rules, notifications) as one by one; a
  message into an existing ticket goes through `Importer.receive` after a flush. Either
  way the rule reads what it reads one by one and its actions take the same ids.

A flush runs in a savepoint: when it fails, its messages are imported one at a time, so
a bad message is quarantined and the others still go in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from peewee import DatabaseError, OperationalError

from deskterm.domain import REOPENED_BY_CUSTOMER, Actor, Priority, Status
from deskterm.mail.parse import ParsedMail
from deskterm.services import directory, signals
from deskterm.services.automation import rules
from deskterm.services.messaging import mailbox
from deskterm.services.messaging.inbound_rows import Flush, entry_body
from deskterm.services.messaging.mail_decision import Decision, Desk
from deskterm.store.db import db, is_busy, write_transaction

log = logging.getLogger("deskterm.mail")

#: The listeners whose work a flush does itself (any other one: message by message).
BATCHED_LISTENERS = frozenset({
    "deskterm.services.automation.sla:on_change",
    "deskterm.services.automation.rules:on_change",
    "deskterm.services.messaging.notifications:on_change",
})
#: The rule triggers a batched message's changes pull.
_TRIGGERS = ("created", "customer_replied", "status_changed")


def available() -> bool:
    """Whether batching gives what one-by-one import gives on this desk right now."""
    return not signals.is_muted() and set(signals.LISTENERS) <= BATCHED_LISTENERS


def batchable(mail: ParsedMail, decision: Decision) -> bool:
    """The outcomes a flush writes; the rest go through `Importer.receive`."""
    if decision.action == "ignore":
        return not decision.bounced_ids
    if decision.action == "create":
        return bool(mail.clean_subject.strip())
    return decision.action == "thread"


_ORGANISATION_SQL = (
    'SELECT o."name" FROM "contact" c JOIN "organisation" o ON o."id" = c."organisation_id" '
    'WHERE c."email" = ?'
)
_TICKET_SQL = (
    'SELECT q."slug", t."queue_id", tm."slug", t."team_id", t."status", t."priority", '
    't."channel", a."username", c."email", o."name", t."subject", t."language" '
    'FROM "ticket" t JOIN "queue" q ON q."id" = t."queue_id" '
    'LEFT JOIN "team" tm ON tm."id" = t."team_id" '
    'LEFT JOIN "agent" a ON a."id" = t."assignee_id" '
    'JOIN "contact" c ON c."id" = t."requester_id" '
    'LEFT JOIN "organisation" o ON o."id" = c."organisation_id" WHERE t."id" = ?'
)
_TAGS_SQL = 'SELECT "name" FROM "ticket_tag" WHERE "ticket_id" = ? ORDER BY "name"'


@dataclass
class Pending:
    mail: ParsedMail
    raw: bytes
    source: str
    decision: Decision
    index: int  # position in the batch's results
    emits: bool = False  # its change goes to the listeners after the flush's rows (rules)


class Batch:
    """The messages decided but not yet written, and how to write them."""

    def __init__(self, desk: Desk, results: list, receive: Callable[[ParsedMail, bytes, str],
                                                                    object]) -> None:
        self.desk = desk
        self.results = results
        self.receive = receive  # one message the one-by-one way (quarantines on failure)
        self.pending: list[Pending] = []
        self._ids: set[str] = set()
        self._digests: set[str] = set()
        self._tickets: set[int] = set()
        self._creates = 0
        self._rules = rules.event_rules(_TRIGGERS)
        self._queues: dict[str | None, tuple[str, int, str | None, int | None]] = {}
        self._flush_queues: dict[str | None, tuple[int, int | None]] = {}  # for every flush

    # --- deciding ---------------------------------------------------------------------

    def holds(self, digest: str) -> bool:
        """Whether a pending message has this digest (write it before looking it up)."""
        return digest in self._digests

    def _reads_pending(self, mail: ParsedMail) -> bool:
        if not self.pending:
            return False
        if mail.digest in self._digests:
            return True
        message_ids, numbers = self.desk.references(mail)
        if message_ids & self._ids:
            return True
        return any(n in self._tickets or (self._creates and mailbox.ticket_state(n) is None)
                   for n in numbers)

    def decide(self, mail: ParsedMail) -> Decision:
        """The decision for `mail`, written pending messages first when it would read them."""
        if self._reads_pending(mail):
            self.flush()
        decision = self.desk.decide(mail)
        if self.pending and {decision.ticket_id, decision.linked_to} & self._tickets:
            self.flush()  # it read a ticket that pending messages change
            decision = self.desk.decide(mail)
        return decision

    def take(self, mail: ParsedMail, raw: bytes, source: str, decision: Decision,
             index: int) -> bool:
        """Add the message when a flush writes it; False: the caller imports it through
        `Importer.receive` (after a flush). A new ticket an event rule fires on is written
        at once, its change emitted to the listeners after the batch's rows."""
        if not batchable(mail, decision):
            return False
        fires = bool(self._rules) and decision.action != "ignore" and self._may_fire(
            mail, decision)
        if fires and decision.action != "create":
            return False
        self.add(mail, raw, source, decision, index, emits=fires)
        if fires:
            self.flush()
        return True

    def _may_fire(self, mail: ParsedMail, decision: Decision) -> bool:
        """`_fires_rules`; a rule it cannot judge counts as firing (the exact path)."""
        try:
            return self._fires_rules(mail, decision)
        except DatabaseError:
            raise
        except Exception:
            log.exception("cannot tell whether rules fire on %s", mail.message_id)
            return True

    def _fires_rules(self, mail: ParsedMail, decision: Decision) -> bool:
        """Whether importing the message one by one fires an event rule."""
        body = entry_body(mail)
        actor = Actor("customer", directory.normalise_email(mail.from_email))
        if decision.action == "create":
            prospect = self._new_ticket(mail, decision.queue, body)
            return rules.may_fire("created", prospect, actor, self._rules)
        assert decision.ticket_id is not None
        prospect = self._ticket(decision.ticket_id, body)
        if rules.may_fire("customer_message", prospect, actor, self._rules):
            return True
        if Status(prospect.status) not in REOPENED_BY_CUSTOMER:
            return False
        reopened = replace(prospect, status=Status.OPEN.value)
        return rules.may_fire("status", reopened, actor, self._rules)

    def _new_ticket(self, mail: ParsedMail, queue: str | None, body: str) -> rules.Prospect:
        if queue not in self._queues:
            row = directory.queue_row(queue)
            self._queues[queue] = (row.slug, row.id, row.team.slug if row.team_id else None,
                                   row.team_id)
        slug, queue_id, team, team_id = self._queues[queue]
        email = directory.normalise_email(mail.from_email)
        found = db.execute_sql(_ORGANISATION_SQL, (email,)).fetchone()
        return rules.Prospect(
            queue=slug, queue_id=queue_id, team=team, team_id=team_id,
            status=Status.NEW.value, priority=Priority.NORMAL.value, channel="email",
            assignee=None, tags=(), requester=email, organisation=found[0] if found else "",
            subject=mail.clean_subject.strip(), body=body, language=None)

    @staticmethod
    def _ticket(ticket_id: int, body: str) -> rules.Prospect:
        row = db.execute_sql(_TICKET_SQL, (ticket_id,)).fetchone()
        tags = tuple(t for (t,) in db.execute_sql(_TAGS_SQL, (ticket_id,)))
        (queue, queue_id, team, team_id, status, priority, channel, assignee, requester,
         organisation, subject, language) = row
        return rules.Prospect(
            queue=queue, queue_id=queue_id, team=team, team_id=team_id, status=status,
            priority=priority, channel=channel, assignee=assignee, tags=tags,
            requester=requester, organisation=organisation or "", subject=subject, body=body,
            language=language)

    def add(self, mail: ParsedMail, raw: bytes, source: str, decision: Decision,
            index: int, emits: bool = False) -> None:
        self.pending.append(Pending(mail, raw, source, decision, index, emits))
        self._digests.add(mail.digest)
        self._ids |= {m for m in (mail.message_id,) if m}
        if decision.action == "thread" and decision.ticket_id is not None:
            self._tickets.add(decision.ticket_id)
        self._creates += decision.action == "create"

    # --- writing ----------------------------------------------------------------------

    def flush(self) -> None:
        """Write every pending message (a savepoint; one by one if that fails)."""
        messages, self.pending = self.pending, []
        self._ids, self._digests, self._tickets, self._creates = set(), set(), set(), 0
        if not messages:
            return
        try:
            with write_transaction():
                Flush(messages, self.results, self._flush_queues).run()
        except OperationalError as error:
            if is_busy(error):
                raise
            self._one_by_one(messages, error)
        except Exception as error:
            self._one_by_one(messages, error)

    def _one_by_one(self, messages: list[Pending], error: Exception) -> None:
        log.warning("batch of %d messages failed (%r); importing them one by one",
                    len(messages), error)
        for message in messages:
            self.results[message.index] = self.receive(message.mail, message.raw,
                                                        message.source)
