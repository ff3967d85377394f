"""Figures the console's reports screen adds to `build_report`: backlog over time and per
team, the acting agent's own numbers and today's SLA. `deskterm report` prints them too.

Backlog over time is rebuilt from the audit trail: the backlog now, walked back through
the status changes and ticket creations after each day's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from peewee import fn

from deskterm import clock
from deskterm.domain import ACTIVE_STATUSES
from deskterm.store.models import Agent, Event, SlaBreach, Team, Ticket

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
    """Active tickets at the end of each UTC day of the period (the last day: at `end`)."""
    queue_id = _queue_id(queue)
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


def backlog_by_team(queue: str | None = None) -> dict[str, int]:
    """Active tickets per team now, the biggest first (`-` for no team)."""
    slugs = {t.id: t.slug for t in Team.select(Team.id, Team.slug)}
    rows = _in_queue(
        Ticket.select(Ticket.team, fn.COUNT(Ticket.id))
        .where(Ticket.status.in_(list(_ACTIVE)))
        .group_by(Ticket.team),
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
    """Breaches recorded since local midnight; open tickets with a target due before the
    next midnight."""
    now = clock.now()
    since = start_of_day(now, zone)
    until = since + timedelta(days=1)
    queue_id = _queue_id(queue)
    breaches = _in_queue(
        SlaBreach.select(fn.COUNT(SlaBreach.id))
        .join(Ticket, on=(SlaBreach.ticket == Ticket.id))
        .where(SlaBreach.recorded_at >= clock.to_db(since)),
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
