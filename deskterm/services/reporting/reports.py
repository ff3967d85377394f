"""Manager reports: volume, backlog, response and resolution times, SLA compliance,
per-agent productivity and customer satisfaction over a period.

Every figure is aggregated in SQL (GROUP BY); no ticket is loaded as an object (the
durations' median and p90 are taken from one integer per ticket, computed in SQL). SLA
compliance reads what the SLA listener keeps: the breach log (each missed target once,
at the moment it was missed) and the running clocks' due columns, which give the same
answer as `sla.compute_clocks` on each ticket's history (a test compares both on
generated and demo desks). Ties in the "by queue" and "by channel" counts are listed in
order of each one's first ticket.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from peewee import fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES, BadInput, EntryKind, Priority, Status
from deskterm.store.db import backend, db
from deskterm.store.models import Entry, Queue, Ticket, TimeEntry


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


def _in_queue(query, queue_id: int | None):
    return query.where(Ticket.queue == queue_id) if queue_id else query


def _queue_filter(queue_id: int | None) -> tuple[str, tuple]:
    return (' AND t."queue_id" = ?', (queue_id,)) if queue_id else ("", ())


_AGE_BUCKETS = ((1, "< 1 day"), (3, "1-3 days"), (7, "3-7 days"), (30, "7-30 days"))
_OLDEST = "> 30 days"


def _durations(where: str, params: tuple, start: str, end: str) -> Durations:
    """Durations from column `start` to `end` of the tickets `where` selects.

    SQL computes each ticket's duration (exact microseconds, one integer per ticket, from
    a covering index: m0021); count, mean, median and p90 are taken here. A window
    function ranking them in SQL cost twice the scan (the sort and the expression twice).
    """
    micro = backend().microseconds_between(f"t.{start}", f"t.{end}")
    rows = db.execute_sql(
        f'SELECT {micro} FROM "ticket" t WHERE {where} AND t."{end}" IS NOT NULL', params
    )
    return Durations.of([int(m) / 10**6 / 60 for (m,) in rows])


def _judged_sql() -> tuple[str, tuple, list[tuple[int, tuple[str, ...]]]]:
    """Which tickets have an SLA clock: their queue's policy has a first response or
    resolution target for their priority. Returns the SQL condition, its parameters and
    the (queue, priorities) whose only target is next response (judged from history)."""
    from deskterm.services.automation import sla

    parts, params, next_only = [], [], []
    for (queue_id,) in Queue.select(Queue.id).where(Queue.sla_policy.is_null(False)).tuples():
        policy = sla.policy_for_queue(queue_id)
        if policy is None:
            continue
        judged = tuple(
            p.value for p in Priority
            if policy.target(p.value, "first_response") or policy.target(p.value, "resolution")
        )
        only_next = tuple(
            p.value for p in Priority
            if p.value not in judged and policy.target(p.value, "next_response")
        )
        if judged:
            parts.append(f'(t."queue_id" = ? AND t."priority" IN ({", ".join("?" * len(judged))}))')
            params += [queue_id, *judged]
        if only_next:
            next_only.append((queue_id, only_next))
    return (" OR ".join(parts) or "0 = 1"), tuple(params), next_only


#: Missed by `at`: a logged breach (response clocks missed strictly before `at`, the
#: resolution clock at or before it, as `compute_clocks` counts them) or a running clock
#: already past due that the sweep has not logged yet.
_BREACHED_BY_SQL = (
    'EXISTS (SELECT 1 FROM "sla_breach" b WHERE b."ticket_id" = t."id" AND '
    '((b."target" = \'resolution\' AND b."due_at" <= ?) OR '
    '(b."target" != \'resolution\' AND b."due_at" < ?))) '
    'OR t."first_response_due" < ? OR t."resolution_due" <= ?'
)


def _sla_compliance(where: str, params: tuple, at: datetime) -> tuple[int, int]:
    """(tickets with an SLA clock, tickets that met every target) as of `at`."""
    judged_sql, judged_params, next_only = _judged_sql()
    limit = clock.to_db(at)
    judged, missed = db.execute_sql(
        f'SELECT COUNT(*), COALESCE(SUM(CASE WHEN {_BREACHED_BY_SQL} THEN 1 ELSE 0 END), 0) '
        f'FROM "ticket" t WHERE {where} AND ({judged_sql})',
        (limit, limit, limit, limit, *params, *judged_params),
    ).fetchone()
    extra_judged = extra_met = 0
    for queue_id, priorities in next_only:  # rare: a policy promising only next responses
        ids = [r[0] for r in db.execute_sql(
            f'SELECT t."id" FROM "ticket" t WHERE {where} AND t."queue_id" = ? AND '
            f't."priority" IN ({", ".join("?" * len(priorities))})',
            (*params, queue_id, *priorities),
        )]
        for ticket_id in ids:
            clocks = _clocks_at(ticket_id, at)
            if clocks.clocks:
                extra_judged += 1
                extra_met += 0 if clocks.breached else 1
    return judged + extra_judged, judged - missed + extra_met


def _clocks_at(ticket_id: int, at: datetime):
    from deskterm.services.automation import sla

    return sla.ticket_clocks(ticket_id, at)


def build_report(start: datetime, end: datetime, queue: str | None = None, *,
                 zone: tzinfo | None = None) -> Report:
    """Figures for tickets between `start` and `end` (UTC instants), optionally one queue.
    BadInput for a period that ends before it starts (its instants written in `zone`)."""
    from deskterm.services import directory
    from deskterm.services.when import written

    if end < start:
        raise BadInput(f"the report's period ends before it starts: {written(start, zone)} "
                       f"is after {written(end, zone)}")

    queue_id = directory.queue_row(queue).id if queue else None
    lo, hi = clock.to_db(start), clock.to_db(end)
    in_queue, queue_params = _queue_filter(queue_id)
    created_where = (
        f't."created_at" >= ? AND t."created_at" < ? AND t."merged_into_id" IS NULL{in_queue}'
    )
    created_params = (lo, hi, *queue_params)
    slugs = dict(Queue.select(Queue.id, Queue.slug).tuples())
    day = backend().day_of('t."created_at"')
    by_day: Counter = Counter()
    by_queue: dict[str, list] = {}
    by_channel: dict[str, list] = {}
    for created_day, queue_of, channel, count, first in db.execute_sql(
        f'SELECT {day}, t."queue_id", t."channel", COUNT(*), MIN(t."created_at") '
        f'FROM "ticket" t WHERE {created_where} GROUP BY {day}, t."queue_id", t."channel"',
        created_params,
    ):
        by_day[created_day] += count
        for key, into in ((slugs[queue_of], by_queue), (channel, by_channel)):
            seen = into.setdefault(key, [0, first])
            seen[0] += count
            seen[1] = min(seen[1], first)
    created = sum(by_day.values())

    resolved_where = (
        f't."resolved_at" >= ? AND t."resolved_at" < ? AND t."merged_into_id" IS NULL{in_queue}'
    )
    resolution = _durations(resolved_where, created_params, "created_at", "resolved_at")

    now = clock.now()
    active = [s.value for s in ACTIVE_STATUSES]
    bounds = [clock.to_db(now - timedelta(days=days)) for days, _ in _AGE_BUCKETS]
    bucket = " ".join(f"WHEN t.\"created_at\" > ? THEN {i}" for i in range(len(bounds)))
    labels = [label for _, label in _AGE_BUCKETS] + [_OLDEST]
    in_active = f't."status" IN ({", ".join("?" * len(active))}){in_queue}'
    # Totals per status from the (status, queue, created, team) index alone, then the
    # ages of the few created within the last bucket's bound; the rest are the oldest.
    backlog_status: Counter = Counter(dict(db.execute_sql(
        f'SELECT t."status", COUNT(*) FROM "ticket" t WHERE {in_active} GROUP BY 1',
        (*active, *queue_params),
    ).fetchall()))
    backlog_age: Counter = Counter({_OLDEST: sum(backlog_status.values())})
    for age, count in db.execute_sql(
        f'SELECT CASE {bucket} END, COUNT(*) FROM "ticket" t '
        f'WHERE {in_active} AND t."created_at" > ? GROUP BY 1',
        (*bounds, *active, *queue_params, bounds[-1]),
    ):
        backlog_age[labels[age]] += count
        backlog_age[_OLDEST] -= count

    judged, met = _sla_compliance(created_where, created_params, min(now, clock.to_utc(end)))
    return Report(
        start=clock.to_utc(start),
        end=clock.to_utc(end),
        queue=queue,
        created=created,
        created_by_day=dict(sorted(by_day.items())),
        created_by_queue=_most_first(by_queue),
        created_by_channel=_most_first(by_channel),
        resolved=resolution.count,
        backlog_by_status={s.value: backlog_status[s.value] for s in ACTIVE_STATUSES},
        backlog_by_age={label: backlog_age[label] for label in labels},
        first_response=_durations(created_where, created_params, "created_at",
                                  "first_response_at"),
        resolution=resolution,
        sla_tickets=judged,
        sla_met=met,
        sla_compliance=round(100 * met / judged, 1) if judged else None,
        agents=_agent_figures(lo, hi, queue_id),
        **_csat(lo, hi, queue_id),
    )


def _most_first(counts: dict[str, list]) -> dict[str, int]:
    """Counts, the biggest first; ties in order of each one's first ticket."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1][0], str(kv[1][1])))
    return {key: count for key, (count, _) in ordered}


def _agent_figures(lo: datetime, hi: datetime, queue_id: int | None) -> tuple[AgentFigures, ...]:
    from deskterm.store.models import Agent

    names = {a.id: a.username for a in Agent.select(Agent.id, Agent.username)}
    entries = Entry.select(Entry.agent, Entry.kind, fn.COUNT(Entry.id))
    if queue_id:  # the ticket is joined only when its queue matters
        entries = entries.join(Ticket, on=(Entry.ticket == Ticket.id))
    entries = (
        entries.where(
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
    # Status events from their own partial index (m0021); the ticket only for its queue.
    in_queue, queue_params = _queue_filter(queue_id)
    join = ' JOIN "ticket" t ON t."id" = e."ticket_id"' if queue_id else ""
    resolved = db.execute_sql(
        f'SELECT e."actor", COUNT(*) FROM "event" e{join} WHERE e."field" = \'status\' '
        'AND e."after" = ? AND e."at" >= ? AND e."at" < ? AND e."ticket_id" IS NOT NULL '
        f'AND substr(e."actor", 1, 6) = \'agent:\'{in_queue} GROUP BY e."actor"',
        (Status.RESOLVED.value, lo, hi, *queue_params),
    )
    for actor, count in resolved:
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
    in_queue, queue_params = _queue_filter(queue_id)
    count, total, satisfied = db.execute_sql(
        'SELECT COUNT(*), SUM(t."csat_rating"), SUM(CASE WHEN t."csat_rating" >= 4 THEN 1 '
        'ELSE 0 END) FROM "ticket" t WHERE t."csat_rating" IS NOT NULL AND '
        f't."resolved_at" >= ? AND t."resolved_at" < ?{in_queue}',
        (lo, hi, *queue_params),
    ).fetchone()
    if not count:
        return {"csat_responses": 0, "csat_average": None, "csat_satisfied_share": None}
    return {
        "csat_responses": count,
        "csat_average": round(int(total) / count, 2),
        "csat_satisfied_share": round(100 * int(satisfied) / count, 1),
    }
