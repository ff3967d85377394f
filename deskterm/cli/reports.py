"""`deskterm report`: the manager's figures for a period."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import times
from deskterm.cli.context import state
from deskterm.cli.output import out, plain, print_json, print_table, styled
from deskterm.cli.times import Utc

app = typer.Typer(help="Reports for managers.", invoke_without_command=True)


def _fmt(minutes: float | None) -> str:
    from deskterm.services.reporting.dashboard import human_minutes

    return human_minutes(minutes)


@app.callback()
def report(
    ctx: typer.Context,
    since: Annotated[
        str, typer.Option("--since", help="Start: 30d, 2026-11-01, '2 weeks ago'")
    ] = "30d",
    until: Annotated[str | None, typer.Option("--until", help="End (default: now)")] = None,
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
    utc: Utc = False,
) -> None:
    """Volume, backlog, response and resolution times, SLA compliance, agents, satisfaction."""
    from deskterm import clock
    from deskterm.services.reporting import reports
    from deskterm.services.trust import identity
    from deskterm.services.when import parse_duration, parse_when

    st = state(ctx)
    zone = identity.zone_of(st.actor())
    stripped = since.strip()
    if stripped[:1].isdigit() and stripped[-1:].isalpha() and " " not in stripped:
        start = clock.now() - parse_duration(stripped)
    else:
        start = parse_when(since, zone=zone)
    end = parse_when(until, zone=zone) if until else clock.now()
    result = reports.build_report(start, end, queue, zone=zone)
    extras = _extras(ctx, start, end, queue)
    if as_json:
        print_json(plain(result) | plain(extras))
        return
    out.print(
        styled(
            f"Report {times.when(result.start)} – {times.when(result.end)}"
            f"{' · queue ' + queue if queue else ''}",
            "bold",
        )
    )
    sla_text = (
        f"{result.sla_compliance}% ({result.sla_met}/{result.sla_tickets})"
        if result.sla_compliance is not None
        else "-"
    )
    csat = (
        f"{result.csat_average} / 5, {result.csat_satisfied_share}% satisfied "
        f"({result.csat_responses} answers)"
        if result.csat_responses
        else "-"
    )
    print_table(
        [
            ("Tickets created", result.created),
            ("Tickets resolved", result.resolved),
            ("Backlog now", sum(result.backlog_by_status.values())),
            (
                "First response (median / p90)",
                f"{_fmt(result.first_response.median)} / {_fmt(result.first_response.p90)}",
            ),
            (
                "Resolution (median / p90)",
                f"{_fmt(result.resolution.median)} / {_fmt(result.resolution.p90)}",
            ),
            ("SLA met", sla_text),
            ("Satisfaction", csat),
        ],
        ("Figure", "Value"),
    )
    print_table(((status.replace("_", " "), n) for status, n in result.backlog_by_status.items()),
                ("Backlog by status", "Tickets"))  # `on hold`, as statuses are named
    print_table(result.backlog_by_age.items(), ("Backlog by age", "Tickets"))
    print_table(result.created_by_queue.items(), ("Created by queue", "Tickets"))
    print_table(
        ((a.agent, a.replies, a.notes, a.resolved, a.minutes_logged) for a in result.agents),
        ("Agent", "Replies", "Notes", "Resolved", "Minutes logged"),
    )
    print_table(extras.backlog_by_team.items(), ("Backlog by team", "Tickets"))
    print_table(
        ((day, result.created_by_day.get(day, 0), n) for day, n in extras.backlog_by_day.items()),
        ("Day (UTC)", "Created", "Backlog at end"),
    )
    today = extras.sla_today
    rows = [
        ("SLA breaches today", today.breaches),
        ("SLA targets due today", today.due_today),
    ]
    if extras.mine is not None:
        rows[:0] = [
            (f"Open assigned to {extras.mine.agent}", extras.mine.open_assigned),
            (f"Breached assigned to {extras.mine.agent}", extras.mine.breached_assigned),
        ]
    print_table(rows, ("Now", "Tickets"))


def _extras(ctx: typer.Context, start, end, queue: str | None):
    """Backlog over time and per team, the acting agent's tickets and today's SLA."""
    from zoneinfo import ZoneInfo

    from deskterm.domain import NotFound
    from deskterm.services import directory
    from deskterm.services.reporting import dashboard

    name = state(ctx).agent_name
    try:
        agent = directory.get_agent(name)
    except NotFound:
        agent = None
    try:
        zone = ZoneInfo(agent.timezone if agent else "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return dashboard.extra_figures(
        start, end, queue=queue, me=agent.username if agent else None, zone=zone
    )
