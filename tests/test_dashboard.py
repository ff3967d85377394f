"""Figures the reports screen adds: backlog over time and per team, mine, SLA today."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.services import directory, tickets
from deskterm.services.reporting import dashboard
from deskterm.store.models import SlaBreach, Ticket

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=2, hours=3)  # Wednesday 12:00 UTC
ZAGREB = ZoneInfo("Europe/Zagreb")


def _history():
    ana, marko = directory.actor_for("ana"), directory.actor_for("marko")

    def new(subject, queue, at):
        with clock.frozen_at(at):
            return tickets.create_ticket(
                ana, subject=subject, body="…", requester_email="k@example.ba", queue=queue
            ).id

    a = new("A", "general", T0)
    b = new("B", "billing", T0 + timedelta(hours=1))
    with clock.frozen_at(T0 + timedelta(days=1, hours=1)):
        tickets.set_status(ana, a, "resolved")  # Tuesday: A leaves the backlog
    c = new("C", "general", T0 + timedelta(days=1, hours=2))  # ... and C joins
    with clock.frozen_at(T0 + timedelta(days=2)):
        tickets.set_status(ana, a, "open")  # Wednesday 09:00: A is back
        tickets.assign(ana, c, "ana")
    with clock.frozen_at(T0 + timedelta(days=2, hours=2)):
        tickets.set_status(marko, b, "closed")  # Wednesday 11:00: B is done
    return a, b, c


def test_backlog_by_day_walks_back_from_now(desk):
    _history()
    with clock.frozen_at(NOW):
        days = dashboard.backlog_by_day(T0 - timedelta(days=1), NOW)
        billing = dashboard.backlog_by_day(T0 - timedelta(days=1), NOW, "billing")
    # Sunday 0; Monday A,B; Tuesday B,C; Wednesday (at noon) A,C
    assert days == {"2026-11-01": 0, "2026-11-02": 2, "2026-11-03": 2, "2026-11-04": 2}
    assert billing == {"2026-11-01": 0, "2026-11-02": 1, "2026-11-03": 1, "2026-11-04": 0}
    with clock.frozen_at(NOW):
        # the last day of a past period ends at the period's end: Wednesday 10:00 has A,B,C
        wednesday = T0 + timedelta(days=2)
        assert dashboard.backlog_by_day(wednesday, wednesday + timedelta(hours=1)) == {
            "2026-11-04": 3
        }


def test_team_backlog_mine_and_sla_today(desk):
    a, b, c = _history()
    with clock.frozen_at(NOW):
        assert dashboard.backlog_by_team() == {"tier1": 2}
        assert dashboard.mine("ana") == dashboard.Mine("ana", 1, 0)
        Ticket.update(sla_breached=True).where(Ticket.id == c).execute()
        assert dashboard.mine("ana").breached_assigned == 1
        # midnight in Zagreb is 23:00 UTC the day before
        for at in (datetime(2026, 11, 3, 22, 59), datetime(2026, 11, 3, 23, 0)):
            SlaBreach.create(ticket=c, target="resolution", due_at=at, recorded_at=at)
        # due yesterday, found only today (a catch-up): yesterday's breach, not today's
        SlaBreach.create(ticket=a, target="first_response", due_at=datetime(2026, 11, 3, 9, 0),
                         recorded_at=datetime(2026, 11, 4, 8, 0))
        Ticket.update(first_response_due=clock.to_db(NOW + timedelta(hours=10))).where(
            Ticket.id == a
        ).execute()  # 22:00 UTC = 23:00 in Zagreb: due today
        Ticket.update(resolution_due=clock.to_db(NOW + timedelta(hours=11))).where(
            Ticket.id == c
        ).execute()  # 23:00 UTC = midnight in Zagreb: tomorrow
        today = dashboard.sla_today(ZAGREB)
    assert today == dashboard.SlaToday(datetime(2026, 11, 3, 23, 0, tzinfo=UTC), 1, 1)


def test_range_start():
    assert dashboard.range_start("today", NOW, ZAGREB) == datetime(2026, 11, 3, 23, 0, tzinfo=UTC)
    assert dashboard.range_start("7d", NOW, ZAGREB) == NOW - timedelta(days=7)
    assert dashboard.range_start("90d", NOW, ZAGREB) == NOW - timedelta(days=90)


def test_cli_report_prints_the_extra_figures(desk):
    _history()
    runner = CliRunner()
    with clock.frozen_at(NOW):
        base = ["--db", str(desk), "--as", "ana", "report", "--since", "3d"]
        result = runner.invoke(app, [*base, "--json"])
        text = runner.invoke(app, base)
    body = json.loads(result.stdout)
    assert body["backlog_by_day"] == {
        "2026-11-01": 0, "2026-11-02": 2, "2026-11-03": 2, "2026-11-04": 2,
    }
    assert body["backlog_by_team"] == {"tier1": 2}
    assert body["mine"] == {"agent": "ana", "open_assigned": 1, "breached_assigned": 0}
    assert body["sla_today"]["breaches"] == 0 and body["created"] == 3
    out = text.stdout
    assert text.exit_code == 0
    assert "Backlog by team" in out and "Open assigned to ana" in out
    day_rows = [
        line.replace("│", " ").split()
        for line in out.splitlines()
        if line.strip().startswith("2026-11-0")
    ]
    assert day_rows == [
        ["2026-11-01", "0", "0"], ["2026-11-02", "2", "2"],
        ["2026-11-03", "1", "2"], ["2026-11-04", "0", "2"],
    ]
