"""SLA clocks: first response, next response and resolution, computed from history.

`compute_clocks` is a pure function of a policy, the ticket's creation time and its
history (status changes, customer messages, public replies), so live columns, the sweep
and reports all get the same figures. The listener keeps `Ticket.first_response_due`
(the reply currently owed: first or next response), `next_response_due`,
`resolution_due` (NULL while paused or stopped) and `sla_breached` (any target ever
missed) up to date; every missed target is logged once in `SlaBreach` and as an event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peewee import JOIN, fn

from deskterm import clock
from deskterm.domain import (
    ACTIVE_STATUSES,
    PAUSED_STATUSES,
    Actor,
    BadInput,
    NotFound,
    Priority,
    Status,
)
from deskterm.services.automation.business_time import (
    Calendar,
    add_business,
    always_open,
    business_between,
    calendar_from_json,
    is_open,
    make_calendar,
)
from deskterm.services.automation.sla_clock import STOPPED as _STOPPED
from deskterm.services.automation.sla_clock import (  # noqa: F401 - re-exported
    WARN_WITHIN,
    describe_clock,
)
from deskterm.services.signals import Change
from deskterm.services.trust import access, audit
from deskterm.store.db import db, execute_many, retry_when_busy, write_transaction
from deskterm.store.models import (
    BusinessCalendar,
    Event,
    Queue,
    SlaBreach,
    SlaPolicy,
    Team,
    Ticket,
)

TARGETS = ("first_response", "next_response", "resolution")
SLA_ACTOR = Actor.system("sla")
_PAUSED = tuple(s.value for s in PAUSED_STATUSES)
_CLOCK_KINDS = {"created", "customer_message", "reply", "status", "priority", "queue", "merged"}


# --- policies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A promise: `minutes` of business (or calendar) time; `outside_minutes` of calendar
    time instead when the clock starts outside business hours (the "24 hours otherwise")."""

    minutes: int
    business: bool = True
    outside_minutes: int | None = None

    def plan(self, cal: Calendar, start: datetime) -> tuple[Calendar | None, timedelta]:
        """(calendar to count on, or None for wall time; amount) for a clock starting at `start`."""
        if self.outside_minutes is not None and not is_open(cal, start):
            return None, timedelta(minutes=self.outside_minutes)
        return (cal if self.business else None), timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Policy:
    name: str
    calendar: Calendar
    targets: dict[str, dict[str, Target]] = field(default_factory=dict)

    def target(self, priority: str, which: str) -> Target | None:
        return self.targets.get(priority, self.targets.get("default", {})).get(which)


def parse_targets(text: str | dict) -> dict[str, dict[str, Target]]:
    """Validate policy targets JSON: `{"normal": {"first_response": {"minutes": 60, ...}}}`."""
    data = json.loads(text) if isinstance(text, str) else text
    if not isinstance(data, dict):
        raise BadInput("SLA targets must be a table per priority")
    result: dict[str, dict[str, Target]] = {}
    priorities = {p.value for p in Priority} | {"default"}
    for prio, per in data.items():
        if prio not in priorities or not isinstance(per, dict):
            raise BadInput(f"SLA targets: bad priority {prio!r} (expected {sorted(priorities)})")
        result[prio] = {}
        for which, spec in per.items():
            if which not in TARGETS:
                raise BadInput(f"SLA targets: bad target {which!r} (expected {', '.join(TARGETS)})")
            try:
                target = Target(
                    int(spec["minutes"]),
                    bool(spec.get("business", True)),
                    None if spec.get("outside_minutes") is None else int(spec["outside_minutes"]),
                )
            except (KeyError, TypeError, ValueError):
                raise BadInput(f"SLA targets: {prio}.{which} needs minutes = <number>") from None
            if target.minutes <= 0 or (target.outside_minutes or 1) <= 0:
                raise BadInput(f"SLA targets: {prio}.{which} must be positive")
            result[prio][which] = target
    return result


def _targets_json(targets: dict[str, dict[str, Target]]) -> str:
    out = {
        prio: {
            which: {k: v for k, v in vars(t).items() if v is not None} for which, t in per.items()
        }
        for prio, per in targets.items()
    }
    return json.dumps(out)


def _calendar(row: BusinessCalendar | None) -> Calendar | None:
    if row is None:
        return None
    return calendar_from_json(row.name, row.timezone, row.hours, row.holidays)


#: Policies are read often (every clock sync) and change rarely: cache them briefly.
#: Changes made in this process clear the cache at once; other processes see them
#: within POLICY_CACHE_SECONDS.
POLICY_CACHE_SECONDS = 30.0
_policy_cache: dict[tuple[str, int, int | None], tuple[float, Policy | None]] = {}


def clear_policy_cache() -> None:
    _policy_cache.clear()


def policy_for_queue(queue_id: int, team_id: int | None = None) -> Policy | None:
    """The queue's SLA policy, counted on the policy's calendar, else the team's, else 24/7."""
    key = (str(db.database), queue_id, team_id)
    cached = _policy_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < POLICY_CACHE_SECONDS:
        return cached[1]
    policy = _load_policy(queue_id, team_id)
    _policy_cache[key] = (time.monotonic(), policy)
    return policy


def _load_policy(queue_id: int, team_id: int | None) -> Policy | None:
    queue = Queue.get_or_none(Queue.id == queue_id)
    if queue is None or queue.sla_policy_id is None:
        return None
    row = SlaPolicy.get_by_id(queue.sla_policy_id)
    cal = _calendar(row.calendar) if row.calendar_id else None
    if cal is None and (team_id or queue.team_id):
        team = Team.get_or_none(Team.id == (team_id or queue.team_id))
        cal = _calendar(team.calendar) if team and team.calendar_id else None
    return Policy(row.name, cal or always_open(), parse_targets(row.targets))


@retry_when_busy
def save_calendar(
    actor: Actor, name: str, timezone: str, hours: dict, holidays: Sequence[str] = ()
) -> Calendar:
    """Create or replace a business calendar (validated first; admins only)."""
    cal = make_calendar(name, timezone, hours, holidays)
    clear_policy_cache()
    with write_transaction():
        access.check(actor, access.Action.MANAGE_SLA)
        values = dict(
            timezone=timezone, hours=json.dumps(hours), holidays=json.dumps(list(holidays))
        )
        row = BusinessCalendar.get_or_none(BusinessCalendar.name == name)
        after = f"timezone={timezone} hours={values['hours']} holidays={values['holidays']}"
        before = None
        if row is None:
            BusinessCalendar.create(name=name, **values)
        else:
            before = f"timezone={row.timezone} hours={row.hours} holidays={row.holidays}"
            BusinessCalendar.update(**values).where(BusinessCalendar.id == row.id).execute()
        if before != after:
            audit.record(None, actor, "sla.calendar", f"calendar:{name}", before, after)
    return cal


@retry_when_busy
def save_policy(actor: Actor, name: str, targets: dict, calendar: str | None = None) -> None:
    """Create or replace an SLA policy; `calendar` names a saved calendar (admins only)."""
    parsed = parse_targets(targets)
    clear_policy_cache()
    with write_transaction():
        access.check(actor, access.Action.MANAGE_SLA)
        cal_row = None
        if calendar:
            cal_row = BusinessCalendar.get_or_none(BusinessCalendar.name == calendar)
            if cal_row is None:
                raise NotFound(f"no business calendar named {calendar!r}")
        row = SlaPolicy.get_or_none(SlaPolicy.name == name)
        values = dict(calendar=cal_row, targets=_targets_json(parsed))
        after = f"calendar={calendar or '-'} targets={values['targets']}"
        before = None
        if row is None:
            SlaPolicy.create(name=name, **values)
        else:
            cal_name = row.calendar.name if row.calendar_id else "-"
            before = f"calendar={cal_name} targets={row.targets}"
            SlaPolicy.update(**values).where(SlaPolicy.id == row.id).execute()
        if before != after:
            audit.record(None, actor, "sla.policy", f"policy:{name}", before, after)


@retry_when_busy
def set_queue_policy(actor: Actor, queue_slug: str, policy: str | None) -> None:
    """Give a queue an SLA policy (None removes it) and recompute its open tickets
    (admins only)."""
    clear_policy_cache()
    with write_transaction():
        access.check(actor, access.Action.MANAGE_SLA)
        queue = Queue.get_or_none(Queue.slug == queue_slug)
        if queue is None:
            raise NotFound(f"no queue named {queue_slug!r}")
        row = None
        if policy:
            row = SlaPolicy.get_or_none(SlaPolicy.name == policy)
            if row is None:
                raise NotFound(f"no SLA policy named {policy!r}")
        old = queue.sla_policy.name if queue.sla_policy_id else None
        Queue.update(sla_policy=row).where(Queue.id == queue.id).execute()
        if old != policy:
            audit.record(None, actor, "sla.queue_policy", f"queue:{queue_slug}", old, policy)
        ids = [t.id for t in Ticket.select(Ticket.id).where(Ticket.queue == queue.id)]
        sync_tickets(ids)


def _minutes(business: int, outside: int | None = None) -> dict:
    spec: dict = {"minutes": business, "business": True}
    if outside is not None:
        spec["outside_minutes"] = outside
    return spec


DEFAULT_HOURS = {d: [["08:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
DEFAULT_HOLIDAYS = [
    "RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1,2",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1",
    "RRULE:FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1,2",
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=25",
]
#: "An answer within 1 hour on workdays 8:00 to 19:00, within 24 hours otherwise."
DEFAULT_TARGETS = {
    "low": {
        "first_response": _minutes(8 * 60),
        "next_response": _minutes(8 * 60),
        "resolution": _minutes(5 * 11 * 60),
    },
    "normal": {
        "first_response": _minutes(60, 24 * 60),
        "next_response": _minutes(4 * 60),
        "resolution": _minutes(3 * 11 * 60),
    },
    "high": {
        "first_response": _minutes(60, 8 * 60),
        "next_response": _minutes(2 * 60),
        "resolution": _minutes(11 * 60),
    },
    "urgent": {
        "first_response": _minutes(30, 2 * 60),
        "next_response": _minutes(60),
        "resolution": _minutes(4 * 60),
    },
}


@retry_when_busy
def install_default_policies(actor: Actor, timezone: str = "Europe/Sarajevo") -> list[str]:
    """Create the "Workdays 8-19" calendar and "Standard" policy and give it to every
    queue that has none; return the slugs of the queues that got it (admins only)."""
    with write_transaction():
        save_calendar(actor, "Workdays 8-19", timezone, DEFAULT_HOURS, DEFAULT_HOLIDAYS)
        save_policy(actor, "Standard", DEFAULT_TARGETS, "Workdays 8-19")
        policy = SlaPolicy.get(SlaPolicy.name == "Standard")
        clear_policy_cache()
        queues = list(Queue.select().where(Queue.sla_policy.is_null()))
        for queue in queues:
            Queue.update(sla_policy=policy).where(Queue.id == queue.id).execute()
            audit.record(None, actor, "sla.queue_policy", f"queue:{queue.slug}", None, "Standard")
        ids = [
            t.id for t in Ticket.select(Ticket.id).where(Ticket.queue.in_([q.id for q in queues]))
        ]
        sync_tickets(ids)
    return [q.slug for q in queues]


# --- the clocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Happening:
    """One point of a ticket's history that moves a clock."""

    at: datetime
    kind: str  # "status" | "customer" | "reply"
    status: str | None = None


@dataclass(frozen=True)
class Clock:
    """One SLA clock at `now`: its due time (None while paused or stopped), the time left
    (negative when overdue; counted in the target's own time), and whether it was missed."""

    target: str
    started_at: datetime
    amount: timedelta
    due_at: datetime | None
    remaining: timedelta
    breached: bool
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    paused: bool = False

    @property
    def running(self) -> bool:
        return self.stopped_at is None and not self.paused

    @property
    def state(self) -> str:
        if self.stopped_at is not None:
            return "missed" if self.breached else "met"
        if self.paused:
            return "paused"
        return "breached" if self.breached else "running"


@dataclass(frozen=True)
class SlaClocks:
    policy: str | None
    first_response: Clock | None = None
    next_response: Clock | None = None
    resolution: Clock | None = None
    breaches: tuple[Clock, ...] = ()

    @property
    def breached(self) -> bool:
        return bool(self.breaches)

    @property
    def reply_due(self) -> datetime | None:
        """The reply owed now (first or next response), if any."""
        for clock_ in (self.first_response, self.next_response):
            if clock_ is not None and clock_.running:
                return clock_.due_at
        return None

    @property
    def clocks(self) -> tuple[Clock, ...]:
        return tuple(c for c in (self.first_response, self.next_response, self.resolution) if c)


def _between(cal: Calendar | None, a: datetime, b: datetime) -> timedelta:
    return business_between(cal, a, b) if cal is not None else b - a


def _add(cal: Calendar | None, start: datetime, amount: timedelta) -> datetime:
    return add_business(cal, start, amount) if cal is not None else start + amount


def _response_clock(
    which: str,
    target: Target,
    policy: Policy,
    start: datetime,
    stop: datetime | None,
    now: datetime,
) -> Clock:
    cal, amount = target.plan(policy.calendar, start)
    due = _add(cal, start, amount)
    end = stop if stop is not None else now
    breached = end > due
    return Clock(
        target=which,
        started_at=start,
        amount=amount,
        due_at=due,
        remaining=_between(cal, end, due) if end <= due else -_between(cal, due, end),
        breached=breached,
        breached_at=due if breached else None,
        stopped_at=stop,
    )


def _response_clocks(
    policy: Policy, priority: str, created: datetime, history: Sequence[Happening], now: datetime
) -> tuple[Clock | None, Clock | None, list[Clock]]:
    first_target = policy.target(priority, "first_response")
    next_target = policy.target(priority, "next_response")
    first_reply = next((h.at for h in history if h.kind == "reply"), None)
    first_stop = first_reply
    if first_stop is None:
        first_stop = next(
            (h.at for h in history if h.kind == "status" and h.status in _STOPPED), None
        )
    first = (
        _response_clock("first_response", first_target, policy, created, first_stop, now)
        if first_target
        else None
    )
    cycles: list[Clock] = []
    if next_target is not None and first_reply is not None:
        waiting: datetime | None = None
        for h in history:
            if h.at <= first_reply and h.kind != "reply":
                continue
            if h.kind == "customer" and waiting is None:
                waiting = h.at
            elif waiting is not None and (
                h.kind == "reply" or (h.kind == "status" and h.status in _STOPPED)
            ):
                cycles.append(
                    _response_clock("next_response", next_target, policy, waiting, h.at, now)
                )
                waiting = None
        if waiting is not None:
            cycles.append(_response_clock("next_response", next_target, policy, waiting, None, now))
    return first, (cycles[-1] if cycles else None), [c for c in cycles if c.breached]


def _resolution_clock(
    target: Target, policy: Policy, created: datetime, history: Sequence[Happening], now: datetime
) -> Clock:
    cal, amount = target.plan(policy.calendar, created)
    consumed = timedelta(0)
    breached_at: datetime | None = None
    state, since = Status.NEW.value, created
    segments = [h for h in history if h.kind == "status" and h.at <= now]
    due: datetime | None = None

    def run(start: datetime, end: datetime) -> None:
        nonlocal consumed, breached_at
        used = _between(cal, start, end)
        if breached_at is None and consumed + used >= amount:
            breached_at = _add(cal, start, amount - consumed)
        consumed += used

    for h in segments:
        if state not in _PAUSED and state not in _STOPPED:
            run(since, h.at)
        state, since = h.status or state, h.at
    stopped_at = since if state in _STOPPED else None
    paused = state in _PAUSED
    if stopped_at is None and not paused:
        left = amount - consumed
        due = _add(cal, since, left) if left > timedelta(0) else breached_at
        run(since, now)
    breached = breached_at is not None and breached_at <= (stopped_at or now)
    return Clock(
        target="resolution",
        started_at=created,
        amount=amount,
        due_at=due,
        remaining=amount - consumed,
        breached=breached,
        breached_at=breached_at if breached else None,
        stopped_at=stopped_at,
        paused=paused,
    )


def compute_clocks(
    policy: Policy | None,
    priority: str,
    created_at: datetime,
    history: Iterable[Happening],
    now: datetime,
) -> SlaClocks:
    """Every SLA clock of one ticket at `now`, from its history (pure, reproducible)."""
    if policy is None:
        return SlaClocks(None)
    created = clock.to_utc(created_at)
    now = clock.to_utc(now)
    events = sorted((h for h in history if clock.to_utc(h.at) <= now), key=lambda h: h.at)
    events = [Happening(clock.to_utc(h.at), h.kind, h.status) for h in events]
    first, latest_next, missed_next = _response_clocks(policy, priority, created, events, now)
    res_target = policy.target(priority, "resolution")
    resolution = _resolution_clock(res_target, policy, created, events, now) if res_target else None
    breaches = [c for c in (first, resolution) if c is not None and c.breached] + missed_next
    return SlaClocks(policy.name, first, latest_next, resolution, tuple(breaches))


# --- reading history from the store ----------------------------------------------------------


def _stored(value) -> datetime | None:
    """A timestamp as raw SQL returns it (text on SQLite), as the naive UTC datetime the
    ORM would give."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _marks(count: int) -> str:
    return ",".join("?" * count)


#: Prepared SQL text (the ORM rebuilt these for every ticket a change touched).
_HISTORY_EVENTS_SQL = (
    'SELECT "ticket_id", "at", "after" FROM "event" WHERE "ticket_id" IN ({marks}) AND '
    '"field" = \'status\' ORDER BY "at", "id"'
)
_HISTORY_ENTRIES_SQL = (
    'SELECT "ticket_id", "created_at", "kind" FROM "entry" WHERE "ticket_id" IN ({marks}) '
    'AND "kind" IN (\'customer\', \'reply\') ORDER BY "created_at", "id"'
)


def histories(ticket_ids: Sequence[int]) -> dict[int, list[Happening]]:
    """Status changes, customer messages and public replies of many tickets (2 queries)."""
    out: dict[int, list[Happening]] = {tid: [] for tid in ticket_ids}
    if not ticket_ids:
        return out
    ids = list(ticket_ids)
    marks = _marks(len(ids))
    for ticket_id, at, after in db.execute_sql(_HISTORY_EVENTS_SQL.format(marks=marks), ids):
        out[ticket_id].append(Happening(clock.to_utc(_stored(at)), "status", after))
    for ticket_id, at, kind in db.execute_sql(_HISTORY_ENTRIES_SQL.format(marks=marks), ids):
        out[ticket_id].append(Happening(clock.to_utc(_stored(at)), kind))
    for items in out.values():
        # Same instant: a reply or message comes before the status change it causes.
        items.sort(key=lambda h: (h.at, h.kind == "status"))
    return out


def ticket_clocks(ticket_id: int, at: datetime | None = None) -> SlaClocks:
    """The SLA clocks of a ticket as they stood at `at` (default now): for headers and reports."""
    row = Ticket.get_or_none(Ticket.id == ticket_id)
    if row is None:
        raise NotFound(f"no ticket #{ticket_id}")
    policy = policy_for_queue(row.queue_id, row.team_id)
    return compute_clocks(
        policy, row.priority, row.created_at, histories([ticket_id])[ticket_id], at or clock.now()
    )


# --- keeping the columns and the breach log up to date ---------------------------------------


def _logged_breaches(ticket_ids: Sequence[int]) -> set[tuple[int, str, datetime]]:
    rows = db.execute_sql(
        'SELECT "ticket_id", "target", "due_at" FROM "sla_breach" WHERE "ticket_id" IN '
        f"({_marks(len(ticket_ids))})", list(ticket_ids))
    return {(t, target, _stored(due)) for t, target, due in rows}


_CLOCK_ROWS_SQL = (
    'SELECT "id", "queue_id", "team_id", "priority", "created_at", "first_response_due", '
    '"next_response_due", "resolution_due", "sla_breached" FROM "ticket" WHERE "id" IN ({marks})'
)


_UPDATE_SQL = (
    'UPDATE "ticket" SET "first_response_due" = ?, "next_response_due" = ?, '
    '"resolution_due" = ?, "sla_breached" = ? WHERE "id" = ?'
)


_BREACH_SQL = (
    'INSERT INTO "sla_breach" ("ticket_id", "target", "due_at", "recorded_at") VALUES (?, ?, ?, ?)'
)
_EVENT_SQL = (
    'INSERT INTO "event" ("ticket_id", "actor", "at", "action", "field", "before", "after") '
    "VALUES (?, ?, ?, 'sla_breach', ?, NULL, ?)"
)


def _columns(clocks: SlaClocks) -> tuple:
    nxt, res = clocks.next_response, clocks.resolution
    return (
        clock.to_db(clocks.reply_due),
        clock.to_db(nxt.due_at if nxt and nxt.running else None),
        clock.to_db(res.due_at if res and res.running else None),
        clocks.breached,
    )


def sync_tickets(ticket_ids: Sequence[int], now: datetime | None = None) -> int:
    """Recompute clocks, columns and breach log for these tickets; return breaches recorded.

    Works in chunks of 500 tickets: a few queries to read, batched writes.
    """
    now = now or clock.now()
    recorded = 0
    for start in range(0, len(ticket_ids), 500):
        updates, breaches, events = _plan(list(ticket_ids[start : start + 500]), now)
        with write_transaction():
            execute_many(_BREACH_SQL, breaches)
            execute_many(_EVENT_SQL, events)  # the audit record of each breach
            execute_many(_UPDATE_SQL, updates)
        recorded += len(breaches)
    return recorded


@dataclass(frozen=True)
class NewBreach:
    """A breach `sync_tickets` would record now (see `plan_sync`)."""

    ticket_id: int
    target: str
    due_at: datetime  # as stored
    recorded_at: datetime  # as stored
    breached_at: datetime

    @property
    def event(self) -> dict:
        """Its audit event, as the row `sync_tickets` writes."""
        return dict(ticket=self.ticket_id, actor=SLA_ACTOR.label, at=self.recorded_at,
                    action="sla_breach", field=self.target, before=None,
                    after=self.breached_at.isoformat(), via=None)

    @property
    def row(self) -> tuple:
        """The parameters of the breach log's insert."""
        return (self.ticket_id, self.target, self.due_at, self.recorded_at)


@dataclass(frozen=True)
class SyncPlan:
    """What `sync_tickets` would write for some tickets now (see `plan_sync`)."""

    updates: list[tuple]  # parameters of the clock columns' update, the ticket id last
    breaches: list[NewBreach]


def plan_sync(ticket_ids: Sequence[int], now: datetime | None = None) -> SyncPlan:
    """What `sync_tickets` would write for these tickets now, breaches in its order,
    without writing: a caller that writes many tickets' events at once puts each breach's
    event where one ticket's sync would have written it, then writes the breach log
    (`record_breaches`) and the columns (`write_columns`)."""
    now = now or clock.now()
    updates: list[tuple] = []
    found: list[NewBreach] = []
    for start in range(0, len(ticket_ids), 500):
        chunk_updates, breaches, events = _plan(list(ticket_ids[start : start + 500]), now)
        updates += chunk_updates
        found += [NewBreach(tid, target, due, at, datetime.fromisoformat(event[4]))
                  for (tid, target, due, at), event in zip(breaches, events, strict=True)]
    position = {tid: n for n, tid in enumerate(ticket_ids)}
    found.sort(key=lambda b: position[b.ticket_id])  # the rows came in any order
    return SyncPlan(updates, found)


def record_breaches(breaches: Sequence[NewBreach]) -> None:
    """Write the breach log rows of a plan (their events are the caller's)."""
    execute_many(_BREACH_SQL, [b.row for b in breaches])


def write_columns(updates: Sequence[tuple]) -> None:
    """Write the clock columns of a plan."""
    execute_many(_UPDATE_SQL, updates)


def _plan(chunk: list[int], now: datetime) -> tuple[list, list, list]:
    """(column updates, breach rows, breach events) for one chunk of tickets."""
    recorded_at = clock.to_db(now)
    policies: dict[tuple[int, int | None], Policy | None] = {}
    rows = [
        (tid, queue_id, team_id, priority, _stored(created), _stored(first), _stored(nxt),
         _stored(res), bool(breached))
        for tid, queue_id, team_id, priority, created, first, nxt, res, breached
        in db.execute_sql(_CLOCK_ROWS_SQL.format(marks=_marks(len(chunk))), chunk)
    ]
    history = histories(chunk)
    logged = _logged_breaches(chunk)
    updates, breaches, events = [], [], []
    for tid, queue_id, team_id, priority, created, *stored in rows:
        key = (queue_id, team_id)
        if key not in policies:
            policies[key] = policy_for_queue(*key)
        clocks = compute_clocks(policies[key], priority, created, history[tid], now)
        for missed in clocks.breaches:
            due = clock.to_db(missed.breached_at)
            if (tid, missed.target, due) in logged:
                continue
            logged.add((tid, missed.target, due))
            breaches.append((tid, missed.target, due, recorded_at))
            events.append(
                (
                    tid,
                    SLA_ACTOR.label,
                    recorded_at,
                    missed.target,
                    missed.breached_at.isoformat(),
                )
            )
        values = _columns(clocks)
        if tuple(stored) != values:
            updates.append((*values, tid))
    return updates, breaches, events


def on_change(change: Change) -> None:
    """Signal listener: keep the ticket's SLA columns and status time current."""
    if change.kind == "status":
        Ticket.update(status_changed_at=clock.to_db(clock.now())).where(
            Ticket.id == change.ticket_id
        ).execute()
    elif change.kind == "created":
        Ticket.update(status_changed_at=Ticket.created_at).where(
            Ticket.id == change.ticket_id
        ).execute()
    if change.kind in _CLOCK_KINDS:
        sync_tickets([change.ticket_id])


def overdue_ids(now: datetime | None = None) -> list[int]:
    """Open tickets with a clock past due and no breach logged for that due time (SQL only)."""
    limit = clock.to_db(now or clock.now())
    active = [s.value for s in ACTIVE_STATUSES]

    def unlogged(column, targets: tuple[str, ...]):
        return (column <= limit) & ~fn.EXISTS(
            SlaBreach.select(SlaBreach.id).where(
                (SlaBreach.ticket == Ticket.id)
                & SlaBreach.target.in_(list(targets))
                & (SlaBreach.due_at == column)
            )
        )

    query = Ticket.select(Ticket.id).where(
        Ticket.status.in_(active)
        & (
            unlogged(Ticket.first_response_due, ("first_response", "next_response"))
            | unlogged(Ticket.resolution_due, ("resolution",))
        )
    )
    return [row[0] for row in query.tuples()]


def sweep(now: datetime | None = None) -> int:
    """Record breaches of clocks that ran out since the last sweep; return how many."""
    now = now or clock.now()
    return sync_tickets(overdue_ids(now), now)


def backfill(now: datetime | None = None) -> int:
    """Set `status_changed_at` from the audit trail and recompute every ticket (after an
    import or demo seeding done with signals muted)."""
    last_change = (
        Event.select(Event.ticket, fn.MAX(Event.at).alias("at"))
        .where(Event.field == "status")
        .group_by(Event.ticket)
    )
    with write_transaction():
        Ticket.update(status_changed_at=Ticket.created_at).where(
            Ticket.status_changed_at.is_null()
        ).execute()
        for ticket_id, at in last_change.tuples():
            Ticket.update(status_changed_at=at).where(Ticket.id == ticket_id).execute()
    ids = [t[0] for t in Ticket.select(Ticket.id).order_by(Ticket.id).tuples()]
    return sync_tickets(ids, now)


def breaching(limit: int = 200) -> list[tuple[int, str, datetime]]:
    """Most recent breaches: (ticket id, target, due time)."""
    query = (
        SlaBreach.select(SlaBreach.ticket, SlaBreach.target, SlaBreach.due_at)
        .join(Ticket, JOIN.INNER, on=(SlaBreach.ticket == Ticket.id))
        .order_by(SlaBreach.due_at.desc())
        .limit(limit)
        .tuples()
    )
    return [(t, target, clock.to_utc(due)) for t, target, due in query]


# --- for the faces ----------------------------------------------------------------------------

# describe_clock and WARN_WITHIN live in sla_clock (the console's first rows need only them).

