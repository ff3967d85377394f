"""Bulk actions over a filter: all or nothing, in one transaction, with a dry run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from deskterm.domain import Actor, BadInput, BulkResult, Status
from deskterm.services import directory, tickets
from deskterm.services.finding import bulk_sets, bulk_skips, listing
from deskterm.services.finding.query import Condition, TicketQuery
from deskterm.services.trust import access
from deskterm.store import stats
from deskterm.store.db import db, retry_when_busy, write_transaction


def select_ids(
    query: TicketQuery | str | None,
    *,
    me: str | None = None,
    ids: Sequence[int] | None = None,
    actor: Actor | None = None,
) -> list[int]:
    """The open tickets a bulk action would touch: the filter (read as `actor` means it:
    their `me`, their time zone), narrowed to `ids` if given, of those `actor` may read.

    Closed tickets never match: closed is final.
    """
    parsed = query if isinstance(query, TicketQuery) else listing.parse_for(query, actor, me=me)
    parsed = parsed.with_conditions(Condition("status", "in", (Status.CLOSED.value,), negate=True))
    if ids is not None:
        parsed = parsed.with_conditions(Condition("id", "in", tuple(str(i) for i in ids)))
    return listing.ticket_ids(parsed, actor=actor)


@retry_when_busy
def bulk_set(
    actor: Actor,
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    ids: Sequence[int] | None = None,
    status: str | None = None,
    priority: str | None = None,
    queue: str | None = None,
    assignee: str | None = None,
    unassign: bool = False,
    team: str | None = None,
    tags_add: Iterable[str] = (),
    tags_remove: Iterable[str] = (),
    dry_run: bool = False,
    per_ticket: bool = False,
    explain: bool = True,
) -> BulkResult:
    """Apply field changes to every matching ticket, all in one transaction.

    Closed tickets are left as they are (closed is final). A failure on any ticket rolls
    back the whole batch. With `dry_run` nothing is written. Status, priority and
    assignee changes run set-based (`bulk_sets`) unless an event rule listens to them;
    `per_ticket` forces the one-service-call-per-ticket path (the reference it must equal).
    Over the desk's bulk limit only admins may (`access.check`, also for the dry run: it
    promises only what the real run will do); each ticket is checked as the single change
    would be. The result names the tickets left as they were and why (`skipped`); a dry
    run says which would be, unless `explain` is off (a count is all that is needed).
    """
    target_status = tickets.parse_status(status) if status else None
    if target_status is Status.POSTPONED:
        raise BadInput("postponed needs a wake time: snooze each ticket with `ticket snooze`")
    target_priority = tickets.parse_priority(priority) if priority else None
    add, remove = tickets.clean_tags(tags_add), tickets.clean_tags(tags_remove)
    who = None if unassign else (assignee if assignee else tickets.KEEP)
    # Names are checked before the dry run returns: it must refuse what the real run would.
    if assignee and not unassign:
        directory.agent_row(assignee)
    if queue:
        directory.queue_row(queue)
    if team:
        directory.team_row(team)
    matched = select_ids(query, me=me, ids=ids, actor=actor)
    access.check(actor, access.Action.BULK, len(matched))
    asked = bulk_skips.Changes(
        status=target_status, priority=target_priority, queue=queue,
        assignee=assignee if assignee and not unassign else None, unassign=unassign,
        team=team, tags_add=tuple(add), tags_remove=tuple(remove),
    )
    left_out = bulk_skips.not_matched(ids, matched, actor) if ids is not None else {}
    if dry_run:
        for ticket_id in matched:
            access.check(actor, access.Action.TICKET_WORK, ticket_id)
        return BulkResult(
            matched=len(matched), changed=0, dry_run=True, ticket_ids=tuple(matched),
            skipped=bulk_skips.skips(
                left_out, bulk_skips.unchanged(matched, asked) if explain else {}
            ),
        )
    if not per_ticket and bulk_sets.supports(
        actor,
        status=target_status,
        priority=target_priority,
        assignee=None if who is tickets.KEEP else True,
        queue=queue,
        team=team,
        tags=bool(add or remove),
    ):
        with write_transaction():
            changed = bulk_sets.apply(
                actor, matched, status=target_status, priority=target_priority,
                assignee=who, keep=tickets.KEEP,
            )
        stats.after_bulk(db, len(changed))
        return _result(matched, changed, left_out, asked)
    changed = []
    with write_transaction():
        for ticket_id in matched:
            if tickets.update_fields(
                actor,
                ticket_id,
                status=target_status,
                priority=target_priority,
                queue=queue,
                assignee=who,
                team=team,
                tags_add=add,
                tags_remove=remove,
            ):
                changed.append(ticket_id)
    return _result(matched, changed, left_out, asked)


def _result(
    matched: list[int], changed: list[int], left_out: dict[int, str], asked: bulk_skips.Changes
) -> BulkResult:
    """The result of a real run: what changed, and why the rest did not."""
    done = set(changed)
    kept = [i for i in matched if i not in done]
    reasons = bulk_skips.unchanged(kept, asked)
    return BulkResult(
        matched=len(matched), changed=len(changed), dry_run=False, ticket_ids=tuple(changed),
        skipped=bulk_skips.skips(left_out, {i: reasons.get(i, "unchanged") for i in kept}),
    )


def bulk_close(
    actor: Actor,
    query: TicketQuery | str | None = None,
    *,
    me: str | None = None,
    ids: Sequence[int] | None = None,
    dry_run: bool = False,
) -> BulkResult:
    """Close every matching ticket in one transaction."""
    return bulk_set(actor, query, me=me, ids=ids, status=Status.CLOSED.value, dry_run=dry_run)
