"""Manager reports over a period: figures a manager would check by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.services import directory, tickets
from deskterm.services.messaging import notifications
from deskterm.services.reporting import reports

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _history(desk):
    ana, marko = directory.actor_for("ana"), directory.actor_for("marko")
    made = []
    for i, (agent, reply_after, resolve_after) in enumerate(
        [(ana, 30, 120), (ana, 90, 300), (marko, 10, None)]
    ):
        start = T0 + timedelta(hours=i)
        with clock.frozen_at(start):
            t = tickets.create_ticket(
                agent,
                subject=f"Upit {i}",
                body="…",
                requester_email=f"c{i}@example.ba",
                queue="billing",
            )
        with clock.frozen_at(start + timedelta(minutes=reply_after)):
            tickets.reply(agent, t.id, "Odgovor")
        if resolve_after:
            with clock.frozen_at(start + timedelta(minutes=resolve_after)):
                tickets.set_status(agent, t.id, "resolved")
                notifications.record_rating(Actor("customer", f"c{i}@example.ba"), t.id, 5 - i)
        made.append(t.id)
    return made


def test_report_figures(desk):
    _history(desk)
    with clock.frozen_at(T0 + timedelta(days=1)):
        report = reports.build_report(T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert report.created == 3
    assert report.resolved == 2
    assert report.first_response.count == 3
    assert report.first_response.median == 30.0
    assert report.resolution.median == (120 + 300) / 2
    assert report.backlog_by_status["open"] == 1
    by_agent = {a.agent: a for a in report.agents}
    assert (by_agent["ana"].replies, by_agent["ana"].resolved) == (2, 2)
    assert (by_agent["marko"].replies, by_agent["marko"].resolved) == (1, 0)
    assert report.csat_responses == 2 and report.csat_average == 4.5
    assert report.created_by_queue == {"billing": 3}


def test_report_period_excludes_other_tickets(desk):
    _history(desk)
    with clock.frozen_at(T0 + timedelta(days=10)):
        report = reports.build_report(T0 + timedelta(days=5), T0 + timedelta(days=10))
    assert report.created == 0 and report.resolved == 0
    assert report.first_response.median is None


def test_report_cli_json(desk):
    _history(desk)
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(desk),
            "report",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-03",
            "--queue",
            "billing",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["created"] == 3 and data["queue"] == "billing"
    bad = CliRunner().invoke(app, ["--db", str(desk), "report", "--since", "whenever"])
    assert bad.exit_code == 2 and "bad date" in bad.stderr


def test_the_report_table_names_statuses_as_the_console_does(desk):
    # "Backlog by status" listed `on_hold`; statuses are `on hold` everywhere else.
    ana = directory.actor_for("ana")
    for status in ("on_hold", "on_hold", "pending"):
        ticket = tickets.create_ticket(ana, subject="Čeka dobavljača", body="…",
                                       requester_email="tea@example.hr", queue="billing")
        tickets.set_status(ana, ticket.id, status)
    result = CliRunner().invoke(app, ["--db", str(desk), "--as", "ana", "report"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(" Backlog by status"))
    end = next(i for i, line in enumerate(lines) if line.startswith(" Backlog by age"))
    rows = [[cell.strip() for cell in line.split("│")] for line in lines[start + 2:end]]
    assert rows == [["new", "0"], ["open", "0"], ["pending", "1"], ["on hold", "2"],
                    ["postponed", "0"]]
    data = json.loads(CliRunner().invoke(
        app, ["--db", str(desk), "--as", "ana", "report", "--json"]).stdout)
    assert data["backlog_by_status"]["on_hold"] == 2  # JSON keeps the stored value
