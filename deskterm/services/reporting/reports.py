"""Manager reports: volume, backlog, response and resolution times, SLA compliance,
per-agent productivity and customer satisfaction over a period.

SLA compliance uses `sla.compute_clocks` on each ticket's history, the same function the
live clocks use, so a report for last month gives the same figures whenever it is run.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peewee import fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES, EntryKind, Status
from deskterm.store.models import Entry, Event, Queue, Ticket, TimeEntry


@dataclass(frozen=True)
class Durations:
    """Summary of a set of durations, in minutes."""

    count: int
    median: float | None
    mean: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> Durations:
        if not minutes:
            return cls(0, None, None, None)
        ordered = sorted(minutes)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        return cls(
            len(ordered),
            round(statistics.median(ordered), 1),
            round(statistics.fmean(ordered), 1),
            round(p90, 1),
        )


@dataclass(frozen=True)
class AgentFigures:
    agent: str
    replies: int = 0
    notes: int = 0
    resolved: int = 0
    minutes_logged: int = 0


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    queue: str | None
    created: int
    created_by_day: dict[str, int]
    created_by_queue: dict[str, int]
    created_by_channel: dict[str, int]
    resolved: int
    backlog_by_status: dict[str, int]
    backlog_by_age: dict[str, int]
    first_response: Durations
    resolution: Durations
    sla_tickets: int
    sla_met: int
    sla_compliance: float | None
    agents: tuple[AgentFigures, ...] = field(default_factory=tuple)
    csat_responses: int = 0
    csat_average: float | None = None
    csat_satisfied_share: float | None = None


def _minutes(a: datetime, b: datetime) -> float:
    return (clock.to_utc(b) - clock.to_utc(a)).total_seconds() / 60


def _in_queue(query, queue_id: int | None):
    return query.where(Ticket.queue == queue_id) if queue_id else query


_AGE_BUCKETS = ((1, "< 1 day"), (3, "1-3 days"), (7, "3-7 days"), (30, "7-30 days"))


def _age_bucket(age: timedelta) -> str:
    for days, label in _AGE_BUCKETS:
        if age < timedelta(days=days):
            return label
    return "> 30 days"


def build_report(start: datetime, end: datetime, queue: str | None = None) -> Report:
    """Figures for tickets between `start` and `end` (UTC instants), optionally one queue."""
    from deskterm.services import directory
    from deskterm.services.automation import sla

    queue_id = directory.queue_row(queue).id if queue else None
    lo, hi = clock.to_db(start), clock.to_db(end)
    created = list(
        _in_queue(
            Ticket.select(
                Ticket.id,
                Ticket.created_at,
                Ticket.channel,
                Ticket.first_response_at,
                Ticket.queue,
                Ticket.priority,
                Ticket.team,
            ).where(
                (Ticket.created_at >= lo) & (Ticket.created_at < hi) & Ticket.merged_into.is_null()
            ),
            queue_id,
        )
    )
    slugs = {q.id: q.slug for q in Queue.select(Queue.id, Queue.slug)}
    by_day = Counter(f"{clock.to_utc(t.created_at):%Y-%m-%d}" for t in created)
    by_queue = Counter(slugs[t.queue_id] for t in created)
    by_channel = Counter(t.channel for t in created)
    first_response = Durations.of(
        [_minutes(t.created_at, t.first_response_at) for t in created if t.first_response_at]
    )
    resolved_rows = list(
        _in_queue(
            Ticket.select(Ticket.id, Ticket.created_at, Ticket.resolved_at).where(
                (Ticket.resolved_at >= lo)
                & (Ticket.resolved_at < hi)
                & Ticket.merged_into.is_null()
            ),
            queue_id,
        )
    )
    resolution = Durations.of([_minutes(t.created_at, t.resolved_at) for t in resolved_rows])

    now = clock.now()
    active = list(
        _in_queue(
            Ticket.select(Ticket.status, Ticket.created_at).where(
                Ticket.status.in_([s.value for s in ACTIVE_STATUSES])
            ),
            queue_id,
        )
    )
    backlog_status = Counter(t.status for t in active)
    backlog_age = Counter(_age_bucket(now - clock.to_utc(t.created_at)) for t in active)

    # SLA compliance: tickets created in the period whose policy has targets.
    histories = sla.histories([t.id for t in created])
    judged = met = 0
    for t in created:
        policy = sla.policy_for_queue(t.queue_id, t.team_id)
        clocks = sla.compute_clocks(
            policy, t.priority, t.created_at, histories[t.id], min(now, end)
        )
        if not clocks.clocks:
            continue
        judged += 1
        met += 0 if clocks.breached else 1

    return Report(
        start=clock.to_utc(start),
        end=clock.to_utc(end),
        queue=queue,
        created=len(created),
        created_by_day=dict(sorted(by_day.items())),
        created_by_queue=dict(by_queue.most_common()),
        created_by_channel=dict(by_channel.most_common()),
        resolved=len(resolved_rows),
        backlog_by_status={s.value: backlog_status[s.value] for s in ACTIVE_STATUSES},
        backlog_by_age={label: backlog_age[label] for _, label in _AGE_BUCKETS}
        | {"> 30 days": backlog_age["> 30 days"]},
        first_response=first_response,
        resolution=resolution,
        sla_tickets=judged,
        sla_met=met,
        sla_compliance=round(100 * met / judged, 1) if judged else None,
        agents=_agent_figures(lo, hi, queue_id),
        **_csat(lo, hi, queue_id),
    )


def _agent_figures(lo: datetime, hi: datetime, queue_id: int | None) -> tuple[AgentFigures, ...]:
    from deskterm.store.models import Agent

    names = {a.id: a.username for a in Agent.select(Agent.id, Agent.username)}
    entries = (
        Entry.select(Entry.agent, Entry.kind, fn.COUNT(Entry.id))
        .join(Ticket, on=(Entry.ticket == Ticket.id))
        .where(
            (Entry.created_at >= lo)
            & (Entry.created_at < hi)
            & Entry.agent.is_null(False)
            & Entry.kind.in_([EntryKind.REPLY.value, EntryKind.NOTE.value])
        )
        .group_by(Entry.agent, Entry.kind)
    )
    counts: dict[str, Counter] = {}
    for agent_id, kind, count in _in_queue(entries, queue_id).tuples():
        counts.setdefault(names.get(agent_id, "?"), Counter())[kind] += count
    resolved = (
        Event.select(Event.actor, fn.COUNT(Event.id))
        .join(Ticket, on=(Event.ticket == Ticket.id))
        .where(
            (Event.at >= lo)
            & (Event.at < hi)
            & (Event.field == "status")
            & (Event.after == Status.RESOLVED.value)
            & Event.actor.startswith("agent:")
        )
        .group_by(Event.actor)
    )
    for actor, count in _in_queue(resolved, queue_id).tuples():
        counts.setdefault(actor.split(":", 1)[1], Counter())["resolved"] += count
    logged = (
        TimeEntry.select(TimeEntry.agent, fn.SUM(TimeEntry.minutes))
        .join(Ticket, on=(TimeEntry.ticket == Ticket.id))
        .where((TimeEntry.at >= lo) & (TimeEntry.at < hi) & TimeEntry.agent.is_null(False))
        .group_by(TimeEntry.agent)
    )
    for agent_id, minutes in _in_queue(logged, queue_id).tuples():
        counts.setdefault(names.get(agent_id, "?"), Counter())["minutes"] += minutes or 0
    return tuple(
        AgentFigures(
            agent, c[EntryKind.REPLY.value], c[EntryKind.NOTE.value], c["resolved"], c["minutes"]
        )
        for agent, c in sorted(counts.items())
    )


def _csat(lo: datetime, hi: datetime, queue_id: int | None) -> dict:
    ratings = [
        t.csat_rating
        for t in _in_queue(
            Ticket.select(Ticket.csat_rating).where(
                Ticket.csat_rating.is_null(False)
                & (Ticket.resolved_at >= lo)
                & (Ticket.resolved_at < hi)
            ),
            queue_id,
        )
    ]
    if not ratings:
        return {"csat_responses": 0, "csat_average": None, "csat_satisfied_share": None}
    return {
        "csat_responses": len(ratings),
        "csat_average": round(statistics.fmean(ratings), 2),
        "csat_satisfied_share": round(100 * sum(r >= 4 for r in ratings) / len(ratings), 1),
    }
