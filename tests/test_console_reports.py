"""The reports screen shows the same figures as `deskterm report` for the same desk (Pilot)."""

from __future__ import annotations

import json
from datetime import timedelta

from console_helpers import settle
from rich.console import Console
from typer.testing import CliRunner

from deskterm import clock
from deskterm.app import make_app
from deskterm.cli import app as cli_app
from deskterm.screens.dialogs import PickerDialog
from deskterm.screens.help import binding_rows
from deskterm.screens.queue import QueueScreen
from deskterm.screens.reports import ReportsScreen
from deskterm.services.reporting import dashboard
from deskterm.widgets.bar_chart import BarChart

SIZE = (160, 45)


def panel_rows(screen, selector: str) -> dict[str, str]:
    """A figure panel as the agent reads it: label -> value, from the rendered text."""
    console = Console(width=70, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen.query_one(selector).content)
    rows = {}
    for line in console.export_text().splitlines():
        label, _, value = line.strip().partition("  ")
        if label:
            rows[label.strip()] = value.strip()
    return rows


def cli_report(db_path, *args) -> dict:
    result = CliRunner().invoke(
        cli_app, ["--db", str(db_path), "--as", "ana", "report", *args, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_same_figures(screen: ReportsScreen, cli: dict) -> None:
    fmt = dashboard.human_minutes
    summary = panel_rows(screen, "#report-summary")
    assert summary["Tickets created"] == str(cli["created"])
    assert summary["Tickets resolved"] == str(cli["resolved"])
    assert summary["Backlog now"] == str(sum(cli["backlog_by_status"].values()))
    assert summary["First response med/p90"] == (
        f"{fmt(cli['first_response']['median'])} / {fmt(cli['first_response']['p90'])}"
    )
    assert summary["Resolution med/p90"] == (
        f"{fmt(cli['resolution']['median'])} / {fmt(cli['resolution']['p90'])}"
    )
    if cli["sla_compliance"] is not None:
        assert summary["SLA met"] == (
            f"{cli['sla_compliance']}% ({cli['sla_met']}/{cli['sla_tickets']})"
        )
    mine = panel_rows(screen, "#report-mine")
    ana = next((a for a in cli["agents"] if a["agent"] == "ana"), None)
    assert mine["Replies"] == str(ana["replies"] if ana else 0)
    assert mine["Resolved"] == str(ana["resolved"] if ana else 0)
    assert mine["Open assigned now"] == str(cli["mine"]["open_assigned"])
    assert mine["… of them breached"] == str(cli["mine"]["breached_assigned"])
    sla = panel_rows(screen, "#report-sla")
    assert sla == {
        "Breaches today": str(cli["sla_today"]["breaches"]),
        "Targets due today": str(cli["sla_today"]["due_today"]),
    }
    bars = {b.id: dict(b.items) for b in screen.query(BarChart)}
    assert bars["bars-status"] == {
        k.replace("_", " "): v for k, v in cli["backlog_by_status"].items()
    }
    assert bars["bars-age"] == cli["backlog_by_age"]
    assert bars["bars-team"] == cli["backlog_by_team"]
    assert bars["bars-queue"] == cli["created_by_queue"]
    assert bars["bars-replies"] == {a["agent"]: a["replies"] for a in cli["agents"]}
    assert bars["bars-resolved"] == {a["agent"]: a["resolved"] for a in cli["agents"]}
    days = list(cli["backlog_by_day"])
    assert screen.query_one("#backlog-spark").data == list(cli["backlog_by_day"].values())
    assert screen.query_one("#volume-spark").data == [
        cli["created_by_day"].get(d, 0) for d in days
    ]


async def test_reports_screen_matches_the_cli_for_every_range_and_a_queue(demo_db):
    now = clock.now()
    with clock.frozen_at(now):
        app = make_app(demo_db, "ana", watch_interval=None)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)
            await pilot.press("R")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReportsScreen) and screen.range_key == "7d"
            assert screen.data.start == now - timedelta(days=7) and screen.data.end == now
            assert_same_figures(screen, cli_report(demo_db, "--since", "7d"))
            assert sum(screen.query_one("#volume-spark").data) == screen.data.report.created
            await pilot.press("m")
            await settle(pilot)
            assert screen.data.start == now - timedelta(days=30)
            assert_same_figures(screen, cli_report(demo_db, "--since", "30d"))
            await pilot.press("d")
            await settle(pilot)
            midnight = dashboard.start_of_day(now, app.tz)
            assert (screen.range_key, screen.data.start) == ("today", midnight)
            assert_same_figures(screen, cli_report(demo_db, "--since", midnight.isoformat()))
            await pilot.press("q")
            await settle(pilot)
            assert screen.data.start == now - timedelta(days=90)
            assert len(screen.data.extras.backlog_by_day) == 91
            # ] and [ step through the ranges, stopping at the ends
            await pilot.press("right_square_bracket")
            await settle(pilot)
            assert screen.range_key == "90d"
            await pilot.press("left_square_bracket", "left_square_bracket")
            await settle(pilot)
            assert screen.range_key == "7d"
            # f: one queue
            await pilot.press("f")
            await settle(pilot)
            assert isinstance(app.screen, PickerDialog)
            await pilot.press(*"billing", "enter")
            await settle(pilot)
            assert screen.queue == "billing" and screen.data.queue == "billing"
            assert_same_figures(screen, cli_report(demo_db, "--since", "7d", "--queue", "billing"))
            range_bar = str(screen.query_one("#report-range").content)
            assert "queue: billing (f)" in range_bar and "loading" not in range_bar
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert screen.data.queue == "billing"
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)


async def test_reports_help_palette_and_narrow_layout(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.has_class("-narrow")
        rows = dict((text, keys) for keys, text in binding_rows(screen))
        for text, keys in {
            "Today": "d", "7 days": "w", "30 days": "m", "90 days": "q", "Queue": "f",
            "Longer": "]", "Shorter": "[", "Refresh": "^r", "Back": "esc",
        }.items():
            assert rows[text] == keys, text
        await pilot.press("question_mark")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await settle(pilot)
        # the palette reaches the reports from the ticket screen too
        await pilot.press("escape", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TicketScreen"
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Reports")
        await settle(pilot, rounds=5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
