"""Figures the console's reports screen adds to `build_report`: backlog over time and per
team, the acting agent's own numbers and today's SLA. `deskterm report` prints them too.

Backlog over time is rebuilt from the audit trail: the backlog now, walked back through
the status changes and ticket creations after each day's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from peewee import SQL, fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES
from deskterm.store.db import backend, db
from deskterm.store.models import Agent, SlaBreach, Team, Ticket

_ACTIVE = frozenset(s.value for s in ACTIVE_STATUSES)

#: The reports screen's ranges (keys d, w, m, q) and the `--since` that gives the same.
RANGES: dict[str, tuple[str, timedelta | None]] = {
    "today": ("today", None),
    "7d": ("7 days", timedelta(days=7)),
    "30d": ("30 days", timedelta(days=30)),
    "90d": ("90 days", timedelta(days=90)),
}


@dataclass(frozen=True)
class Mine:
    """The acting agent's tickets now (their activity is the report's agent row)."""

    agent: str
    open_assigned: int
    breached_assigned: int


@dataclass(frozen=True)
class SlaToday:
    """SLA since midnight in the agent's zone: breaches recorded, tickets due before midnight."""

    since: datetime
    breaches: int
    due_today: int


@dataclass(frozen=True)
class Extras:
    backlog_by_day: dict[str, int]
    backlog_by_team: dict[str, int]
    mine: Mine | None
    sla_today: SlaToday


def human_minutes(minutes: float | None) -> str:
    """`45 min`, `3.5 h`, `2.1 d` (`-` for no value), as `deskterm report` prints them."""
    if minutes is None:
        return "-"
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def range_start(key: str, now: datetime, zone: tzinfo) -> datetime:
    """Where a range starts: local midnight for `today`, else `now` minus its length."""
    _, length = RANGES[key]
    if length is None:
        return start_of_day(now, zone)
    return now - length


def start_of_day(now: datetime, zone: tzinfo) -> datetime:
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(clock.to_utc(now).tzinfo)


def _queue_id(queue: str | None) -> int | None:
    if not queue:
        return None
    from deskterm.services import directory

    return directory.queue_row(queue).id


def _in_queue(query, queue_id: int | None):
    return query.where(Ticket.queue == queue_id) if queue_id else query


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = clock.to_utc(start).date(), clock.to_utc(end).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def backlog_by_day(start: datetime, end: datetime, queue: str | None = None) -> dict[str, int]:
    """Active tickets at the end of each UTC day of the period (the last day: at `end`).

    The backlog now, minus what changed it after each day's end: status changes in and
    out of the active statuses and ticket creations, summed per day in SQL.
    """
    queue_id = _queue_id(queue)
    now = clock.now()
    days = _days(start, end)
    if not days:
        return {}
    last_end = min(clock.to_utc(end), datetime.combine(days[-1] + timedelta(days=1), time(0),
                                                       tzinfo=now.tzinfo))
    first_end = last_end if len(days) == 1 else datetime.combine(
        days[0] + timedelta(days=1), time(0), tzinfo=now.tzinfo)
    lo, hi, last = clock.to_db(first_end), clock.to_db(now), clock.to_db(last_end)
    backlog_now = _in_queue(
        Ticket.select(fn.COUNT(Ticket.id)).where(Ticket.status.in_(list(_ACTIVE))), queue_id
    ).scalar()
    in_queue, queue_params = ('AND t."queue_id" = ?', (queue_id,)) if queue_id else ("", ())
    marks = ", ".join("?" * len(_ACTIVE))
    active = sorted(_ACTIVE)
    day = backend().day_of("c.at")
    per_day: dict[str, int] = {}
    after_last = 0
    for changed_day, after_end, delta in db.execute_sql(
        f"SELECT {day}, CASE WHEN c.at >= ? THEN 1 ELSE 0 END, SUM(c.delta) FROM ("
        f'SELECT e."at" AS at, CASE WHEN e."after" IN ({marks}) THEN 1 ELSE 0 END - '
        f'CASE WHEN e."before" IN ({marks}) THEN 1 ELSE 0 END AS delta FROM "event" e '
        f'JOIN "ticket" t ON t."id" = e."ticket_id" WHERE e."field" = \'status\' AND '
        f'e."at" >= ? AND e."at" < ? {in_queue} '
        f'UNION ALL SELECT t."created_at", 1 FROM "ticket" t WHERE t."created_at" >= ? '
        f'AND t."created_at" < ? {in_queue}) c GROUP BY 1, 2',
        (last, *active, *active, lo, hi, *queue_params, lo, hi, *queue_params),
    ):
        per_day[str(changed_day)] = per_day.get(str(changed_day), 0) + int(delta)
        after_last += int(delta) if after_end else 0
    result = {}
    for d in days[:-1]:  # changes after midnight following the day
        key = f"{d:%Y-%m-%d}"
        result[key] = backlog_now - sum(n for other, n in per_day.items() if other > key)
    result[f"{days[-1]:%Y-%m-%d}"] = backlog_now - after_last
    return result


def backlog_by_team(queue: str | None = None) -> dict[str, int]:
    """Active tickets per team now, the biggest first (`-` for no team)."""
    slugs = {t.id: t.slug for t in Team.select(Team.id, Team.slug)}
    team = fn.COALESCE(Ticket.team, SQL("0"))  # an expression: counted from the covering backlog
    rows = _in_queue(  # index, not by walking the team index in GROUP BY order
        Ticket.select(team, fn.COUNT(Ticket.id))
        .where(Ticket.status.in_(list(_ACTIVE)))
        .group_by(team),
        queue_id=_queue_id(queue),
    )
    counts = {slugs.get(team_id, "-") if team_id else "-": n for team_id, n in rows.tuples()}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def mine(username: str, queue: str | None = None) -> Mine | None:
    """The agent's open tickets now and how many of them breached their SLA."""
    agent = Agent.get_or_none(Agent.username == username)
    if agent is None:
        return None
    base = _in_queue(
        Ticket.select(fn.COUNT(Ticket.id)).where(
            (Ticket.assignee == agent.id) & Ticket.status.in_(list(_ACTIVE))
        ),
        _queue_id(queue),
    )
    return Mine(username, base.scalar(), base.where(Ticket.sla_breached == True).scalar())  # noqa: E712


def sla_today(zone: tzinfo, queue: str | None = None) -> SlaToday:
    """Targets missed since local midnight (by when they fell due, so a breach found late, as
    after a catch-up, counts on its own day); open tickets with a target due before the next
    midnight."""
    now = clock.now()
    since = start_of_day(now, zone)
    until = since + timedelta(days=1)
    queue_id = _queue_id(queue)
    breaches = _in_queue(
        SlaBreach.select(fn.COUNT(SlaBreach.id))
        .join(Ticket, on=(SlaBreach.ticket == Ticket.id))
        .where(
            # recorded after due: the recorded_at index narrows, due_at decides
            (SlaBreach.recorded_at >= clock.to_db(since)) & (SlaBreach.due_at >= clock.to_db(since))
        ),
        queue_id,
    ).scalar()
    lo, hi = clock.to_db(now), clock.to_db(until)
    # first_response_due holds the reply owed now (first or next), as for `sla:due`
    due_today = _in_queue(
        Ticket.select(fn.COUNT(Ticket.id)).where(
            Ticket.status.in_(list(_ACTIVE))
            & (
                ((Ticket.first_response_due >= lo) & (Ticket.first_response_due < hi))
                | ((Ticket.resolution_due >= lo) & (Ticket.resolution_due < hi))
            )
        ),
        queue_id,
    ).scalar()
    return SlaToday(since, breaches, due_today)


def extra_figures(
    start: datetime, end: datetime, *, queue: str | None, me: str | None, zone: tzinfo
) -> Extras:
    """Everything the reports screen shows beyond `build_report`."""
    return Extras(
        backlog_by_day=backlog_by_day(start, end, queue),
        backlog_by_team=backlog_by_team(queue),
        mine=mine(me, queue) if me else None,
        sla_today=sla_today(zone, queue),
    )
