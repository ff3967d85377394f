"""The reports as they were computed before issue 13: tickets loaded one by one and SLA
compliance from `sla.compute_clocks` on each ticket's history. Kept only as the slow
reference the SQL aggregation must equal (tests/test_reports_sql.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from peewee import fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES
from deskterm.services import directory
from deskterm.services.automation import sla
from deskterm.services.reporting.dashboard import _ACTIVE, _days
from deskterm.services.reporting.reports import AgentFigures, Durations
from deskterm.store.models import Agent, Entry, Event, Queue, Ticket, TimeEntry

_AGE_BUCKETS = ((1, "< 1 day"), (3, "1-3 days"), (7, "3-7 days"), (30, "7-30 days"))


def _minutes(a: datetime, b: datetime) -> float:
    return (clock.to_utc(b) - clock.to_utc(a)).total_seconds() / 60


def _in_queue(query, queue_id):
    return query.where(Ticket.queue == queue_id) if queue_id else query


def _age_bucket(age: timedelta) -> str:
    for days, label in _AGE_BUCKETS:
        if age < timedelta(days=days):
            return label
    return "> 30 days"


def reference_figures(start: datetime, end: datetime, queue: str | None = None) -> dict:
    """The figures `build_report` computes in SQL, computed ticket by ticket."""
    queue_id = directory.queue_row(queue).id if queue else None
    lo, hi = clock.to_db(start), clock.to_db(end)
    created = list(_in_queue(Ticket.select(
        Ticket.id, Ticket.created_at, Ticket.channel, Ticket.first_response_at, Ticket.queue,
        Ticket.priority, Ticket.team,
    ).where((Ticket.created_at >= lo) & (Ticket.created_at < hi)
            & Ticket.merged_into.is_null()), queue_id))
    slugs = {q.id: q.slug for q in Queue.select(Queue.id, Queue.slug)}
    resolved = list(_in_queue(Ticket.select(
        Ticket.id, Ticket.created_at, Ticket.resolved_at
    ).where((Ticket.resolved_at >= lo) & (Ticket.resolved_at < hi)
            & Ticket.merged_into.is_null()), queue_id))
    now = clock.now()
    active = list(_in_queue(Ticket.select(Ticket.status, Ticket.created_at).where(
        Ticket.status.in_([s.value for s in ACTIVE_STATUSES])), queue_id))
    histories = sla.histories([t.id for t in created])
    judged = met = 0
    for t in created:
        policy = sla.policy_for_queue(t.queue_id, t.team_id)
        clocks = sla.compute_clocks(policy, t.priority, t.created_at, histories[t.id],
                                    min(now, end))
        if clocks.clocks:
            judged += 1
            met += 0 if clocks.breached else 1
    backlog_age = Counter(_age_bucket(now - clock.to_utc(t.created_at)) for t in active)
    backlog_status = Counter(t.status for t in active)
    return dict(
        created=len(created),
        created_by_day=dict(sorted(Counter(
            f"{clock.to_utc(t.created_at):%Y-%m-%d}" for t in created).items())),
        created_by_queue=dict(Counter(slugs[t.queue_id] for t in created)),
        created_by_channel=dict(Counter(t.channel for t in created)),
        resolved=len(resolved),
        backlog_by_status={s.value: backlog_status[s.value] for s in ACTIVE_STATUSES},
        backlog_by_age={label: backlog_age[label] for _, label in _AGE_BUCKETS}
        | {"> 30 days": backlog_age["> 30 days"]},
        first_response=Durations.of([_minutes(t.created_at, t.first_response_at)
                                     for t in created if t.first_response_at]),
        resolution=Durations.of([_minutes(t.created_at, t.resolved_at) for t in resolved]),
        sla_tickets=judged,
        sla_met=met,
        agents=_agents(lo, hi, queue_id),
    )


def _agents(lo: datetime, hi: datetime, queue_id: int | None) -> tuple[AgentFigures, ...]:
    """Replies, notes, resolutions and logged minutes per agent: every entry, event and
    time entry of the period looked at one by one."""
    names = {a.id: a.username for a in Agent.select()}
    queue_of = {t.id: t.queue_id for t in Ticket.select(Ticket.id, Ticket.queue)}
    counts: dict[str, Counter] = {}

    def mine(ticket_id: int) -> bool:
        return not queue_id or queue_of[ticket_id] == queue_id

    for e in Entry.select().where((Entry.created_at >= lo) & (Entry.created_at < hi)):
        if e.agent_id is not None and e.kind in ("reply", "note") and mine(e.ticket_id):
            counts.setdefault(names[e.agent_id], Counter())[e.kind] += 1
    for ev in Event.select().where((Event.at >= lo) & (Event.at < hi)):
        if (ev.field == "status" and ev.after == "resolved" and ev.actor.startswith("agent:")
                and ev.ticket_id is not None and mine(ev.ticket_id)):
            counts.setdefault(ev.actor.split(":", 1)[1], Counter())["resolved"] += 1
    for te in TimeEntry.select().where((TimeEntry.at >= lo) & (TimeEntry.at < hi)):
        if te.agent_id is not None and mine(te.ticket_id):
            counts.setdefault(names[te.agent_id], Counter())["minutes"] += te.minutes or 0
    return tuple(AgentFigures(agent, c["reply"], c["note"], c["resolved"], c["minutes"])
                 for agent, c in sorted(counts.items()))


def reference_backlog_by_day(start: datetime, end: datetime, queue: str | None = None) -> dict:
    """Active tickets at the end of each UTC day of the period (the last day: at `end`)."""
    queue_id = directory.queue_row(queue).id if queue else None
    now = clock.now()
    ends = [
        min(clock.to_utc(end), datetime.combine(d + timedelta(days=1), time(0), tzinfo=now.tzinfo))
        for d in _days(start, end)
    ]
    if not ends:
        return {}
    lo = clock.to_db(min(ends))
    backlog_now = _in_queue(
        Ticket.select(fn.COUNT(Ticket.id)).where(Ticket.status.in_(list(_ACTIVE))), queue_id
    ).scalar()
    # +1 / -1 to the backlog for everything that happened after `lo`, in time order
    changes: list[tuple[datetime, int]] = []
    events = _in_queue(
        Event.select(Event.at, Event.before, Event.after)
        .join(Ticket, on=(Event.ticket == Ticket.id))
        .where((Event.field == "status") & (Event.at >= lo)),
        queue_id,
    )
    for at, before, after in events.tuples():
        delta = (after in _ACTIVE) - (before in _ACTIVE)
        if delta:
            changes.append((clock.to_utc(at), delta))
    created = _in_queue(
        Ticket.select(Ticket.created_at).where(Ticket.created_at >= lo), queue_id
    )
    changes.extend((clock.to_utc(at), 1) for (at,) in created.tuples())
    result = {}
    for day, day_end in zip(_days(start, end), ends, strict=True):
        after = sum(delta for at, delta in changes if day_end <= at < now)
        result[f"{day:%Y-%m-%d}"] = backlog_now - after
    return result
