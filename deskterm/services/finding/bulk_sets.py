"""Set-based changes: a few statements per batch of tickets instead of N service calls.

Used by bulk actions (`apply`) and by time rules (`services.automation.rule_sets`: `apply`,
`change_tags`, `add_notes`, `add_replies`).

For a batch, the before-values are read in one query, the rows change in one UPDATE, the
audit events are one INSERT ... SELECT, and the listeners run on the set: SLA clocks stop
as a set on close/resolve (only tickets with a clock already past due get the full
recomputation), other clock moves are recomputed in batches, and the customer mail of the
status changes is queued as a set by `notification_sets` (SMS, caps and folds as the
mail listener decides them ticket by ticket, in the per-ticket order), as intents the
sender writes out (`outbox_render`: language, threading, text).
Event rules that listen to the change keep the per-ticket path (`supports` says so), so
the result is identical row for row (a test compares both paths on the same desk).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from deskterm import clock
from deskterm.domain import Actor, Priority, Role, Status
from deskterm.services import directory, signals
from deskterm.services.automation import sla
from deskterm.services.automation.rules_file import SIGNAL_TRIGGERS
from deskterm.services.messaging import notification_sets
from deskterm.services.trust import access, audit
from deskterm.store import search
from deskterm.store.db import backend, db, execute_many
from deskterm.store.models import Agent, Rule

#: Tickets per batch: one IN list per statement.
BATCH = 2_000
_STOPPED = (Status.RESOLVED, Status.CLOSED)


def _placeholders(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _may_work_every_ticket(actor: Actor) -> bool:
    """The desk itself and enabled admins may change any ticket; anyone else is checked
    ticket by ticket on the per-ticket path."""
    if actor.is_internal:
        return True
    if actor.is_customer or not actor.agent_id:
        return False
    who = access.principal(actor)
    return who.enabled and who.role is Role.ADMIN


def supports(actor: Actor, *, status: Status | None, priority: Priority | None,
             assignee: object, queue: str | None, team: str | None, tags: bool) -> bool:
    """Whether the set path gives the same result as the per-ticket one for this change."""
    if queue is not None or team is not None or tags or status is Status.POSTPONED:
        return False
    if not _may_work_every_ticket(actor):
        return False
    kinds = [k for k, on in (("status", status), ("priority", priority),
                             ("assignee", assignee is not None)) if on]
    return not rules_listen_to(kinds)


def rules_listen_to(kinds: Sequence[str]) -> bool:
    """Whether an enabled event rule is triggered by changes of these kinds (such a rule
    runs ticket by ticket, so the change must take the per-ticket path)."""
    triggers = {SIGNAL_TRIGGERS[k] for k in kinds if k in SIGNAL_TRIGGERS}
    if not triggers:
        return False
    listening = Rule.select().where(
        (Rule.enabled == True) & Rule.trigger.in_(sorted(triggers))  # noqa: E712
    )
    return listening.exists()


_EVENT_SQL = (
    'INSERT INTO "event" ("ticket_id", "actor", "at", "action", "field", "before", "after", '
    '"via") SELECT t.id, ?, ?, ?, ?, {before}, ?, ? FROM "ticket" t {join} '
    "WHERE t.id IN ({ids}) AND {changed} ORDER BY t.id"
)


def _events(ids, actor: Actor, at: datetime, field: str, before: str, after, changed: str,
            params: tuple = (), join: str = "") -> None:
    """One INSERT ... SELECT: an audit event per ticket whose `field` changes."""
    sql = _EVENT_SQL.format(before=before, join=join, ids=_placeholders(ids), changed=changed)
    db.execute_sql(sql, (actor.label, at, field, field, after, actor.via, *ids, *params))


def apply(
    actor: Actor,
    ids: Sequence[int],
    *,
    status: Status | None = None,
    priority: Priority | None = None,
    assignee: str | None | object = None,
    keep: object = None,
    replied: Replied | None = None,
) -> list[int]:
    """Change the open tickets `ids` (inside the caller's transaction); return those changed.

    `assignee` is a username, None to unassign, or `keep` to leave it. `replied`: replies'
    row changes held back (`add_replies`), written with this change's on the tickets it
    changes.
    """
    changed: list[int] = []
    with backend().set_change(db):
        for start in range(0, len(ids), BATCH):
            changed += _batch(actor, list(ids[start : start + BATCH]), status, priority,
                              assignee, keep, replied)
    return changed


def _batch(actor, ids, status, priority, assignee, keep, replied=None) -> list[int]:
    now = clock.now()
    at = clock.to_db(now)
    live = not signals.is_muted()
    # closing or resolving stops every clock: in the same UPDATE, except where it can
    # record a breach (those get the SLA listener's full recomputation): read with the
    # before-values
    stops = live and status in _STOPPED
    before = _before(ids, now if stops else None)
    new_agent = None
    if assignee is not keep and assignee is not None:
        new_agent = directory.agent_row(assignee).id
    steps: dict[int, int] = {}
    prio_changed = [i for i in ids if priority is not None and before[i][1] != priority.value]
    agent_changed = [i for i in ids if assignee is not keep and before[i][2] != new_agent]
    status_changed = [i for i in ids if status is not None and before[i][0] != status.value]
    for group in (prio_changed, agent_changed, status_changed):
        for i in group:
            steps[i] = steps.get(i, 0) + 1
    if not steps:
        return []
    for i in steps.keys() & (replied.ids if replied else set()):
        steps[i] += 1  # the reply's own version step, written with this one
    if prio_changed:
        _events(prio_changed, actor, at, "priority", "t.priority", priority.value,
                "t.priority != ?", (priority.value,))
    if agent_changed:
        after_name = assignee if new_agent is not None else None
        _events(agent_changed, actor, at, "assignee", "a.username", after_name, "1 = 1",
                join='LEFT JOIN "agent" a ON a.id = t.assignee_id')
    if status_changed:
        _events(status_changed, actor, at, "status", "t.status", status.value, "1 = 1")
    overdue = None
    if stops and not prio_changed:
        overdue = sorted(i for i in status_changed if before[i][3])
    _update_rows(steps, at, status, priority, new_agent, assignee is not keep, live, overdue,
                 replied)
    if live:
        _listeners(actor, now, status, status_changed, prio_changed, before, overdue)
    return sorted(steps)


def _update_rows(steps, at, status, priority, new_agent, set_agent, live, overdue,
                 replied=None) -> None:
    """One UPDATE per distinct version step (1, 2 or 3 fields changed); `live`: the SLA
    listener's status time is set too, as the per-ticket path's listener would; `overdue`
    (a list): the status stops the clocks, due columns cleared but on these tickets;
    `replied`: these tickets' held-back reply also sets their first response time."""
    by_step: dict[tuple[int, bool], list[int]] = {}
    for ticket_id, step in steps.items():
        by_step.setdefault((step, replied is not None and ticket_id in replied.ids),
                           []).append(ticket_id)
    for (step, was_replied), group in by_step.items():
        sets, params = ['"version" = "version" + ?', '"updated_at" = ?'], [step, at]
        if was_replied:
            sets.append('"first_response_at" = COALESCE("first_response_at", ?)')
            params.append(replied.at)
        if priority is not None:
            sets += ['"priority" = ?', '"priority_rank" = ?']
            params += [priority.value, priority.rank]
        if set_agent:
            sets.append('"assignee_id" = ?')
            params.append(new_agent)
        if status is not None:
            sets.append('"status" = ?')
            params.append(status.value)
            if live:
                sets.append(
                    '"status_changed_at" = CASE WHEN "status" != ? THEN ? '
                    'ELSE "status_changed_at" END'
                )
                params += [status.value, at]
            if status is Status.RESOLVED:
                sets.append('"resolved_at" = CASE WHEN "status" != ? THEN ? ELSE "resolved_at" END')
                params += [status.value, at]
            if status is Status.CLOSED:
                sets += [
                    '"closed_at" = CASE WHEN "status" != ? THEN ? ELSE "closed_at" END',
                    '"resolved_at" = CASE WHEN "status" != ? THEN COALESCE("resolved_at", ?) '
                    'ELSE "resolved_at" END',
                ]
                params += [status.value, at, status.value, at]
            sets.append(
                '"snoozed_until" = CASE WHEN "status" = \'postponed\' AND "status" != ? '
                'THEN NULL ELSE "snoozed_until" END'
            )
            params.append(status.value)
            if overdue is not None:
                kept = f' AND id NOT IN ({_placeholders(overdue)})' if overdue else ""
                for column in ("first_response_due", "next_response_due", "resolution_due"):
                    sets.append(f'"{column}" = CASE WHEN "status" != ?{kept} THEN NULL '
                                f'ELSE "{column}" END')
                    params += [status.value, *overdue]
        db.execute_sql(
            f'{backend().update_many} "ticket" SET {", ".join(sets)} '
            f"WHERE id IN ({_placeholders(group)})",
            (*params, *group),
        )


def _listeners(actor, now, status, status_changed, prio_changed, before, overdue) -> None:
    """What the SLA and mail listeners do for these changes, on the set (clocks stopped
    by the UPDATE already but on the `overdue` tickets, when not None)."""
    moved = sorted(set(prio_changed) | set(status_changed))
    if overdue is not None:
        moved = overdue
    if moved:
        sla.sync_tickets(moved, now)
    if status is not None:  # the mail listener's work, on the set in the same order
        notification_sets.status_mails(
            actor, [(t, Status(before[t][0])) for t in status_changed], status, write=False)


_UNLOGGED = (
    '({col} <= ? AND NOT EXISTS (SELECT 1 FROM "sla_breach" b WHERE b."ticket_id" = t.id '
    'AND b."target" IN ({targets}) AND b."due_at" = {col}))'
)
#: A ticket (`t`) with a clock past due (two parameters: now, now) whose breach is not
#: logged yet: the columns hold every running clock's due time, the log every breach
#: of the clocks that stopped, so only such a ticket can gain a breach by a change now.
_CAN_GAIN_BREACH = "({} OR {})".format(
    _UNLOGGED.format(col='t."first_response_due"', targets="'first_response', 'next_response'"),
    _UNLOGGED.format(col='t."resolution_due"', targets="'resolution'"),
)


def _before(ids: Sequence[int], now: datetime | None) -> dict[int, tuple]:
    """{ticket: (status, priority, assignee id, can gain a breach)} of the tickets `ids`.

    The last is whether a change at `now` (None: not asked, False) can give the ticket a
    breach: a clock past due whose breach is not logged yet. Closing or resolving stops
    every other ticket's clocks by clearing the due columns; these get the full
    recomputation, as on the per-ticket path."""
    flag, params = "0", ()
    if now is not None:
        limit = clock.to_db(now)
        flag, params = f"CASE WHEN {_CAN_GAIN_BREACH} THEN 1 ELSE 0 END", (limit, limit)
    sql = (f'SELECT t.id, t.status, t.priority, t.assignee_id, {flag} FROM "ticket" t '
           f"WHERE t.id IN ({_placeholders(ids)})")
    return {row[0]: row[1:] for row in db.execute_sql(sql, (*params, *ids))}


# --- tags and notes as sets (time rules) --------------------------------------------------

def _bump(ids: Sequence[int], at: datetime) -> None:
    """Version + 1 and updated_at for each ticket, as one service call's change does."""
    for start in range(0, len(ids), BATCH):
        group = list(ids[start : start + BATCH])
        db.execute_sql(
            f'{backend().update_many} "ticket" SET "version" = "version" + 1, "updated_at" = ? '
            f"WHERE id IN ({_placeholders(group)})",
            (at, *group),
        )


def change_tags(actor: Actor, ids: Sequence[int], *, add: Sequence[str] = (),
                remove: Sequence[str] = ()) -> list[int]:
    """Add and remove tags on these tickets (inside the caller's transaction), with the
    event per changed ticket `tickets.add_tags` writes; return the tickets changed."""
    at = clock.to_db(clock.now())
    changed: list[int] = []
    for start in range(0, len(ids), BATCH):
        group = list(ids[start : start + BATCH])
        before: dict[int, set[str]] = {i: set() for i in group}
        for ticket_id, name in db.execute_sql(
            f'SELECT ticket_id, name FROM "ticket_tag" WHERE ticket_id IN ({_placeholders(group)})',
            group,
        ):
            before[ticket_id].add(name)
        inserts, deletes, events = [], [], []
        for ticket_id in group:
            old = before[ticket_id]
            new = (old | set(add)) - set(remove)
            if new == old:
                continue
            changed.append(ticket_id)
            inserts += [(ticket_id, name) for name in sorted(new - old)]
            deletes += [(ticket_id, name) for name in sorted(old - new)]
            events.append((ticket_id, actor.label, at, "tags", "tags", audit.text(sorted(old)),
                           audit.text(sorted(new)), actor.via))
        execute_many('INSERT INTO "ticket_tag" ("ticket_id", "name") VALUES (?, ?)', inserts)
        execute_many('DELETE FROM "ticket_tag" WHERE "ticket_id" = ? AND "name" = ?', deletes)
        execute_many(audit.EVENT_SQL, events)
    _bump(changed, at)
    return changed


_NEW_ENTRIES_SQL = (
    'SELECT "id", "ticket_id" FROM "entry" WHERE "id" > ? AND "kind" = ? AND '
    '"author" = ? AND "created_at" = ? AND "ticket_id" IN ({marks})'
)


def _insert_entries(actor: Actor, kind: str, group: Sequence[tuple[int, str]],
                    at: datetime) -> dict[int, int]:
    """Entries of `kind` by an actor without an agent row, one per ticket, in this order
    (ids as one insert per ticket gives them), indexed for search: {ticket: entry id}."""
    (last,) = db.execute_sql('SELECT COALESCE(MAX("id"), 0) FROM "entry"').fetchone()
    execute_many(
        'INSERT INTO "entry" ("ticket_id", "kind", "agent_id", "contact_id", "author", '
        '"body", "created_at", "message_id") VALUES (?, ?, NULL, NULL, ?, ?, ?, NULL)',
        [(ticket_id, kind, actor.name, body, at) for ticket_id, body in group],
    )
    ids = [t for t, _ in group]
    entry_of = {
        ticket_id: entry_id
        for entry_id, ticket_id in db.execute_sql(
            _NEW_ENTRIES_SQL.format(marks=_placeholders(ids)), (last, kind, actor.name, at, *ids)
        )
    }
    search.index_entries([(t, entry_of[t], body) for t, body in group])
    return entry_of


def add_notes(actor: Actor, notes: Sequence[tuple[int, str]], mention) -> list[int]:
    """Internal notes by an actor without an agent row (a rule), at most one per ticket,
    as `tickets.add_note` writes them: entry, search index, @mentions, event, version.
    `mention` finds the usernames a body mentions. Returns the new entry ids."""
    if len({t for t, _ in notes}) != len(notes):
        raise ValueError("add_notes takes one note per ticket")
    at = clock.to_db(clock.now())
    agents = dict(Agent.select(Agent.username, Agent.id).tuples())
    made: list[int] = []
    for start in range(0, len(notes), BATCH):
        group = list(notes[start : start + BATCH])
        entry_of = _insert_entries(actor, "note", group, at)
        execute_many(
            'INSERT INTO "mention" ("entry_id", "agent_id", "seen") VALUES (?, ?, ?)',
            [(entry_of[t], agents[name], False) for t, body in group
             for name in dict.fromkeys(mention(body)) if name in agents],
        )
        execute_many(audit.EVENT_SQL, [(t, actor.label, at, "note", None, None, str(entry_of[t]),
                                       actor.via) for t, _ in group])
        made += [entry_of[t] for t, _ in group]
    _bump([t for t, _ in notes], at)
    return made


_KEEP = object()


@dataclass(frozen=True)
class Replied:
    """Tickets replied to at `at` whose row change of the reply (version + 1, update time,
    first response time) is held back for the status change that follows to write."""

    at: datetime | str
    ids: frozenset[int]


def add_replies(actor: Actor, replies: Sequence[tuple[int, str]], *,
                status: Status | None = None) -> list[int]:
    """Public replies by an actor without an agent row (a rule) to open tickets, at most
    one per ticket, as `tickets.reply` writes them: entry, search index, first response
    time, event, version; then what the listeners do, on the set: SLA clocks, the reply
    mail and SMS (`notification_sets`); then a new ticket is opened. The caller makes
    sure no event rule listens to replies or status changes. Returns the new entry ids.

    With `status`, each batch's tickets then change to it as `apply` changes them, and a
    ticket whose reply no listener reads back (no SLA recomputation, not new) has its row
    written once, by the status change: on PostgreSQL a row written twice in one
    transaction costs a new version in every index and its foreign keys checked again."""
    if len({t for t, _ in replies}) != len(replies):
        raise ValueError("add_replies takes one reply per ticket")
    now = clock.now()
    at = clock.to_db(now)
    live = not signals.is_muted()
    made: list[int] = []
    for start in range(0, len(replies), BATCH):
        group = list(replies[start : start + BATCH])
        ids = [t for t, _ in group]
        entry_of = _insert_entries(actor, "reply", group, at)
        execute_many(audit.EVENT_SQL, [(t, actor.label, at, "reply", None, None,
                                        str(entry_of[t]), actor.via) for t in ids])
        recompute = _reply_clocks(ids, at) if live else []
        new = [row[0] for row in db.execute_sql(
            f'SELECT id FROM "ticket" WHERE id IN ({_placeholders(ids)}) AND status = ? '
            "ORDER BY id", (*ids, Status.NEW.value))]
        held = frozenset(ids) - set(recompute) - set(new) if status is not None else frozenset()
        _mark_replied([t for t in ids if t not in held], at)
        if live:
            sla.sync_tickets(recompute, now)
            notification_sets.reply_mails([(t, entry_of[t]) for t in ids], write=False)
        apply(actor, new, status=Status.OPEN, assignee=_KEEP, keep=_KEEP)
        if status is not None:
            changed = apply(actor, ids, status=status, assignee=_KEEP, keep=_KEEP,
                            replied=Replied(at, held))
            _mark_replied(sorted(held - set(changed)), at)
        made += [entry_of[t] for t in ids]
    return made


def _mark_replied(ids: Sequence[int], at: datetime | str) -> None:
    """What a public reply changes on its ticket's row: version, update and first
    response time."""
    if ids:
        db.execute_sql(
            f'{backend().update_many} "ticket" SET "version" = "version" + 1, '
            '"updated_at" = ?, "first_response_at" = COALESCE("first_response_at", ?) '
            f"WHERE id IN ({_placeholders(ids)})",
            (at, at, *ids),
        )


_ANSWERED_SQL = (
    f'SELECT t.id FROM "ticket" t WHERE t.id IN ({{marks}}) AND NOT COALESCE('
    f'{_CAN_GAIN_BREACH}, 1 = 0) AND EXISTS (SELECT 1 FROM "entry" e WHERE '
    'e."ticket_id" = t.id AND e."kind" = \'reply\' AND e."created_at" < ?)'
)


def _reply_clocks(ids: Sequence[int], at: datetime) -> list[int]:
    """What a public reply at `at` does to these tickets' SLA clocks, on the set; returns
    the tickets that need the full recomputation (`sla.sync_tickets`), in order.

    A ticket answered before, with no clock past due and unlogged, only has its running
    response clock (a next response: the first stopped at the first reply) stopped in
    time by this reply: no breach, the resolution clock as it was (a reply is no status
    change), no response due any more. Those get the two response columns cleared here;
    every other ticket (a first reply, a clock past due) is recomputed in full.
    """
    sql = _ANSWERED_SQL.format(marks=_placeholders(ids))
    answered = {row[0] for row in db.execute_sql(sql, (*ids, at, at, at))}
    if answered:
        group = sorted(answered)
        db.execute_sql(
            f'{backend().update_many} "ticket" SET "first_response_due" = NULL, '
            '"next_response_due" = NULL '
            f'WHERE id IN ({_placeholders(group)}) AND ("first_response_due" IS NOT NULL OR '
            '"next_response_due" IS NOT NULL)',
            group,
        )
    return [i for i in ids if i not in answered]
