"""Import one raw message: de-duplicate, classify, thread, and hand it to the ticket services.

Every message ends in exactly one recorded state: `imported` (new ticket or threaded),
`ignored` (auto-reply, bounce, bulk, our own mail, duplicate) or `quarantined` (kept raw
for `deskterm mail quarantine retry`). Nothing here raises for a bad message, so one broken
message never stops a batch.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from deskterm.config import Config
from deskterm.domain import Actor, DomainError, EntryKind, NewAttachment, Refused
from deskterm.mail import ids
from deskterm.mail.parse import ParsedMail, message_digest, parse_message
from deskterm.mail.threading import ThreadDecision, decide
from deskterm.services import directory, mailbox, notifications, tickets
from deskterm.store.db import write_transaction

log = logging.getLogger("deskterm.mail")
#: A survey answer: a first line that is only "5", "4/5" or "3." (later lines: the comment).
_RATING = re.compile(r"^\s*([1-5])(?:\s*/\s*5)?\s*[.!)]?[ \t]*(?:\n(.*))?$", re.S)


@dataclass(frozen=True)
class ImportResult:
    """What happened to one message."""

    status: str  # created | threaded | duplicate | ignored | quarantined
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


def _headers_only(raw: bytes) -> ParsedMail | None:
    """Sender and subject of a message we will not load whole (for the quarantine list)."""
    head = raw[:65536].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0] + b"\n\n"
    try:
        return parse_message(head)
    except Exception:
        return None


class Importer:
    """Imports messages into the open database following the mail config."""

    def __init__(self, config: Config, *, read_only: bool = False) -> None:
        self.config = config
        self.secret = mailbox.secret(config.mail.secret, create=not read_only)
        routes = config.mail.routes
        self.own_addresses = {config.mail.address.lower(), *routes}
        self.own_addresses |= {q.email.lower() for q in directory.list_queues() if q.email}
        self.queue_slugs = {q.slug for q in directory.list_queues()}
        self._routes: dict[str, str | None] = {}

    # --- classification ---------------------------------------------------------

    def route(self, mail: ParsedMail) -> str | None:
        """The queue for the first To/Cc address that has a route (None: default queue)."""
        for _, address in [*mail.to, *mail.cc]:
            if address not in self._routes:
                slug = self.config.mail.routes.get(address) or directory.queue_for_address(address)
                self._routes[address] = slug if slug in self.queue_slugs else None
            if self._routes[address]:
                return self._routes[address]
        return None

    def followers(self, mail: ParsedMail) -> list[str]:
        """Cc'd people (not the desk, not the sender) become followers."""
        skip = self.own_addresses | {mail.from_email}
        result = []
        for _, address in mail.cc:
            if address not in skip and address not in result:
                result.append(address)
        return result

    def ignore_reason(self, mail: ParsedMail) -> str | None:
        """Why the message must not open or touch a ticket, or None."""
        if mail.loop and any(a in mail.loop.lower() for a in self.own_addresses):
            return f"our own mail came back (X-Loop: {mail.loop})"
        if mail.from_email in self.own_addresses:
            return f"sent from the desk's own address {mail.from_email}"
        if mail.automatic:
            return mail.automatic
        return None

    def explain(self, raw: bytes) -> dict[str, object]:
        """How a message would be parsed and where it would go, without writing anything."""
        mail = parse_message(raw)
        earlier = mailbox.seen(mail.digest)
        if earlier is not None:
            action = f"duplicate: already {earlier.status}"
            if earlier.ticket_id:
                action += f" (#{earlier.ticket_id})"
        elif (reason := self.ignore_reason(mail)) is not None:
            action = f"ignore: {reason}"
        elif not mail.from_email:
            action = "quarantine: no sender address"
        else:
            decision = decide(mail, self.secret)
            action = decision.describe()
            if decision.ticket_id is None:
                action += f" in queue {self.route(mail) or directory.queue_row(None).slug}"
        return {
            "action": action,
            "message_id": mail.message_id,
            "from": f"{mail.from_name} <{mail.from_email}>".strip(),
            "to": [a for _, a in mail.to],
            "cc": [a for _, a in mail.cc],
            "followers": self.followers(mail),
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

    # --- import -------------------------------------------------------------------

    def import_raw(
        self, raw: bytes, source: str = "", quarantine_reason: str | None = None
    ) -> ImportResult:
        """Import one message; never raises for a bad message (it is quarantined)."""
        if len(raw) > self.config.mail.max_bytes:
            quarantine_reason = f"too large ({len(raw)} bytes)"
        if quarantine_reason:
            digest = hashlib.sha256(raw).hexdigest()
            return self._quarantine(digest, raw, source, quarantine_reason, _headers_only(raw))
        earlier = mailbox.seen(message_digest(raw))
        if earlier is not None:
            return ImportResult("duplicate", source, ticket_id=earlier.ticket_id,
                                reason=f"already {earlier.status}", subject=earlier.subject or "",
                                sender=earlier.from_addr or "")
        try:
            mail = parse_message(raw)
        except Exception as error:  # the email package gave up: keep the bytes
            digest = hashlib.sha256(raw).hexdigest()
            return self._quarantine(digest, raw, source, f"cannot parse: {error!r}"[:500])
        try:
            return self._import_parsed(mail, raw, source)
        except Exception as error:
            log.exception("mail import failed for %s", source)
            reason = str(error) if isinstance(error, DomainError) else repr(error)
            return self._quarantine(mail.digest, raw, source, reason[:500], mail)

    def _import_parsed(self, mail: ParsedMail, raw: bytes, source: str) -> ImportResult:
        reason = self.ignore_reason(mail)
        if reason:
            if mail.bounce:
                failed = mailbox.mark_bounced(self._bounced_ids(mail), reason)
                if failed:
                    reason += f"; outbox {', '.join(map(str, failed))} marked failed"
            log.info("ignored %s from %s: %s", source, mail.from_email, reason)
            mailbox.record_inbound(
                mail.digest, "ignored", message_id=mail.message_id, from_addr=mail.from_email,
                subject=mail.subject, reason=reason, source=source,
            )
            return ImportResult("ignored", source, reason=reason, subject=mail.subject,
                                sender=mail.from_email)
        if not mail.from_email:
            return self._quarantine(mail.digest, raw, source, "no sender address", mail)
        rated = self._survey_answer(mail, source)
        if rated is not None:
            return rated
        decision = decide(mail, self.secret)
        with write_transaction():
            ticket_id, entry_id, status = self._apply(mail, decision)
            mailbox.record_inbound(
                mail.digest, "imported", message_id=mail.message_id, from_addr=mail.from_email,
                subject=mail.subject, reason=decision.describe(), ticket_id=ticket_id,
                entry_id=entry_id, source=source,
            )
        return ImportResult(status, source, ticket_id=ticket_id, reason=decision.describe(),
                            subject=mail.subject, sender=mail.from_email)

    def _survey_answer(self, mail: ParsedMail, source: str) -> ImportResult | None:
        """A reply to the satisfaction survey that starts with 1-5 is a rating, not a reopen."""
        match = _RATING.match(ids.strip_tokens(mail.body))
        ticket_id = mailbox.survey_ticket(mail.thread_ids) if match else None
        if ticket_id is None:
            return None
        contact = directory.ensure_contact(mail.from_email, mail.from_name or None)
        actor = Actor("customer", contact.email, contact_id=contact.id)
        rating, comment = int(match.group(1)), (match.group(2) or "").strip()
        with write_transaction():
            notifications.record_rating(actor, ticket_id, rating, comment)
            mailbox.record_inbound(
                mail.digest, "imported", message_id=mail.message_id, from_addr=mail.from_email,
                subject=mail.subject, reason=f"survey answer {rating}/5", ticket_id=ticket_id,
                source=source,
            )
        return ImportResult("rated", source, ticket_id=ticket_id,
                            reason=f"survey answer {rating}/5", subject=mail.subject,
                            sender=mail.from_email)

    def _bounced_ids(self, mail: ParsedMail) -> list[str]:
        found = list(mail.bounced_ids)
        found += [m for m in mail.thread_ids if ids.ticket_from_message_id(m, self.secret)]
        return found

    def _apply(self, mail: ParsedMail, decision: ThreadDecision) -> tuple[int, int | None, str]:
        contact = directory.ensure_contact(mail.from_email, mail.from_name or None)
        actor = Actor("customer", contact.email, contact_id=contact.id)
        files = [NewAttachment(a.filename, a.content_type, a.data) for a in mail.attachments]
        body = ids.strip_tokens(mail.body).strip() or ("(no text)" if files else "(empty message)")
        if decision.ticket_id is not None:
            try:
                detail = tickets.add_customer_message(
                    actor, decision.ticket_id, body=body, from_email=contact.email,
                    attachments=files, message_id=mail.message_id, cc=self.followers(mail),
                )
                mine = [e.id for e in detail.entries if e.kind is EntryKind.CUSTOMER]
                return detail.id, mine[-1] if mine else None, "threaded"
            except Refused:  # closed meanwhile: a new ticket that links to it
                decision = ThreadDecision(None, "new", linked_to=decision.ticket_id)
        detail = tickets.create_ticket(
            actor,
            subject=mail.clean_subject,
            body=body,
            requester_email=contact.email,
            requester_name=mail.from_name or None,
            queue=self.route(mail),
            channel="email",
            followers=self.followers(mail),
            attachments=files,
            message_id=mail.message_id,
            linked_to=decision.linked_to,
        )
        first = next((e.id for e in detail.entries if e.kind is EntryKind.CUSTOMER), None)
        return detail.id, first, "created"

    def _quarantine(
        self, digest: str, raw: bytes, source: str, reason: str, mail: ParsedMail | None = None
    ) -> ImportResult:
        log.warning("quarantined %s: %s", source, reason)
        mailbox.record_inbound(
            digest, "quarantined", message_id=mail.message_id if mail else None,
            from_addr=mail.from_email if mail else None, subject=mail.subject if mail else None,
            reason=reason, source=source, raw=raw,
        )
        return ImportResult("quarantined", source, reason=reason,
                            subject=mail.subject if mail else "",
                            sender=mail.from_email if mail else "")

    def import_many(self, messages: Iterable[tuple[str, bytes | Exception]]) -> ImportSummary:
        """Import (source, raw) pairs; a reader error for one message quarantines nothing
        (there are no bytes) but is reported and does not stop the rest."""
        summary = ImportSummary()
        for source, raw in messages:
            if isinstance(raw, Exception):
                summary.add(ImportResult("quarantined", source, reason=f"unreadable: {raw}"))
                continue
            summary.add(self.import_raw(raw, source))
        return summary

    def retry(self, inbound_id: int) -> ImportResult:
        """Import a quarantined message again (after a fix or a config change)."""
        info, raw = mailbox.quarantined(inbound_id)
        result = self.import_raw(raw, info.source or f"quarantine:{inbound_id}")
        if result.status != "quarantined":
            mailbox.release_quarantine(info, f"retried: {result.status} {result.reason}".strip())
        return result
