"""Decide which ticket an inbound message belongs to (read-only).

In this order: (a) `In-Reply-To`/`References` naming a signed deskterm Message-ID or any
Message-ID deskterm sent or received; (b) the signed body token, for clients that drop
headers; (c) a `[#1042]` subject tag, but only when the sender already takes part in that
ticket: a stranger gets a new ticket linked to it. Merged tickets are followed to the one
that survives; a closed ticket is never written to (new ticket, linked).
"""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.domain import Status
from deskterm.mail import ids
from deskterm.mail.parse import ParsedMail
from deskterm.services import mailbox


@dataclass(frozen=True)
class ThreadDecision:
    """Where a message goes: an existing ticket, or a new one (maybe linked to another)."""

    ticket_id: int | None
    how: str  # message-id | token | subject | new
    linked_to: int | None = None
    note: str = ""

    def describe(self) -> str:
        if self.ticket_id is not None:
            return f"thread into #{self.ticket_id} (by {self.how}){self.note}"
        link = f", linked to #{self.linked_to}" if self.linked_to else ""
        return f"new ticket{link}{self.note}"


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


def _by_headers(mail: ParsedMail, secret: str) -> int | None:
    for mid in mail.thread_ids:
        signed = ids.ticket_from_message_id(mid, secret)
        if signed is not None:
            return signed
    return mailbox.ticket_for_message_ids(mail.thread_ids) if mail.thread_ids else None


def _finish(ticket_id: int, how: str) -> ThreadDecision:
    found = _surviving(ticket_id)
    if found is None:
        return ThreadDecision(None, "new", note=f" (#{ticket_id} named by {how} does not exist)")
    survivor, status = found
    note = f" (merged from #{ticket_id})" if survivor != ticket_id else ""
    if status == Status.CLOSED.value:
        return ThreadDecision(None, "new", linked_to=survivor, note=f" (#{survivor} is closed)")
    return ThreadDecision(survivor, how, note=note)


def decide(mail: ParsedMail, secret: str) -> ThreadDecision:
    """The thread a parsed message joins; never writes anything."""
    by_header = _by_headers(mail, secret)
    if by_header is not None:
        return _finish(by_header, "message-id")
    by_token = ids.ticket_from_token(mail.text, secret)
    if by_token is not None:
        return _finish(by_token, "token")
    tagged = mail.subject_ref
    if tagged is not None and mailbox.ticket_state(tagged) is not None:
        found = _surviving(tagged)
        candidates = {tagged, found[0]} if found else {tagged}
        if mail.from_email and any(mailbox.is_participant(t, mail.from_email) for t in candidates):
            return _finish(tagged, "subject")
        # a stranger quoting someone else's ticket: a new ticket that points at it
        return ThreadDecision(
            None, "new", linked_to=found[0] if found else tagged,
            note=f" ({mail.from_email or 'sender'} is not a participant of #{tagged})",
        )
    return ThreadDecision(None, "new")
