"""Why a bulk action leaves a ticket as it is: `closed`, `already pending`, `no such ticket`.

`bulk.bulk_set` asks here for the dry run (what would be skipped) and after the real run
(what was), so both say the same: "6 of 8 changed; #12 closed, #14 already pending".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deskterm.domain import Actor, BulkSkip, Priority, Status, TicketRow
from deskterm.store.models import Ticket

#: Rows read per query when explaining many tickets.
_CHUNK = 500


@dataclass(frozen=True)
class Changes:
    """What a bulk action sets (parsed values; None: left alone)."""

    status: Status | None = None
    priority: Priority | None = None
    queue: str | None = None
    assignee: str | None = None
    unassign: bool = False
    team: str | None = None
    tags_add: tuple[str, ...] = ()
    tags_remove: tuple[str, ...] = ()


def named(skips: Sequence[BulkSkip], limit: int | None = None) -> str:
    """`#12 closed, #14 already pending` (the CLI's and the console's summary), the first
    `limit` of them then `and 3 more`."""
    shown = skips if limit is None else skips[:limit]
    text = ", ".join(f"{s.ref} {s.reason}" for s in shown)
    return text + (f" and {len(skips) - len(shown)} more" if len(skips) > len(shown) else "")


def already(row: TicketRow, changes: Changes) -> str | None:
    """`already pending, high` when every change asked for is already so on `row`;
    None when the action would change something."""
    parts: list[str] = []
    checks: list[tuple[bool, bool, str]] = [
        (changes.status is not None, row.status is changes.status,
         changes.status.label if changes.status else ""),
        (changes.priority is not None, row.priority is changes.priority,
         changes.priority.value if changes.priority else ""),
        (changes.queue is not None, row.queue == changes.queue, f"in {changes.queue}"),
        (changes.unassign, row.assignee is None, "unassigned"),
        (changes.assignee is not None and not changes.unassign,
         row.assignee == changes.assignee, f"assigned to {changes.assignee}"),
        (changes.team is not None, row.team == changes.team, f"in team {changes.team}"),
        (bool(changes.tags_add), set(changes.tags_add) <= set(row.tags),
         "tagged " + ", ".join(changes.tags_add)),
        (bool(changes.tags_remove), not set(changes.tags_remove) & set(row.tags),
         "without " + ", ".join(changes.tags_remove)),
    ]
    for asked, same, text in checks:
        if not asked:
            continue
        if not same:
            return None
        parts.append(text)
    return "already " + ", ".join(parts) if parts else "nothing to change"


def unchanged(ticket_ids: Iterable[int], changes: Changes) -> dict[int, str]:
    """Of `ticket_ids`, those the changes leave as they are, with why."""
    from deskterm.services.finding import listing

    ids = list(ticket_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in listing.rows_for(ids[start : start + _CHUNK]):
            reason = already(row, changes)
            if reason is not None:
                found[row.id] = reason
    return found


def not_matched(
    given: Sequence[int], matched: Iterable[int], actor: Actor | None
) -> dict[int, str]:
    """Refs given on the command line that the action will not touch, with why: `closed`,
    `no such ticket` (also one `actor` may not read), or `not matched by the filter`."""
    from deskterm.services.trust import access

    chosen = set(matched)
    left = [i for i in dict.fromkeys(given) if i not in chosen]
    if not left:
        return {}
    select = Ticket.select(Ticket.id, Ticket.status).where(Ticket.id.in_(left))
    scope = access.ticket_scope(actor) if actor is not None else None
    if scope is not None:
        select = select.where(scope)
    statuses = {row.id: row.status for row in select}
    return {
        i: "no such ticket" if i not in statuses
        else "closed" if statuses[i] == Status.CLOSED.value
        else "not matched by the filter"
        for i in left
    }


def skips(*reasons: dict[int, str]) -> tuple[BulkSkip, ...]:
    """The reasons as BulkSkips, in ref order."""
    merged: dict[int, str] = {}
    for found in reasons:
        merged.update(found)
    return tuple(BulkSkip(i, merged[i]) for i in sorted(merged))
