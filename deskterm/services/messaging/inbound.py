"""Receive inbound mail: one service operation per message, many messages per transaction.

`Importer.receive(mail)` claims the message (insert-or-skip on its Message-ID + content
digest), decides with `mail_decision.Desk.decide` and applies the decision, all in one
transaction, so two importers running at once can never both create it and a retry never
duplicates. `Importer.predict(mail)` is the same decision without the claim or the writes.
`import_many` decides every message the same way but writes the common outcomes of a
batch together (`inbound_batch`), while a worker parses the next batch (`parse_ahead`).

Every message ends in exactly one recorded state: `imported` (new ticket, threaded or a
survey rating), `ignored` (auto-reply, bounce, bulk, our own mail) or `quarantined` (kept
raw for `deskterm mail quarantine retry`). A bad message never stops a batch; a database
that stays busy is a temporary failure (`TemporaryFailure`): nothing is recorded, so the
next run imports it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from peewee import OperationalError

from deskterm.config import Config
from deskterm.domain import Actor, DomainError, EntryKind, NewAttachment, Refused
from deskterm.mail import ids
from deskterm.mail.parse import (
    MessageKey,
    ParsedMail,
    message_key,
    parse_headers,
    parse_message,
)
from deskterm.mail.parse_ahead import ParseAhead, Parsed, default_workers
from deskterm.mail.sources import NotMail
from deskterm.services import directory, tickets
from deskterm.services.messaging import inbound_batch, mailbox, notifications
from deskterm.services.messaging.inbound_rows import entry_body
from deskterm.services.messaging.mail_decision import Decision, Desk
from deskterm.services.trust import access
from deskterm.store.db import backend, db, is_busy, write_transaction

log = logging.getLogger("deskterm.mail")

#: The database page cache while importing (KiB).
IMPORT_CACHE_KIB = 8_000

class TemporaryFailure(DomainError):
    """The database stayed busy: try again later (exit 75 for a mail server)."""

    exit_code = 75


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What happened to one message."""

    status: str  # created | threaded | rated | duplicate | ignored | quarantined | skipped
    source: str
    ticket_id: int | None = None
    reason: str = ""
    subject: str = ""
    sender: str = ""


@dataclass
class ImportSummary:
    results: list[ImportResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.results))

    def add(self, result: ImportResult) -> None:
        self.results.append(result)


class Importer:
    """Imports messages into the open database following the mail config."""

    def __init__(self, config: Config, *, read_only: bool = False, batch_size: int = 200,
                 attempts: int = 5, batched: bool = True,
                 parse_workers: int | None = None) -> None:
        self.config = config
        self.desk = Desk(config, read_only=read_only)
        self.batch_size = batch_size
        self.attempts = attempts
        self.batched = batched  # False: every message through `receive` (the reference)
        self.parse_workers = default_workers() if parse_workers is None else parse_workers

    # --- one message --------------------------------------------------------------------

    def predict(self, mail: ParsedMail) -> Decision:
        """What `receive` would do with the message now (writes nothing)."""
        return self.desk.decide(mail)

    def receive(self, mail: ParsedMail, *, source: str = "") -> ImportResult:
        """Claim, decide and apply one parsed message in one transaction (a savepoint
        inside a batch). Raises on failure; nothing of the message is written then."""
        with write_transaction():
            if not mailbox.claim(mail.digest, mail.message_id, source):
                earlier = mailbox.seen(mail.digest)
                return ImportResult(
                    "duplicate", source, ticket_id=earlier.ticket_id if earlier else None,
                    reason=f"already {earlier.status if earlier else 'claimed'}",
                    subject=mail.subject, sender=mail.from_email,
                )
            decision = self.desk.decide(mail, claimed=True)
            ticket_id, entry_id, done = self._apply(mail, decision)
            status = "ignored" if decision.action == "ignore" else "imported"
            reason = decision.describe() + done
            mailbox.settle(mail.digest, status, ticket_id=ticket_id, entry_id=entry_id,
                           from_addr=mail.from_email, subject=mail.subject, reason=reason)
        return ImportResult(decision.status, source, ticket_id=ticket_id, reason=reason,
                            subject=mail.subject, sender=mail.from_email)

    def _apply(self, mail: ParsedMail, decision: Decision) -> tuple[int | None, int | None, str]:
        """Carry out the decision: (ticket id, entry id, what else was done)."""
        if decision.action == "ignore":
            log.info("ignored %s: %s", mail.from_email, decision.reason)
            failed = mailbox.mark_bounced(decision.bounced_ids, decision.reason)
            done = f"; outbox {', '.join(map(str, failed))} marked failed" if failed else ""
            return None, None, done
        if decision.action == "quarantine":
            raise _Quarantine(decision.reason)
        contact = directory.ensure_contact(mail.from_email, mail.from_name or None)
        actor = Actor("customer", contact.email, contact_id=contact.id)
        if decision.action == "rate":
            notifications.record_rating(actor, decision.ticket_id, decision.rating,
                                        decision.comment)
            return decision.ticket_id, None, ""
        files = [NewAttachment(a.filename, a.content_type, a.data) for a in mail.attachments]
        body = entry_body(mail)
        if decision.action == "thread":
            try:
                detail = tickets.add_customer_message(
                    actor, decision.ticket_id, body=body, from_email=contact.email,
                    attachments=files, message_id=mail.message_id, cc=decision.followers,
                )
                mine = [e.id for e in detail.entries if e.kind is EntryKind.CUSTOMER]
                self._note(actor, detail.id, decision)
                return detail.id, mine[-1] if mine else None, ""
            except Refused:  # closed after the decision: a new ticket that links to it
                decision = Decision("create", "new", linked_to=decision.ticket_id,
                                    queue=self.desk.route(mail))
        self._remember_language(actor, contact.email, mail)
        detail = tickets.create_ticket(
            actor,
            subject=mail.clean_subject,
            body=body,
            requester_email=contact.email,
            requester_name=mail.from_name or None,
            queue=decision.queue,
            channel="email",
            followers=decision.followers,
            attachments=files,
            message_id=mail.message_id,
            linked_to=decision.linked_to,
        )
        self._note(actor, detail.id, decision)
        first = next((e.id for e in detail.entries if e.kind is EntryKind.CUSTOMER), None)
        return detail.id, first, ""

    @staticmethod
    def _remember_language(actor: Actor, email: str, mail: ParsedMail) -> None:
        """A new contact is written to in the language of their first message."""
        if directory.contact_language(email) is not None:
            return
        found = mail_language(f"{mail.subject}\n{mail.body}", email)
        if found:
            directory.set_contact_language(actor, email, found)

    @staticmethod
    def _note(actor: Actor, ticket_id: int, decision: Decision) -> None:
        """Say on the ticket what an agent should know about how the message came in."""
        for note in decision.notes:
            tickets.add_system_line(actor, ticket_id, f"Mail: {note}")

    # --- bytes in -----------------------------------------------------------------------

    def import_raw(
        self, raw: bytes, source: str = "", quarantine_reason: str | None = None
    ) -> ImportResult:
        """Import one message in its own transaction; never raises for a bad message."""
        return self._batch([(source, raw, quarantine_reason)])[0]

    def import_many(self, messages: Iterable[tuple[str, bytes | Exception]]) -> ImportSummary:
        """Import (source, raw) pairs in batches of `batch_size` per transaction. A reader
        error for one message is reported (there are no bytes to keep) and the rest go on.
        While a batch is written, worker processes parse the next one (`parse_ahead`)."""
        summary = ImportSummary()
        # the page cache stays small: an import touches each page of the growing tables
        # once, and a cache the size of the database would be most of the importer's memory
        with ParseAhead(self.parse_workers) as ahead, backend().capped_cache(db, IMPORT_CACHE_KIB):
            waiting = None
            for batch in _batches(messages, self.batch_size):
                parsing = ahead.submit(self._to_parse(batch))
                if waiting is not None:
                    summary.results += self._batch(waiting[0], waiting[1]())
                waiting = (batch, parsing)
            if waiting is not None:
                summary.results += self._batch(waiting[0], waiting[1]())
        return summary

    def _to_parse(self, batch: list[tuple[str, bytes | Exception, str | None]]
                  ) -> list[tuple[bytes, MessageKey] | None]:
        """The messages of a batch worth parsing ahead: not known from their headers."""
        if not self.parse_workers:
            return [None] * len(batch)
        keyed = [(raw, message_key(raw)) if isinstance(raw, bytes) and reason is None
                 and len(raw) <= self.config.mail.max_bytes else None
                 for _, raw, reason in batch]
        known = mailbox.known_digests([item[1].digest for item in keyed if item is not None])
        return [None if item is None or item[1].digest in known else item for item in keyed]

    def _batch(self, batch: list[tuple[str, bytes | Exception, str | None]],
               parsed: list[Parsed | None] | None = None) -> list[ImportResult]:
        """One transaction for the batch, each message all-or-nothing in a savepoint. When
        the database stays busy the whole batch is retried with backoff, then given up."""
        delay = 0.05
        for attempt in range(self.attempts):
            try:
                with write_transaction():
                    return self._batch_once(batch, parsed or [None] * len(batch))
            except OperationalError as error:
                if not is_busy(error) or attempt == self.attempts - 1:
                    if is_busy(error):
                        raise TemporaryFailure(f"database busy, try again later: {error}") from None
                    raise
                log.warning("database busy (%s); batch retried in %.2fs", error, delay)
                time.sleep(delay)
                delay *= 3
        raise TemporaryFailure("database busy, try again later")  # pragma: no cover

    def _batch_once(self, batch: list[tuple[str, bytes | Exception, str | None]],
                    parsed: list[Parsed | None]) -> list[ImportResult]:
        results: list = [None] * len(batch)
        pending = None
        if self.batched and inbound_batch.available():
            pending = inbound_batch.Batch(self.desk, results, self._receive_parsed)
        for index, (source, raw, reason) in enumerate(batch):
            result = self._one(source, raw, reason, pending, index, parsed[index])
            if result is not None:
                results[index] = result
        if pending is not None:
            pending.flush()
        return results

    def _one(self, source: str, raw: bytes | Exception, reason: str | None,
             pending: inbound_batch.Batch | None = None, index: int = 0,
             parsed: Parsed | None = None) -> ImportResult | None:
        """One message's result; None when `pending` took it (its result comes at the
        flush). Whatever is written here waits until the pending messages are written.
        `parsed`: the message parsed ahead (or why it could not be), if it was."""
        if isinstance(raw, NotMail):
            return ImportResult("skipped", source, reason=str(raw))
        if isinstance(raw, Exception):
            return ImportResult("quarantined", source, reason=f"unreadable: {raw}")
        if len(raw) > self.config.mail.max_bytes:
            reason = f"too large ({len(raw)} bytes)"
        key = (MessageKey(parsed.message_id, parsed.content_hash)
               if isinstance(parsed, ParsedMail) else message_key(raw))
        if pending is not None and (reason or pending.holds(key.digest)):
            pending.flush()
        if reason:
            return self._quarantine(key.digest, key.message_id, raw, source, reason,
                                    parse_headers(raw))
        earlier = mailbox.seen(key.digest)
        if earlier is not None:  # known from its headers: the body is never decoded
            return ImportResult("duplicate", source, ticket_id=earlier.ticket_id,
                                reason=f"already {earlier.status}", subject=earlier.subject or "",
                                sender=earlier.from_addr or "")
        if isinstance(parsed, ParsedMail):
            mail = parsed
        else:
            try:
                if isinstance(parsed, str):
                    raise _ParseFailed(parsed)
                mail = parse_message(raw, key)
            except Exception as error:  # the email package gave up: keep the bytes
                log.exception("cannot parse %s", source)
                if pending is not None:
                    pending.flush()
                why = str(error) if isinstance(error, _ParseFailed) else (
                    f"cannot parse: {error!r}"[:500])
                return self._quarantine(key.digest, key.message_id, raw, source, why)
        if pending is not None:
            decision = pending.decide(mail)
            if pending.take(mail, raw, source, decision, index):
                return None
            pending.flush()
        return self._receive_parsed(mail, raw, source)

    def _receive_parsed(self, mail: ParsedMail, raw: bytes, source: str) -> ImportResult:
        """`receive`, with a failed message quarantined (its bytes kept)."""
        try:
            return self.receive(mail, source=source)
        except OperationalError as error:
            if is_busy(error):
                raise
            return self._failed(mail, raw, source, error)
        except _Quarantine as why:
            return self._quarantine(mail.digest, mail.message_id, raw, source, str(why), mail)
        except Exception as error:
            return self._failed(mail, raw, source, error)

    def _failed(self, mail: ParsedMail, raw: bytes, source: str, error: Exception
                ) -> ImportResult:
        if not isinstance(error, DomainError):
            log.exception("mail import failed for %s", source)
        reason = str(error) if isinstance(error, DomainError) else repr(error)
        return self._quarantine(mail.digest, mail.message_id, raw, source, reason[:500], mail)

    def _quarantine(
        self, digest: str, message_id: str | None, raw: bytes, source: str, reason: str,
        mail: ParsedMail | None = None,
    ) -> ImportResult:
        log.warning("quarantined %s: %s", source, reason)
        mailbox.record_inbound(
            digest, "quarantined", message_id=message_id,
            from_addr=mail.from_email if mail else None, subject=mail.subject if mail else None,
            reason=reason, source=source, raw=raw,
        )
        return ImportResult("quarantined", source, reason=reason,
                            subject=mail.subject if mail else "",
                            sender=mail.from_email if mail else "")

    def retry(self, actor: Actor, inbound_id: int) -> ImportResult:
        """Import a quarantined message again (after a fix or a config change), for an
        `actor` who may import mail (the import itself acts as the desk)."""
        access.check(actor, access.Action.MAIL_IMPORT)
        info, raw = mailbox.quarantined(inbound_id)
        result = self.import_raw(raw, info.source or f"quarantine:{inbound_id}")
        if result.status != "quarantined":
            mailbox.release_quarantine(info, f"retried: {result.status} {result.reason}".strip())
        return result

    # --- what `mail parse` shows ----------------------------------------------------------

    def explain(self, raw: bytes) -> dict[str, object]:
        """How a message would be parsed and what import would do, without writing."""
        mail = parse_message(raw)
        decision = self.predict(mail)
        if len(raw) > self.config.mail.max_bytes:
            decision = Decision("quarantine", f"too large ({len(raw)} bytes)")
        return {
            "action": decision.describe(),
            "result": decision.status,
            "message_id": mail.message_id,
            "digest": mail.digest,
            "from": f"{mail.from_name} <{mail.from_email}>".strip() if mail.from_email else "",
            "to": [a for _, a in mail.to],
            "cc": [a for _, a in mail.cc],
            "followers": list(decision.followers),
            "subject": mail.subject,
            "ticket_subject": mail.clean_subject,
            "date": mail.date.isoformat() if mail.date else None,
            "in_reply_to": mail.thread_ids,
            "body": ids.strip_tokens(mail.body).strip(),
            "quoted_removed": len(mail.text) - len(mail.body),
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.data),
                 "inline": a.inline}
                for a in mail.attachments
            ],
            "automatic": mail.automatic,
            "defects": mail.defects,
        }


#: South Slavic text is one language to the detector; the address says which variant.
_SOUTH_SLAVIC_BY_DOMAIN = {"hr": "hr", "rs": "sr", "ba": "bs", "me": "sr"}


def mail_language(text: str, address: str) -> str | None:
    """The notification language for a customer's text (None: too little to tell).
    Bosnian, Croatian and Serbian are told apart by the address's domain where it says."""
    from deskterm.services.messaging import language, mail_text

    code = language.detect(text)
    if code in ("bs", "hr", "sr"):
        return _SOUTH_SLAVIC_BY_DOMAIN.get(address.rsplit(".", 1)[-1], code)
    return mail_text.supported(code)


def _batches(messages: Iterable[tuple[str, bytes | Exception]], size: int
             ) -> Iterator[list[tuple[str, bytes | Exception, str | None]]]:
    batch: list[tuple[str, bytes | Exception, str | None]] = []
    for source, raw in messages:
        batch.append((source, raw, None))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _ParseFailed(Exception):
    """A worker could not parse the message (the reason, as `cannot parse: ...`)."""


class _Quarantine(Exception):
    """The decision was to quarantine: the claim is rolled back and the bytes kept."""
