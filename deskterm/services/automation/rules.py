"""Automation rules: when / if / then, loaded from a TOML file (see `rules_file`).

Event rules run from the signal listener inside the change's transaction; time rules
(`pending for 14d`, `sla due in 30m`, `sla breached`) run from `run_time_rules`, which
picks candidates in SQL and remembers each firing in `RuleHit` so it fires once per
episode. Every action goes through the ticket services as `Actor("rule", name)`, so the
audit trail names the rule. A rule never runs again inside the chain of changes it
caused itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from peewee import fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES, Actor, BadInput, DomainError, NotFound, Status
from deskterm.services import canned, directory, tickets
from deskterm.services.automation import rule_sets, sla
from deskterm.services.automation.business_time import always_open, is_open
from deskterm.services.automation.rules_file import (
    SIGNAL_TRIGGERS,
    Action,
    Condition,
    RuleSpec,
    describe_trigger,
    dump_rules,
    parse_rules,
    spec_from_json,
)
from deskterm.services.finding import listing
from deskterm.services.finding.query import parse_query
from deskterm.services.messaging import language
from deskterm.services.signals import Change
from deskterm.store.db import backend, db, exclusive_job, retry_when_busy, write_transaction
from deskterm.store.models import (
    Agent,
    CannedReply,
    Queue,
    Rule,
    RuleHit,
    Setting,
    SlaBreach,
    Team,
    TeamMember,
    Ticket,
    TicketTag,
)

#: Names of the rules whose actions are running right now (innermost last).
_running: list[str] = []
MAX_DEPTH = 8


@dataclass(frozen=True)
class RuleInfo:
    """A loaded rule as the faces list it."""

    name: str
    position: int
    enabled: bool
    when: str
    timed: bool
    description: str
    conditions: int
    actions: tuple[str, ...]
    last_run_at: datetime | None
    hit_count: int
    last_error: str | None


@dataclass(frozen=True)
class RunResult:
    """What `run_time_rules` did: firings per rule name, breaches recorded, failures."""

    fired: dict[str, int]
    breaches: int
    errors: dict[str, str]
    #: True when another process was running the time rules, so this run did nothing.
    skipped: bool = False

    @property
    def total(self) -> int:
        return sum(self.fired.values())


# --- loading ------------------------------------------------------------------------------


def check_references(specs: list[RuleSpec]) -> list[str]:
    """Names in the rules that this desk does not have (queues, teams, agents, canned)."""
    queues = {q.slug for q in Queue.select(Queue.slug)}
    teams = {t.slug for t in Team.select(Team.slug)}
    agents = {a.username for a in Agent.select(Agent.username)}
    titles = {c.title for c in CannedReply.select(CannedReply.title)}
    problems = []

    def need(kind: str, name: str, known: set[str], spec: RuleSpec) -> None:
        if name not in known:
            problems.append(f"line {spec.line}: rule {spec.name!r}: no {kind} named {name!r}")

    for spec in specs:
        for cond in spec.conditions:
            known = {"queue": queues, "team": teams, "assignee": agents | {"none", "me"}}
            if cond.field in known:
                for value in cond.values:
                    need(cond.field, value, known[cond.field], spec)
        for action in spec.actions:
            params = action.params
            if action.kind == "set":
                if "queue" in params:
                    need("queue", params["queue"], queues, spec)
                if "team" in params:
                    need("team", params["team"], teams, spec)
            elif action.kind == "assign":
                if params.get("agent"):
                    need("agent", params["agent"], agents, spec)
                if params.get("team"):
                    need("team", params["team"], teams, spec)
            elif action.kind == "reply" and "canned" in params:
                need("canned reply", params["canned"], titles, spec)
            elif action.kind == "notify":
                for who in params["who"]:
                    if who.startswith("lead:"):
                        need("team", who[5:], teams, spec)
                    elif who not in ("lead", "assignee"):
                        need("agent", who, agents, spec)
    return problems


@retry_when_busy
def load_rules(actor: Actor, specs: list[RuleSpec]) -> list[RuleInfo]:
    """Replace the desk's rules with `specs` in one transaction (hit counts survive by
    name; admins only). Each added, changed or removed rule is an audit event."""
    from deskterm.services.trust import access, audit

    problems = check_references(specs)
    if problems:
        raise BadInput("; ".join(problems))
    with write_transaction():
        access.check(actor, access.Action.MANAGE_RULES)
        keep = {r.name: r for r in Rule.select()}
        for name in sorted(set(keep) - {s.name for s in specs}):
            audit.record(None, actor, "rule.removed", f"rule:{name}", keep[name].definition, None)
        for spec in specs:
            old = keep[spec.name].definition if spec.name in keep else None
            if old != spec.to_json():
                action = "rule.added" if old is None else "rule.changed"
                audit.record(None, actor, action, f"rule:{spec.name}", old, spec.to_json())
        Rule.delete().where(Rule.name.not_in([s.name for s in specs])).execute()
        for position, spec in enumerate(specs):
            values = dict(
                position=position,
                enabled=spec.enabled,
                trigger=spec.trigger.kind,
                definition=spec.to_json(),
            )
            if spec.name in keep:
                Rule.update(**values).where(Rule.name == spec.name).execute()
            else:
                Rule.create(name=spec.name, **values)
    return list_rules()


def load_rules_file(actor: Actor, path: Path | str) -> list[RuleInfo]:
    """Validate a TOML rules file and make it the desk's rules (nothing changes on error)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no such rules file: {path}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    return load_rules(actor, parse_rules(text, source=str(path)))


@lru_cache(maxsize=256)
def _parsed(definition: str) -> RuleSpec:
    return spec_from_json(definition)


def _spec(row: Rule) -> RuleSpec:
    return _parsed(row.definition)


def _info(row: Rule) -> RuleInfo:
    spec = _spec(row)
    return RuleInfo(
        name=row.name,
        position=row.position,
        enabled=row.enabled,
        when=describe_trigger(spec.trigger),
        timed=spec.trigger.timed,
        description=spec.description,
        conditions=len(spec.conditions),
        actions=tuple(a.kind for a in spec.actions),
        last_run_at=clock.to_utc(row.last_run_at) if row.last_run_at else None,
        hit_count=row.hit_count,
        last_error=row.last_error,
    )


def list_rules() -> list[RuleInfo]:
    """Every rule in evaluation order."""
    return [_info(r) for r in Rule.select().order_by(Rule.position, Rule.id)]


def _rule_row(name: str) -> Rule:
    row = Rule.get_or_none(Rule.name == name)
    if row is None:
        raise NotFound(f"no rule named {name!r}")
    return row


@retry_when_busy
def set_enabled(actor: Actor, name: str, enabled: bool) -> RuleInfo:
    """Switch a rule on or off (admins only)."""
    from deskterm.services.trust import access, audit

    with write_transaction():
        access.check(actor, access.Action.MANAGE_RULES)
        row = _rule_row(name)
        if row.enabled != enabled:
            audit.record(None, actor, "rule.enabled", f"rule:{name}", row.enabled, enabled)
        spec = replace(_spec(row), enabled=enabled)
        Rule.update(enabled=enabled, definition=spec.to_json()).where(Rule.id == row.id).execute()
    return _info(_rule_row(name))


@retry_when_busy
def move_rule(actor: Actor, name: str, delta: int) -> list[RuleInfo]:
    """Move a rule up (negative) or down in the evaluation order (admins only)."""
    from deskterm.services.trust import access, audit

    with write_transaction():
        access.check(actor, access.Action.MANAGE_RULES)
        rows = list(Rule.select().order_by(Rule.position, Rule.id))
        index = next((i for i, r in enumerate(rows) if r.name == name), None)
        if index is None:
            raise NotFound(f"no rule named {name!r}")
        target = max(0, min(len(rows) - 1, index + delta))
        if target != index:
            audit.record(None, actor, "rule.moved", f"rule:{name}", index + 1, target + 1)
        rows.insert(target, rows.pop(index))
        for position, row in enumerate(rows):
            Rule.update(position=position).where(Rule.id == row.id).execute()
    return list_rules()


def export_rules() -> str:
    """The desk's rules as a TOML file (for editing and re-applying)."""
    return dump_rules([_spec(r) for r in Rule.select().order_by(Rule.position, Rule.id)])


# --- conditions -----------------------------------------------------------------------------


# prepared text, not the ORM: every rule condition of every change asks these
_LANGUAGE_SQL = 'SELECT "language" FROM "ticket" WHERE "id" = ?'
_QUEUE_TEAM_SQL = 'SELECT "queue_id", "team_id" FROM "ticket" WHERE "id" = ?'
_STATUS_SQL = 'SELECT "status" FROM "ticket" WHERE "id" = ?'
_VERSION_SQL = 'SELECT "version" FROM "ticket" WHERE "id" = ?'
_SET_VERSION_SQL = 'UPDATE "ticket" SET "version" = ? WHERE "id" = ?'


class _Facts:
    """What conditions look at, read lazily from one ticket."""

    def __init__(self, ticket_id: int, now: datetime):
        self.ticket = tickets.get_ticket(ticket_id)
        self.now = now
        self._language: str | None | bool = False

    def values(self, name: str) -> tuple[str, ...]:
        t = self.ticket
        simple = {
            "queue": t.queue,
            "priority": t.priority.value,
            "status": t.status.value,
            "channel": t.channel,
            "team": t.team or "none",
            "assignee": t.assignee or "none",
            "organisation": t.requester.organisation or "",
            "requester": t.requester.email,
        }
        if name == "tag":
            return t.tags
        if name == "language":
            return (self.language or "",)
        return (simple[name],)

    def text(self, name: str) -> str:
        if name == "subject":
            return self.ticket.subject
        customer = [e for e in self.ticket.entries if e.kind.value == "customer"]
        body = customer[-1].body if customer else ""
        return body if name == "body" else f"{self.ticket.subject}\n{body}"

    def stored_language(self) -> str | None:
        return db.execute_sql(_LANGUAGE_SQL, (self.ticket.id,)).fetchone()[0]

    def queue_and_team(self) -> tuple[int, int | None]:
        queue_id, team_id = db.execute_sql(_QUEUE_TEAM_SQL, (self.ticket.id,)).fetchone()
        return queue_id, team_id

    @property
    def language(self) -> str | None:
        if self._language is False:
            self._language = self.stored_language() or language.detect(self.text("text"))
        return self._language  # type: ignore[return-value]


@dataclass(frozen=True)
class Prospect:
    """A ticket as a change will leave it, before anything is written: what the batched
    mail import asks `may_fire` about (the fields `_Facts` reads from a written ticket)."""

    queue: str
    queue_id: int
    team: str | None
    team_id: int | None
    status: str
    priority: str
    channel: str
    assignee: str | None
    tags: tuple[str, ...]
    requester: str
    organisation: str
    subject: str
    body: str  # the last customer message's entry text
    language: str | None  # the ticket's stored language


class _ProspectFacts(_Facts):
    """`_Facts` over a `Prospect` (nothing read from the database)."""

    def __init__(self, prospect: Prospect, now: datetime):
        self.prospect = prospect
        self.now = now
        self._language = False

    def values(self, name: str) -> tuple[str, ...]:
        p = self.prospect
        if name == "tag":
            return p.tags
        if name == "language":
            return (self.language or "",)
        simple = {"queue": p.queue, "priority": p.priority, "status": p.status,
                  "channel": p.channel, "team": p.team or "none",
                  "assignee": p.assignee or "none", "organisation": p.organisation or "",
                  "requester": p.requester}
        return (simple[name],)

    def text(self, name: str) -> str:
        p = self.prospect
        if name == "subject":
            return p.subject
        return p.body if name == "body" else f"{p.subject}\n{p.body}"

    def stored_language(self) -> str | None:
        return self.prospect.language

    def queue_and_team(self) -> tuple[int, int | None]:
        return self.prospect.queue_id, self.prospect.team_id


def _match_value(name: str, wanted: str, actual: str) -> bool:
    if name == "requester":
        wanted = wanted.lower()
        return actual == wanted or (wanted.startswith("@") and actual.endswith(wanted))
    if name == "language":
        return language.same_language(actual or None, wanted)
    return actual.lower() == wanted.lower()


def _holds(cond: Condition, facts: _Facts) -> bool:
    if cond.op in ("in", "not_in"):
        if cond.field == "language" and facts.language is None:
            return False  # too little text to tell: neither "is" nor "is not" holds
        actual = facts.values(cond.field)
        hit = any(_match_value(cond.field, w, a) for w in cond.values for a in actual)
        return hit if cond.op == "in" else not hit
    if cond.op in ("contains", "not_contains"):
        text = facts.text(cond.field).casefold()
        hit = any(v.casefold() in text for v in cond.values)
        return hit if cond.op == "contains" else not hit
    if cond.op in ("matches", "not_matches"):
        text = facts.text(cond.field)
        hit = any(re.search(v, text) for v in cond.values)
        return hit if cond.op == "matches" else not hit
    if cond.op == "is":  # business_hours
        policy = sla.policy_for_queue(*facts.queue_and_team())
        cal = policy.calendar if policy else always_open()
        return is_open(cal, facts.now) == (cond.values[0] == "true")
    if cond.op == "query":
        query = replace(parse_query(cond.values[0]), ticket_id=facts.ticket.id)
        return listing.count_tickets(query) > 0
    raise AssertionError(f"unknown condition operator {cond.op}")


def matches(spec: RuleSpec, ticket_id: int, now: datetime | None = None) -> bool:
    """Whether the rule's conditions hold for the ticket now."""
    if not spec.conditions:
        return True
    return _hold(spec, _Facts(ticket_id, now or clock.now()))


def _hold(spec: RuleSpec, facts: _Facts) -> bool:
    results = (_holds(c, facts) for c in spec.conditions)
    return any(results) if spec.match == "any" else all(results)


# --- actions --------------------------------------------------------------------------------


def _team_of(ticket_id: int, team: str | None) -> str:
    if team:
        return team
    row = Ticket.get_by_id(ticket_id)
    if row.team_id:
        return row.team.slug
    if row.queue.team_id:
        return row.queue.team.slug
    raise BadInput(f'#{ticket_id} has no team to pick an agent from; give team = "..."')


def _available(team: str) -> list[str]:
    members = [a.username for a in directory.team_members(team, active_only=True)]
    if not members:
        raise BadInput(f"team {team!r} has no available agents")
    return members


def pick_round_robin(team: str) -> str:
    """The next available agent of the team after the one picked last time."""
    members = _available(team)
    key = f"rules.round_robin.{team}"
    last = Setting.get_or_none(Setting.key == key)
    after = [m for m in members if last is None or m > last.value]
    chosen = (after or members)[0]
    Setting.upsert(key=key, value=chosen)
    return chosen


def pick_least_loaded(team: str) -> str:
    """The available agent of the team with the fewest active tickets (ties by name)."""
    members = _available(team)
    active = [s.value for s in ACTIVE_STATUSES]
    loads = dict(
        Ticket.select(Agent.username, fn.COUNT(Ticket.id))
        .join(Agent, on=(Ticket.assignee == Agent.id))
        .where(Ticket.status.in_(active) & Agent.username.in_(members))
        .group_by(Agent.username)
        .tuples()
    )
    return min(members, key=lambda m: (loads.get(m, 0), m))


def _notify_targets(ticket_id: int, who: list[str]) -> list[str]:
    row = Ticket.get_by_id(ticket_id)
    names: list[str] = []
    for item in who:
        if item == "assignee":
            if row.assignee_id:
                names.append(row.assignee.username)
        elif item == "lead" or item.startswith("lead:"):
            team = item[5:] if item.startswith("lead:") else _team_of(ticket_id, None)
            lead = (
                TeamMember.select()
                .join(Team)
                .where((Team.slug == team) & (TeamMember.is_lead == True))  # noqa: E712
                .first()
            )
            if lead is not None:
                names.append(lead.agent.username)
        else:
            names.append(item)
    return list(dict.fromkeys(names))


def _do(action: Action, actor: Actor, ticket_id: int, spec: RuleSpec) -> None:
    params = action.params
    if action.kind == "set":
        if "priority" in params:
            tickets.set_priority(actor, ticket_id, params["priority"])
        if "queue" in params:
            tickets.set_queue(actor, ticket_id, params["queue"])
        if "team" in params:
            current = tickets.get_ticket(ticket_id).assignee
            tickets.assign(actor, ticket_id, current, team=params["team"])
        if "status" in params:
            tickets.set_status(actor, ticket_id, params["status"])
    elif action.kind == "assign":
        method = params["method"]
        if method == "agent":
            tickets.assign(actor, ticket_id, params["agent"], team=params.get("team"))
        else:
            team = _team_of(ticket_id, params.get("team"))
            pick = pick_round_robin if method == "round-robin" else pick_least_loaded
            tickets.assign(actor, ticket_id, pick(team), team=params.get("team"))
    elif action.kind == "add_tags":
        tickets.add_tags(actor, ticket_id, params["tags"])
    elif action.kind == "remove_tags":
        tickets.remove_tags(actor, ticket_id, params["tags"])
    elif action.kind == "note":
        tickets.add_note(actor, ticket_id, params["body"])
    elif action.kind == "reply":
        if "canned" in params:
            canned.send_canned(actor, ticket_id, params["canned"])
        else:
            values = canned.placeholder_values(tickets.get_ticket(ticket_id), None)
            tickets.reply(actor, ticket_id, canned.fill(params["body"], values))
        if params.get("status"):
            tickets.set_status(actor, ticket_id, params["status"])
    elif action.kind == "notify":
        names = _notify_targets(ticket_id, params["who"])
        if names:
            mentions = " ".join(f"@{n}" for n in names)
            subject = tickets.get_ticket(ticket_id).subject
            tickets.add_note(
                actor,
                ticket_id,
                f"{mentions} rule {spec.name!r}: please look at #{ticket_id} ({subject})",
            )
    elif action.kind == "close":
        if tickets.get_ticket(ticket_id).status is not Status.CLOSED:
            tickets.set_status(actor, ticket_id, Status.CLOSED)


def _claim_hit(row: Rule, ticket_id: int, anchor: str, now: datetime) -> bool:
    """Record the firing first (insert-or-skip on its unique key): of two processes racing
    for one episode exactly one gets it, and the record commits only with the actions."""
    inserted = (
        RuleHit.insert(rule=row.id, ticket=ticket_id, anchor=anchor, at=clock.to_db(now))
        .on_conflict_ignore()
        .as_rowcount()
        .execute()
    )
    return bool(inserted)


def fire(
    row: Rule, spec: RuleSpec, ticket_id: int, now: datetime, anchor: str | None = None
) -> bool:
    """Run the rule's actions on one ticket (all or nothing); False when an action failed."""
    actor = Actor("rule", spec.name)
    try:
        with write_transaction():
            if anchor is not None and not _claim_hit(row, ticket_id, anchor, now):
                return False  # another process fired it for this episode already
            _running.append(spec.name)
            try:
                for action in spec.actions:
                    _do(action, actor, ticket_id, spec)
            finally:
                _running.pop()
            Rule.update(
                hit_count=Rule.hit_count + 1, last_run_at=clock.to_db(now), last_error=None
            ).where(Rule.id == row.id).execute()
    except DomainError as error:
        Rule.update(last_error=f"#{ticket_id}: {error}", last_run_at=clock.to_db(now)).where(
            Rule.id == row.id
        ).execute()
        return False
    return True


_ENABLED_SQL = (
    'SELECT * FROM "rule" WHERE "enabled" = 1 AND "trigger" IN ({marks}) '
    'ORDER BY "position", "id"'
)


def _enabled_rules(kinds: tuple[str, ...]) -> list[tuple[Rule, RuleSpec]]:
    # prepared text, not the ORM: every change of every ticket asks this
    rows = Rule.raw(_ENABLED_SQL.format(marks=",".join("?" * len(kinds))), *kinds)
    return [(r, _spec(r)) for r in rows]


def event_rules(triggers: tuple[str, ...]) -> list[tuple[Rule, RuleSpec]]:
    """The enabled rules that fire on these triggers (`created`, ...), in order."""
    return _enabled_rules(triggers)


def may_fire(kind: str, prospect: Prospect, actor: Actor,
             candidates: list[tuple[Rule, RuleSpec]] | None = None,
             now: datetime | None = None) -> bool:
    """Whether `on_change` would fire a rule for a change of this kind that leaves the
    ticket as `prospect` (`candidates`: `event_rules` read once by the caller). A rule
    with a `query` condition, which only SQL can answer, may always fire."""
    trigger = SIGNAL_TRIGGERS.get(kind)
    if trigger is None or len(_running) >= MAX_DEPTH or prospect.status == Status.CLOSED.value:
        return False
    rows = _enabled_rules((trigger,)) if candidates is None else candidates
    facts = _ProspectFacts(prospect, now or clock.now())
    for _row, spec in rows:
        if spec.trigger.kind != trigger or spec.name in _running or (
                actor.kind == "rule" and spec.name == actor.name):
            continue
        if not spec.conditions or any(c.op == "query" for c in spec.conditions):
            return True
        if _hold(spec, facts):
            return True
    return False


def on_change(change: Change) -> None:
    """Signal listener: run the enabled event rules that this change triggers.

    Runs inside the service's transaction. The service that emitted the change already
    bumped the ticket's version and may bump it again with the row it holds, so after
    rule actions the version is put back: the caller's change and the rule's changes
    become one version step, and nobody else can have seen the steps between.
    """
    trigger = SIGNAL_TRIGGERS.get(change.kind)
    if trigger is None or len(_running) >= MAX_DEPTH:
        return
    candidates = [
        (row, spec) for row, spec in _enabled_rules((trigger,)) if spec.name not in _running
    ]
    if change.actor.kind == "rule":
        candidates = [(r, s) for r, s in candidates if s.name != change.actor.name]
    if not candidates:
        return
    version = db.execute_sql(_VERSION_SQL, (change.ticket_id,)).fetchone()[0]
    now = clock.now()
    for row, spec in candidates:
        if _still_open(change.ticket_id) and matches(spec, change.ticket_id, now):
            fire(row, spec, change.ticket_id, now)
    db.execute_sql(_SET_VERSION_SQL, (version, change.ticket_id))


def _still_open(ticket_id: int) -> bool:
    row = db.execute_sql(_STATUS_SQL, (ticket_id,)).fetchone()
    return row is None or row[0] != Status.CLOSED.value


# --- time rules -----------------------------------------------------------------------------

_PUSHDOWN = {
    "queue": Queue.slug,
    "priority": Ticket.priority,
    "status": Ticket.status,
    "channel": Ticket.channel,
}


def _sql_filters(spec: RuleSpec, select):
    """Push simple `all` conditions into SQL so only likely candidates reach Python."""
    if spec.match != "all":
        return select
    for cond in spec.conditions:
        if cond.op not in ("in", "not_in"):
            continue
        if cond.field in _PUSHDOWN:
            expr = _PUSHDOWN[cond.field].in_(list(cond.values))
        elif cond.field == "tag":
            expr = Ticket.id.in_(
                TicketTag.select(TicketTag.ticket).where(TicketTag.name.in_(list(cond.values)))
            )
        else:
            continue
        select = select.where(expr if cond.op == "in" else ~expr)
    return select


def _unfired(row: Rule, anchor):
    return ~fn.EXISTS(
        RuleHit.select(RuleHit.id).where(
            (RuleHit.rule == row.id) & (RuleHit.ticket == Ticket.id) & (RuleHit.anchor == anchor)
        )
    )


def time_candidates(row: Rule, spec: RuleSpec, now: datetime) -> list[tuple[int, str]]:
    """(ticket id, anchor) pairs a time rule may fire on now, chosen in SQL, by ticket and
    anchor (the firing order: without it an engine may return rows in the order earlier
    updates left them, and entries would get their ids in another order)."""
    trig = spec.trigger
    at = clock.to_db(now)
    if trig.kind == "status_for":
        anchor = Ticket.status_changed_at.cast("TEXT")
        select = (
            Ticket.select(Ticket.id, anchor)
            .join(Queue, on=(Ticket.queue == Queue.id))
            .where(
                (Ticket.status == trig.status)
                & (Ticket.status_changed_at <= clock.to_db(now - trig.span))
                & _unfired(row, anchor)
            )
        )
        return _pairs(_sql_filters(spec, select).order_by(Ticket.id, anchor))
    active = Ticket.status.in_([s.value for s in ACTIVE_STATUSES])
    if trig.kind == "sla_due":
        found: list[tuple[int, str]] = []
        columns = []
        if trig.target in (None, "first_response", "next_response"):
            columns.append(Ticket.first_response_due)
        if trig.target in (None, "resolution"):
            columns.append(Ticket.resolution_due)
        for column in columns:
            select = (
                Ticket.select(Ticket.id, column.cast("TEXT"))
                .join(Queue, on=(Ticket.queue == Queue.id))
                .where(
                    active
                    & (column > at)
                    & (column <= clock.to_db(now + trig.span))
                    & _unfired(row, column.cast("TEXT"))
                )
            )
            found += _pairs(_sql_filters(spec, select).order_by(Ticket.id, column))
        return found
    targets = [trig.target] if trig.target else list(sla.TARGETS)
    anchor = SlaBreach.target.concat("@").concat(SlaBreach.due_at.cast("TEXT"))
    select = (
        Ticket.select(Ticket.id, anchor)
        .join(Queue, on=(Ticket.queue == Queue.id))
        .switch(Ticket)
        .join(SlaBreach, on=(SlaBreach.ticket == Ticket.id))
        # a breach due later is not one yet (a catch-up run as of an earlier moment)
        .where(active & SlaBreach.target.in_(targets) & (SlaBreach.due_at <= at)
               & _unfired(row, anchor))
    )
    return _pairs(_sql_filters(spec, select).order_by(Ticket.id, anchor))


def _pairs(select) -> list[tuple[int, str]]:
    """(ticket id, anchor text) rows straight from the cursor (a first run's tens of
    thousands of candidates through the ORM's row wrapper cost more than the query)."""
    sql, params = select.sql()
    return [(i, str(a)) for i, a in db.execute_sql(sql, params)]


def run_time_rules(
    now: datetime | None = None, *, sweep_sla: bool = True, per_ticket: bool = False
) -> RunResult:
    """Evaluate every enabled time rule once (for cron and the console's timer).

    Records SLA breaches first (so `sla breached` rules see them), wakes snoozed tickets,
    then fires each rule at most once per ticket and episode: on sets of tickets where
    `rule_sets` can (`per_ticket` forces the one-ticket-at-a-time reference path).
    """
    now = now or clock.now()
    with exclusive_job("time-rules") as mine:
        if not mine:  # another process (or host) is running them right now
            return RunResult({}, 0, {}, skipped=True)
        with backend().one_checkpoint(db):
            return _run_time_rules(now, sweep_sla, per_ticket)


def _fire_as_set(row: Rule, spec: RuleSpec, now: datetime) -> tuple[int, str | None, bool]:
    """Fire a time rule on its candidates as a set where `rule_sets` can: (firings, last
    failure, whether every candidate was handled; if not, the rest go ticket by ticket)."""
    chosen = rule_sets.plan(spec)
    if chosen is None:
        return 0, None, False
    hooks = rule_sets.Hooks(Actor("rule", spec.name), _do, _notify_targets,
                            tickets.MENTION.findall, _running, matches, _match_value)
    return rule_sets.fire_set(row, spec, chosen, time_candidates(row, spec, now), now, hooks)


def _run_time_rules(now: datetime, sweep_sla: bool, per_ticket: bool) -> RunResult:
    with clock.frozen_at(now):
        breaches = sla.sweep(now) if sweep_sla else 0
        tickets.wake_snoozed()
        fired: dict[str, int] = {}
        errors: dict[str, str] = {}
        for row, spec in _enabled_rules(("status_for", "sla_due", "sla_breached")):
            count, error, finished = (0, None, False) if per_ticket else _fire_as_set(
                row, spec, now)
            if error is not None:
                errors[spec.name] = error
            # what the set path left (all of it when it did not run)
            candidates = [] if finished else time_candidates(row, spec, now)
            for ticket_id, anchor in candidates:
                if matches(spec, ticket_id, now):
                    if fire(row, spec, ticket_id, now, anchor):
                        count += 1
                    else:
                        errors[spec.name] = Rule.get_by_id(row.id).last_error or ""
            Rule.update(last_run_at=clock.to_db(now)).where(Rule.id == row.id).execute()
            fired[spec.name] = count
    return RunResult(fired, breaches, errors)
