"""Collision at send time: what landed on a ticket after an agent started writing."""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.domain import EntryKind, ThreadEntry
from deskterm.services import tickets


@dataclass(frozen=True)
class Landed:
    """Entries someone else added since the agent started composing, and the fresh version."""

    entries: tuple[ThreadEntry, ...]
    version: int


def landed_since(ticket_id: int, last_seen_entry_id: int, me: tuple[str, ...]) -> Landed:
    """Customer messages, replies and notes newer than `last_seen_entry_id` written by
    someone whose name is not in `me` (the agent's username and name); system lines do
    not count. Oldest first."""
    detail = tickets.get_ticket(ticket_id)
    entries = tuple(
        e
        for e in detail.entries
        if e.id > last_seen_entry_id and e.kind is not EntryKind.SYSTEM and e.author not in me
    )
    return Landed(entries, detail.version)
