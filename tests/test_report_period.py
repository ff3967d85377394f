"""The report's default period as a CET agent reads it, computed by hand: `deskterm report`
and the console's reports screen say where it starts and ends in the agent's zone, and the
screen's end keeps up with the clock while it stays open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console_helpers import settle
from typer.testing import CliRunner

from deskterm import clock
from deskterm.app import make_app
from deskterm.cli import app as cli_app
from deskterm.screens.reports import ReportsScreen
from deskterm.services import directory

# 18:54 UTC on 1 December 2026 is 19:54 in Zagreb (CET, UTC+01:00; summer time ended on
# 25 October, so 30 days back, 1 November, is CET too).
NOW = datetime(2026, 12, 1, 18, 54, tzinfo=UTC)


def _report_line(desk, *args: str) -> str:
    result = CliRunner().invoke(cli_app, ["--db", str(desk), "report", *args],
                                env={"DESKTERM_AGENT": ""})
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[0]


def test_deskterm_report_writes_its_default_period_in_the_agents_zone(desk):
    directory.update_agent(directory.actor_for("ana"), "ana", timezone="Europe/Zagreb")
    with clock.frozen_at(NOW):
        assert _report_line(desk) == "Report 2026-11-01 19:54 +01:00 – 2026-12-01 19:54 +01:00"
        assert _report_line(desk, "--since", "7d") == \
            "Report 2026-11-24 19:54 +01:00 – 2026-12-01 19:54 +01:00"
        assert _report_line(desk, "--utc") == \
            "Report 2026-11-01 18:54 +00:00 – 2026-12-01 18:54 +00:00"


def _range(screen: ReportsScreen) -> str:
    return str(screen.query_one("#report-range").content).split("  · ")[-1].strip()


async def test_the_reports_screen_period_is_in_the_agents_zone_and_keeps_up(demo_db,
                                                                           monkeypatch):
    monkeypatch.setattr(ReportsScreen, "REFRESH_SECONDS", 0.3)
    assert directory.get_agent("ana").timezone == "Europe/Zagreb"
    with clock.frozen_at(NOW):
        app = make_app(demo_db, "ana", watch_interval=None)
        async with app.run_test(size=(160, 45)) as pilot:
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReportsScreen)
            assert _range(screen) == "2026-11-24 19:54 – 2026-12-01 19:54 CET"
            await pilot.press("d")
            await settle(pilot)
            assert _range(screen) == "2026-12-01 00:00 – 2026-12-01 19:54 CET"
            # Ten minutes later, nothing changed on the desk, the screen still open: the
            # period ends now (20:04 CET), not when the screen was opened.
            with clock.frozen_at(NOW + timedelta(minutes=10)):
                await pilot.pause(0.8)
                await settle(pilot)
                assert _range(screen) == "2026-12-01 00:00 – 2026-12-01 20:04 CET"


def test_a_period_that_ends_before_it_starts_is_refused_in_one_line(desk):
    directory.update_agent(directory.actor_for("ana"), "ana", timezone="Europe/Zagreb")
    with clock.frozen_at(NOW):
        for args in (["--since", "1d", "--until", "3 days ago"], ["--since", "tomorrow"]):
            result = CliRunner().invoke(cli_app, ["--db", str(desk), "report", *args],
                                        env={"DESKTERM_AGENT": ""})
            assert (result.exit_code, result.stdout) == (2, ""), args
            assert result.stderr == (
                "deskterm: error: the report's period ends before it starts: "
                "2026-12-02 00:00 +01:00 is after 2026-12-01 19:54 +01:00\n"
                if args[1] == "tomorrow" else
                "deskterm: error: the report's period ends before it starts: "
                "2026-11-30 19:54 +01:00 is after 2026-11-28 19:54 +01:00\n"), args
