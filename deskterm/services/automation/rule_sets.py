"""Time rules fired on sets of tickets: conditions checked on one query per batch, actions
applied by a few statements per batch instead of one service call per ticket.

A rule's actions split in two: a leading part that needs the per-ticket services (a
round-robin pick, a queue move, a canned reply) and runs ticket by ticket exactly as
before, and a trailing part of set actions (close, status, priority, assign to a named
agent, tags, one note or notify) applied to every ticket that fired, through `bulk_sets`.
A leading part that is one written reply (`reply = { body = ... }`, with or without a
status) runs as a set too (`_replies`): placeholders filled from one query per batch,
entries, search index, events, SLA clocks and mail by `bulk_sets.add_replies`, in firing
order, so entry ids, texts and timestamps are those of the per-ticket path.
The result equals firing the rule ticket by ticket (a test compares every row of every
table); whatever could differ takes the per-ticket path instead (`rules.fire`):
- an enabled event rule listens to a change the set actions make;
- a set action that a closed ticket would refuse, a disabled agent, a note with no team
  or lead to notify;
- two notes in one rule (their entry ids would interleave differently).
The set reply keeps the per-ticket path (`tickets.reply`, in its place in the firing
order) for a ticket it would refuse or that is gone (closed, deleted, a reply left empty
by its placeholders: the service's own error is recorded), and for the whole leading part
when an event rule listens to replies or status changes, the reply is canned (it may add
tags) or its status is `postponed` (refused per ticket).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from deskterm import clock
from deskterm.domain import Contact, DomainError, Priority, Status, ref
from deskterm.services import canned, directory, tickets
from deskterm.services.automation.rules_file import Action, Condition, RuleSpec
from deskterm.services.finding import bulk_sets
from deskterm.store.db import backend, db, execute_many, write_transaction
from deskterm.store.models import Rule

#: Condition fields read from one batch query (the rest need the ticket's text or history).
_BATCH_FIELDS = {"queue", "priority", "status", "channel", "team", "assignee", "tag",
                 "requester", "organisation"}
_CHANGES = {"close": ("status",), "set": ("status", "priority"), "assign": ("assignee",)}


class Fallback(Exception):
    """The set path cannot give the per-ticket result here: fire ticket by ticket."""


def _set_action(action: Action) -> bool:
    params = action.params
    if action.kind in ("close", "add_tags", "remove_tags", "note", "notify"):
        return True
    if action.kind == "set":
        return set(params) <= {"status", "priority"} and params.get("status") != "postponed"
    if action.kind == "assign":
        return params.get("method") == "agent" and not params.get("team")
    return False


@dataclass(frozen=True)
class Plan:
    """How a rule fires on a set: per-ticket actions first, then set actions."""

    per_ticket: tuple[Action, ...]
    as_set: tuple[Action, ...]
    batch_conditions: bool


def plan(spec: RuleSpec) -> Plan | None:
    """The set plan for a time rule, or None when it must fire ticket by ticket."""
    actions = list(spec.actions)
    split = len(actions)
    while split and _set_action(actions[split - 1]):
        split -= 1
    as_set = tuple(actions[split:])
    if not as_set or sum(a.kind in ("note", "notify") for a in as_set) > 1:
        return None
    kinds = [k for a in as_set for k in _CHANGES.get(a.kind, ())]
    if bulk_sets.rules_listen_to(kinds):
        return None
    batch = all(c.field in _BATCH_FIELDS and c.op in ("in", "not_in") for c in spec.conditions)
    return Plan(tuple(actions[:split]), as_set, batch)


# --- conditions on a batch ---------------------------------------------------------------

_FACTS_SQL = (
    'SELECT t."id", q."slug", t."priority", t."status", t."channel", tm."slug", a."username", '
    'c."email", o."name" FROM "ticket" t JOIN "queue" q ON q."id" = t."queue_id" '
    'JOIN "contact" c ON c."id" = t."requester_id" '
    'LEFT JOIN "organisation" o ON o."id" = c."organisation_id" '
    'LEFT JOIN "team" tm ON tm."id" = t."team_id" LEFT JOIN "agent" a ON a."id" = t."assignee_id" '
    'WHERE t."id" IN ({marks})'
)
_NAMES = ("queue", "priority", "status", "channel", "team", "assignee", "requester",
          "organisation")


def _batch_facts(ids: Sequence[int]) -> dict[int, dict[str, tuple[str, ...]]]:
    """What `rules._Facts.values` gives per ticket, for many tickets in two queries."""
    facts: dict[int, dict[str, tuple[str, ...]]] = {}
    for start in range(0, len(ids), bulk_sets.BATCH):
        group = list(dict.fromkeys(ids[start : start + bulk_sets.BATCH]))
        marks = ",".join("?" * len(group))
        for row in db.execute_sql(_FACTS_SQL.format(marks=marks), group):
            queue, priority, status, channel, team, assignee, email, org = row[1:]
            values = (queue, priority, status, channel, team or "none", assignee or "none",
                      email, org or "")
            facts[row[0]] = {name: (value,) for name, value in zip(_NAMES, values, strict=True)}
            facts[row[0]]["tag"] = ()
        tags: dict[int, list[str]] = {}
        for ticket_id, name in db.execute_sql(
            f'SELECT ticket_id, name FROM "ticket_tag" WHERE ticket_id IN ({marks}) '
            "ORDER BY name", group
        ):
            tags.setdefault(ticket_id, []).append(name)
        for ticket_id, names in tags.items():
            facts[ticket_id]["tag"] = tuple(names)
    return facts


def _holds(cond: Condition, values: tuple[str, ...], match_value) -> bool:
    hit = any(match_value(cond.field, w, a) for w in cond.values for a in values)
    return hit if cond.op == "in" else not hit


def matching(spec: RuleSpec, candidates: list[tuple[int, str]], now: datetime,
             per_ticket: Callable[[RuleSpec, int, datetime], bool], match_value,
             batch: bool) -> list[tuple[int, str]]:
    """The candidates whose conditions hold (from batch facts when the conditions allow)."""
    if not spec.conditions:
        return candidates
    if not batch:
        return [c for c in candidates if per_ticket(spec, c[0], now)]
    facts = _batch_facts([t for t, _ in candidates])
    combine = any if spec.match == "any" else all
    return [
        (t, anchor) for t, anchor in candidates
        if t in facts and combine(_holds(c, facts[t][c.field], match_value)
                                  for c in spec.conditions)
    ]


# --- actions on a set ------------------------------------------------------------------------


def _rounds(fired: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Split candidates (in order) wherever a ticket comes again: each round holds a
    ticket once, and rounds run in order, so every ticket sees its firings in sequence."""
    rounds: list[list[tuple[int, str]]] = [[]]
    seen: set[int] = set()
    for item in fired:
        if item[0] in seen:
            rounds.append([])
            seen = set()
        rounds[-1].append(item)
        seen.add(item[0])
    return [r for r in rounds if r]


def _open_only(ids: Sequence[int]) -> None:
    """A field change on a closed ticket is refused per ticket: leave those to that path."""
    for start in range(0, len(ids), bulk_sets.BATCH):
        group = list(ids[start : start + bulk_sets.BATCH])
        marks = ",".join("?" * len(group))
        closed = db.execute_sql(
            f'SELECT 1 FROM "ticket" WHERE id IN ({marks}) AND status = ? LIMIT 1',
            (*group, Status.CLOSED.value),
        ).fetchone()
        if closed:
            raise Fallback("a closed ticket")


def _notes(action: Action, actor, ids: list[int], spec: RuleSpec,
           targets: Callable[[int, list[str]], list[str]]) -> list[tuple[int, str]]:
    if action.kind == "note":
        return [(t, action.params["body"]) for t in ids]
    notes = []
    subjects = _subjects(ids)
    for ticket_id in ids:
        try:
            names = targets(ticket_id, action.params["who"])
        except DomainError as error:  # no team to find a lead in: per ticket, as an error
            raise Fallback(str(error)) from None
        if names:
            mentions = " ".join(f"@{n}" for n in names)
            notes.append((ticket_id, f"{mentions} rule {spec.name!r}: please look at "
                                     f"#{ticket_id} ({subjects[ticket_id]})"))
    return notes


def _subjects(ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ids), bulk_sets.BATCH):
        group = list(ids[start : start + bulk_sets.BATCH])
        marks = ",".join("?" * len(group))
        found.update(db.execute_sql(
            f'SELECT id, subject FROM "ticket" WHERE id IN ({marks})', group).fetchall())
    return found


def _apply(action: Action, actor, ids: list[int], spec: RuleSpec, hooks: Hooks) -> None:
    params = action.params
    if action.kind == "close":  # a closed ticket stays as it is, as `rules._do` leaves it
        bulk_sets.apply(actor, ids, status=Status.CLOSED, keep=tickets.KEEP,
                        assignee=tickets.KEEP)
    elif action.kind == "set":
        _open_only(ids)
        bulk_sets.apply(
            actor, ids, keep=tickets.KEEP, assignee=tickets.KEEP,
            status=tickets.parse_status(params["status"]) if "status" in params else None,
            priority=Priority(params["priority"]) if "priority" in params else None,
        )
    elif action.kind == "assign":
        _open_only(ids)
        agent = directory.agent_row(params["agent"])
        if not agent.enabled:
            raise Fallback("a disabled agent")
        bulk_sets.apply(actor, ids, assignee=agent.username, keep=tickets.KEEP)
    elif action.kind in ("add_tags", "remove_tags"):
        names = tickets.clean_tags(params["tags"])
        if not names and action.kind == "add_tags":
            raise Fallback("no tag")
        bulk_sets.change_tags(actor, ids, **{action.kind.split("_")[0]: names})
    else:  # note, notify
        bulk_sets.add_notes(actor, _notes(action, actor, ids, spec, hooks.targets),
                            hooks.mentions)


@dataclass(frozen=True)
class Hooks:
    """What the set path borrows from `rules` (passed in: `rules` imports this module)."""

    actor: object
    do: Callable  # rules._do(action, actor, ticket_id, spec)
    targets: Callable[[int, list[str]], list[str]]  # rules._notify_targets
    mentions: Callable[[str], list[str]]  # usernames a note body mentions
    running: list[str]  # rules._running
    matches: Callable[[RuleSpec, int, datetime], bool]  # rules.matches, one ticket
    match_value: Callable[[str, str, str], bool]  # rules._match_value


def fire_set(row: Rule, spec: RuleSpec, chosen: Plan, candidates: list[tuple[int, str]],
             now: datetime, hooks: Hooks) -> tuple[int, str | None, bool]:
    """Fire the rule on the candidates (ticket, anchor) whose conditions hold, in order.
    Returns the firings, the last failure's message and whether it got through: a round
    that meets a case the set path cannot match (`Fallback`) is rolled back and the rest
    is left to `rules.fire`. Conditions are checked per round, just before it fires."""
    count, last_error = 0, None
    at = clock.to_db(now)
    for round_ in _rounds(candidates):
        group = matching(spec, round_, now, hooks.matches, hooks.match_value,
                         chosen.batch_conditions)
        if not group:
            continue
        try:
            with write_transaction(), backend().set_change(db):
                hooks.running.append(spec.name)
                try:
                    done, failed = _per_ticket(chosen.per_ticket, group, spec, hooks,
                                               closing=chosen.as_set[0].kind == "close")
                    # the firing records of the firings that held, in firing order
                    execute_many(
                        'INSERT OR IGNORE INTO "rule_hit" ("rule_id", "ticket_id", "anchor", '
                        '"at") VALUES (?, ?, ?, ?)',
                        [(row.id, t, anchor, at) for t, anchor in done],
                    )
                    ids = [t for t, _ in done]
                    for action in chosen.as_set:
                        _apply(action, hooks.actor, ids, spec, hooks)
                finally:
                    hooks.running.pop()
                last = failed.get(group[-1][0])  # what the last attempt left, as per ticket
                Rule.update(hit_count=Rule.hit_count + len(ids), last_run_at=at,
                            last_error=last).where(Rule.id == row.id).execute()
        except Fallback:
            return count, last_error, False
        if failed:
            last_error = list(failed.values())[-1]
        count += len(ids)
    return count, last_error, True


def _per_ticket(actions: Sequence[Action], group: list[tuple[int, str]], spec: RuleSpec,
                hooks: Hooks, *, closing: bool = False
                ) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """Run the leading per-ticket actions, each ticket in a savepoint; a ticket whose
    actions fail is rolled back and left out of the set actions, as `rules.fire` does.
    Returns the firings that held and the failures' messages by ticket. `closing`: the
    set actions begin with a close."""
    if not actions:
        return group, {}
    if _reply_as_set(actions):
        return _replies(actions[0], group, spec, hooks, closing)
    done, failed = [], {}
    for ticket_id, anchor in group:
        if _one_ticket(actions, ticket_id, spec, hooks, failed):
            done.append((ticket_id, anchor))
    return done, failed


def _one_ticket(actions: Sequence[Action], ticket_id: int, spec: RuleSpec, hooks: Hooks,
                failed: dict[int, str]) -> bool:
    """The actions on one ticket in a savepoint; False (and the message) if they failed."""
    try:
        with write_transaction():
            for action in actions:
                hooks.do(action, hooks.actor, ticket_id, spec)
    except DomainError as error:
        failed[ticket_id] = f"#{ticket_id}: {error}"
        return False
    return True


# --- a written reply on a set ------------------------------------------------------------


def _reply_as_set(actions: Sequence[Action]) -> bool:
    """Whether the leading actions are one written reply the set path gives exactly."""
    if len(actions) != 1 or actions[0].kind != "reply" or "body" not in actions[0].params:
        return False
    status = actions[0].params.get("status")
    if status and tickets.parse_status(status) is Status.POSTPONED:
        return False
    return not bulk_sets.rules_listen_to(["reply", "status"])


@dataclass(frozen=True)
class _ReplyTicket:
    """What `canned.placeholder_values` reads of a ticket (the rule's reply has no agent)."""

    id: int
    subject: str
    status: Status
    priority: Priority
    queue_name: str
    requester: Contact

    @property
    def ref(self) -> str:
        return ref(self.id)


_REPLY_FACTS_SQL = (
    'SELECT t."id", t."subject", t."status", t."priority", q."name", c."id", c."name", '
    'c."email", c."phone", o."name", c."contract_no" FROM "ticket" t '
    'JOIN "queue" q ON q."id" = t."queue_id" JOIN "contact" c ON c."id" = t."requester_id" '
    'LEFT JOIN "organisation" o ON o."id" = c."organisation_id" WHERE t."id" IN ({marks})'
)


def _reply_tickets(ids: Sequence[int]) -> dict[int, _ReplyTicket]:
    found: dict[int, _ReplyTicket] = {}
    for start in range(0, len(ids), bulk_sets.BATCH):
        group = list(ids[start : start + bulk_sets.BATCH])
        for row in db.execute_sql(_REPLY_FACTS_SQL.format(marks=",".join("?" * len(group))),
                                  group):
            found[row[0]] = _ReplyTicket(row[0], row[1], Status(row[2]), Priority(row[3]),
                                         row[4], Contact(*row[5:]))
    return found


def _replies(action: Action, group: list[tuple[int, str]], spec: RuleSpec, hooks: Hooks,
             closing: bool) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """`_per_ticket` for one written reply: runs of tickets replied to as sets, in firing
    order, and in between, ticket by ticket, those the service would refuse. A reply
    without a status that the rule's close follows closes its run's tickets with it (so
    each ticket's row is written once: `bulk_sets.add_replies`); the close then finds
    them closed and leaves them as they are."""
    status = action.params.get("status")
    then = tickets.parse_status(status) if status else (Status.CLOSED if closing else None)
    facts = _reply_tickets([t for t, _ in group])
    done: list[tuple[int, str]] = []
    failed: dict[int, str] = {}
    run: list[tuple[int, str, str]] = []

    def flush() -> None:
        if not run:
            return
        bulk_sets.add_replies(hooks.actor, [(t, body) for t, _, body in run], status=then)
        done.extend((t, anchor) for t, anchor, _ in run)
        run.clear()

    for ticket_id, anchor in group:
        ticket = facts.get(ticket_id)
        body = ""
        if ticket is not None and ticket.status is not Status.CLOSED:
            body = canned.fill(action.params["body"], canned.placeholder_values(ticket, None))
        if body.strip():
            run.append((ticket_id, anchor, body))
            continue
        flush()  # the service says why (closed, gone, empty), in its place in the order
        if _one_ticket((action,), ticket_id, spec, hooks, failed):
            done.append((ticket_id, anchor))
    flush()
    return done, failed
