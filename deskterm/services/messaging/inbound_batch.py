"""The batched import path: many messages decided one by one, written together.

Each message is decided by the same `Desk.decide` as one imported alone, against the
database as it stands; what the decisions call for (contacts, tickets, entries, followers,
events, search rows, SLA clocks, confirmations, the inbound records) is then written for
the whole batch with a few set statements instead of some twenty statements a message.
The result is the rows message-by-message import writes, in the same order with the same
ids (a test compares every row on the sample corpus).

Two rules keep that true:
- a decision never reads what the batch has not written yet: before a message whose
  Message-IDs, ticket numbers or target ticket the pending messages touch, the pending
  ones are written first (`Batch.flush`), then it is decided;
- only the common outcomes are batched (a new ticket, a message threaded into a ticket,
  an ignored robot): anything else (survey answers, bounces, quarantine) goes through
  `Importer.receive` after a flush, and so does the whole import when a listener other
  than SLA, rules and notifications is installed or an event rule would fire.

A flush runs in a savepoint: when it fails, its messages are imported one at a time, so
a bad message is quarantined and the others still go in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from peewee import OperationalError

from deskterm.mail.parse import ParsedMail
from deskterm.services import signals
from deskterm.services.automation import rules
from deskterm.services.messaging import mailbox
from deskterm.services.messaging.inbound_rows import Flush
from deskterm.services.messaging.mail_decision import Decision, Desk
from deskterm.store.db import is_busy, write_transaction

log = logging.getLogger("deskterm.mail")

#: The listeners whose work a flush does itself (any other one: message by message).
BATCHED_LISTENERS = frozenset({
    "deskterm.services.automation.sla:on_change",
    "deskterm.services.automation.rules:on_change",
    "deskterm.services.messaging.notifications:on_change",
})
#: Rule triggers a batched message would pull (then every message goes one by one).
_TRIGGERS = ("created", "customer_replied", "status_changed")


def available() -> bool:
    """Whether batching gives what one-by-one import gives on this desk right now."""
    if signals.is_muted() or not set(signals.LISTENERS) <= BATCHED_LISTENERS:
        return False
    return not rules.has_event_rules(_TRIGGERS)


def batchable(mail: ParsedMail, decision: Decision) -> bool:
    """The outcomes a flush writes; the rest go through `Importer.receive`."""
    if decision.action == "ignore":
        return not decision.bounced_ids
    if decision.action == "create":
        return bool(mail.clean_subject.strip())
    return decision.action == "thread"


@dataclass
class Pending:
    mail: ParsedMail
    raw: bytes
    source: str
    decision: Decision
    index: int  # position in the batch's results


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

    def add(self, mail: ParsedMail, raw: bytes, source: str, decision: Decision,
            index: int) -> None:
        self.pending.append(Pending(mail, raw, source, decision, index))
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
                Flush(messages, self.results).run()
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
