"""What an inbound message means for the desk, decided from the ticket facts it reads once.

`Desk.decide(mail)` never writes: `mail parse` shows it, and `inbound.receive` applies the
very same decision inside its transaction, so the prediction is what import does.

Threading, in this order: (a) a signed deskterm Message-ID in `In-Reply-To`/`References`,
or (b) the signed body token: the sender holds something only participants were sent, so
the message joins the ticket (a forwarded reply works); (c) an unsigned Message-ID the desk
sent or received, or (d) a `[#1042]` subject tag: only when the sender already takes part
in that ticket, else a new ticket linked to it. Merged tickets are followed to the one that
survives; a closed ticket is never written to (new ticket, linked). Cc'd people become
followers only when a participant (or a new ticket's requester) Cc'd them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from deskterm.config import Config
from deskterm.domain import BadInput, Status
from deskterm.mail import ids
from deskterm.mail.parse import ParsedMail
from deskterm.services import directory
from deskterm.services.messaging import mailbox

#: A survey answer: a first line that is only "5", "4/5" or "3." (later lines: the comment).
#: Persian and Arabic-Indic digits count too (a Persian customer answers "۵").
_RATING = re.compile(r"^\s*([1-5۱-۵١-٥])(?:\s*/\s*[5۵٥])?\s*[.!)]?[ \t]*(?:\n(.*))?$", re.S)


@dataclass(frozen=True)
class Decision:
    """What to do with one message.

    action: duplicate | ignore | quarantine | rate | thread | create
    """

    action: str
    reason: str = ""
    ticket_id: int | None = None
    linked_to: int | None = None
    queue: str | None = None
    followers: tuple[str, ...] = ()
    rating: int | None = None
    comment: str = ""
    bounced_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def status(self) -> str:
        """The result word import reports (created, threaded, rated, ignored, ...)."""
        return {"thread": "threaded", "create": "created", "rate": "rated",
                "ignore": "ignored", "quarantine": "quarantined"}.get(self.action, self.action)

    def describe(self) -> str:
        notes = "".join(f" ({n})" for n in self.notes)
        if self.action == "thread":
            return f"thread into #{self.ticket_id} (by {self.reason}){notes}"
        if self.action == "create":
            link = f", linked to #{self.linked_to}" if self.linked_to else ""
            return f"new ticket{link} in queue {self.queue}{notes}"
        if self.action == "rate":
            return f"survey answer {self.rating}/5 for #{self.ticket_id}"
        return f"{self.action}: {self.reason}{notes}"


class Desk:
    """The desk facts that stay fixed during an import run (addresses, queues, the secret)."""

    def __init__(self, config: Config, *, read_only: bool = False) -> None:
        self.config = config
        self.secret = mailbox.secret(config.mail.secret, create=not read_only)
        queues = directory.list_queues()
        self.own_addresses = {config.mail.address.lower(), *config.mail.routes}
        self.own_addresses |= {q.email.lower() for q in queues if q.email}
        self.queue_slugs = {q.slug for q in queues}
        self.default_queue = directory.queue_row(None).slug
        self._routes: dict[str, str | None] = {}

    # --- classification ---------------------------------------------------------------

    def route(self, mail: ParsedMail) -> str:
        """The queue for the first To/Cc address that has a route (else the default)."""
        for _, address in [*mail.to, *mail.cc]:
            if address not in self._routes:
                slug = self.config.mail.routes.get(address) or directory.queue_for_address(address)
                self._routes[address] = slug if slug in self.queue_slugs else None
            if self._routes[address]:
                return self._routes[address]  # type: ignore[return-value]
        return self.default_queue

    def cc_followers(self, mail: ParsedMail) -> tuple[str, ...]:
        """Cc'd people (not the desk, not the sender), in order."""
        skip = self.own_addresses | {mail.from_email}
        result: list[str] = []
        for _, address in mail.cc:
            if address not in skip and address not in result:
                result.append(address)
        return tuple(result)

    def ignore_reason(self, mail: ParsedMail) -> str | None:
        """Why the message must not open or touch a ticket, or None."""
        if mail.loop and any(a in mail.loop.lower() for a in self.own_addresses):
            return f"our own mail came back (X-Loop: {mail.loop})"
        if mail.from_email in self.own_addresses:
            return f"sent from the desk's own address {mail.from_email}"
        if mail.automatic:
            return mail.automatic
        return None

    # --- the decision -------------------------------------------------------------------

    def decide(self, mail: ParsedMail, *, claimed: bool = False) -> Decision:
        """What the message means now; never writes anything. `claimed`: the caller holds
        the message's claim, so it is not a duplicate (no need to look)."""
        earlier = None if claimed else mailbox.seen(mail.digest)
        if earlier is not None:
            where = f" (#{earlier.ticket_id})" if earlier.ticket_id else ""
            return Decision("duplicate", f"already {earlier.status}{where}",
                            ticket_id=earlier.ticket_id)
        reason = self.ignore_reason(mail)
        if reason is not None:
            bounced = self._bounced_ids(mail) if mail.bounce else ()
            return Decision("ignore", reason, bounced_ids=bounced)
        if not mail.from_email:
            return Decision("quarantine", "no sender address (no From, Sender, Reply-To or "
                                          "Return-Path)")
        unusable = _unusable_address(mail.from_email)
        if unusable is not None:  # what import would refuse when it makes the contact
            return Decision("quarantine", unusable)
        notes = self._reuse_note(mail)
        rated = self._survey_answer(mail)
        if rated is not None:
            return rated
        return self._thread(mail, notes)

    def references(self, mail: ParsedMail) -> tuple[set[str], set[int]]:
        """The Message-IDs and ticket numbers `decide` may read about for this message:
        a batch that has not written some of them yet writes first, then decides."""
        message_ids = set(mail.thread_ids)
        if mail.message_id:
            message_ids.add(mail.message_id)
        numbers = {t for m in mail.thread_ids
                   if (t := ids.ticket_from_message_id(m, self.secret)) is not None}
        by_token = ids.ticket_from_token(mail.text, self.secret)
        numbers |= {n for n in (by_token, mail.subject_ref) if n is not None}
        return message_ids, numbers

    def _reuse_note(self, mail: ParsedMail) -> tuple[str, ...]:
        if mail.message_id and mailbox.message_id_used(mail.message_id, mail.digest):
            return (f"Message-ID {mail.message_id} was used before by other content",)
        return ()

    def _survey_answer(self, mail: ParsedMail) -> Decision | None:
        """A reply to the satisfaction survey that starts with 1-5 is a rating, not a reopen."""
        match = _RATING.match(ids.strip_tokens(mail.body))
        ticket_id = mailbox.survey_ticket(mail.thread_ids) if match else None
        if ticket_id is None or match is None:
            return None
        return Decision("rate", "survey answer", ticket_id=ticket_id,
                        rating=int(match.group(1)), comment=(match.group(2) or "").strip())

    def _bounced_ids(self, mail: ParsedMail) -> tuple[str, ...]:
        found = list(mail.bounced_ids)
        found += [m for m in mail.thread_ids if ids.ticket_from_message_id(m, self.secret)]
        return tuple(found)

    def _thread(self, mail: ParsedMail, notes: tuple[str, ...]) -> Decision:
        signed = next((t for m in mail.thread_ids
                       if (t := ids.ticket_from_message_id(m, self.secret)) is not None), None)
        if signed is not None:
            return self._join(mail, signed, "message-id", notes)
        by_token = ids.ticket_from_token(mail.text, self.secret)
        if by_token is not None:
            return self._join(mail, by_token, "token", notes)
        known = mailbox.ticket_for_message_ids(mail.thread_ids) if mail.thread_ids else None
        if known is not None:
            return self._join(mail, known, "message-id", notes, participants_only=True)
        tagged = mail.subject_ref
        if tagged is not None and mailbox.ticket_state(tagged) is not None:
            return self._join(mail, tagged, "subject", notes, participants_only=True)
        return self._new(mail, notes)

    def _new(self, mail: ParsedMail, notes: tuple[str, ...], linked_to: int | None = None,
             ) -> Decision:
        return Decision("create", "new", linked_to=linked_to, queue=self.route(mail),
                        followers=self.cc_followers(mail), notes=notes)

    def _join(self, mail: ParsedMail, ticket_id: int, how: str, notes: tuple[str, ...],
              *, participants_only: bool = False) -> Decision:
        found = _surviving(ticket_id)
        if found is None:
            return self._new(mail, (*notes, f"#{ticket_id} named by {how} does not exist"))
        survivor, status = found
        candidates = {ticket_id, survivor}
        participant = any(mailbox.is_participant(t, mail.from_email) for t in candidates)
        if participants_only and not participant:
            return self._new(mail, (*notes, f"{mail.from_email} is not a participant of "
                                            f"#{survivor}"), linked_to=survivor)
        if status == Status.CLOSED.value:
            return self._new(mail, (*notes, f"#{survivor} is closed"), linked_to=survivor)
        if survivor != ticket_id:
            notes = (*notes, f"merged from #{ticket_id}")
        followers = self.cc_followers(mail)
        if followers and not participant:
            notes = (*notes, f"Cc of non-participant {mail.from_email} not added as followers")
            followers = ()
        return Decision("thread", how, ticket_id=survivor, followers=followers, notes=notes)


def _surviving(ticket_id: int) -> tuple[int, str] | None:
    """Follow merges; (ticket id, status) of the survivor, or None if it does not exist."""
    seen: set[int] = set()
    current = ticket_id
    while True:
        state = mailbox.ticket_state(current)
        if state is None:
            return None
        status, merged_into = state
        if merged_into is None or current in seen:
            return current, status
        seen.add(current)
        current = merged_into


def _unusable_address(address: str) -> str | None:
    """Why a requester address cannot become a contact (`not an email address: …`), as
    the contact's own check says it; None when it can."""
    from deskterm.services.directory import normalise_email

    try:
        normalise_email(address)
    except BadInput as error:
        return str(error)
    return None
