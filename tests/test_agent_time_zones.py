"""A human time means one instant in every face: `tomorrow 9:00` is 9:00 in the acting
agent's zone, in the CLI and in the console alike, and the CLI prints times in that zone
with its offset (`--utc` for UTC).

The instants are computed by hand: at 2026-12-01 12:00 UTC it is 13:00 in Zagreb
(CET, +01:00) and 15:30 in Tehran (IRST, +03:30, no DST since 2022), so `tomorrow 9:00` is
2026-12-02 08:00 UTC for a Zagreb agent and 2026-12-02 05:30 UTC for a Tehran agent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from textual.widgets import Input
from typer.testing import CliRunner

from deskterm import clock
from deskterm.app import make_app
from deskterm.cli import app as cli
from deskterm.domain import Actor
from deskterm.services import directory, tickets

SYSTEM = Actor.system("test")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

ZONES = {
    # zone: tomorrow 9:00 as UTC, as the CLI prints it, a minute before and after NOW there
    "Europe/Zagreb": (datetime(2026, 12, 2, 8, 0, tzinfo=UTC), "2026-12-02 09:00 +01:00",
                      "today 12:59", "today 13:01"),
    "Asia/Tehran": (datetime(2026, 12, 2, 5, 30, tzinfo=UTC), "2026-12-02 09:00 +03:30",
                    "today 15:29", "today 15:31"),
}


@pytest.fixture(params=list(ZONES))
def zoned(request, desk):
    """The desk with ana in the zone under test, one ticket created at NOW, the clock frozen."""
    directory.update_agent(SYSTEM, "ana", timezone=request.param)
    with clock.frozen_at(NOW):
        ticket = tickets.create_ticket(SYSTEM, subject="Printer", body="b", queue="general",
                                       requester_email="tea@example.hr")
        yield request.param, ticket.id


def _cli(desk, *args):
    return CliRunner().invoke(cli, ["--db", str(desk), "--as", "ana", *args])


def test_the_cli_reads_and_prints_human_times_in_the_agents_zone(desk, zoned):
    zone, ticket_id = zoned
    instant, printed, _, _ = ZONES[zone]
    result = _cli(desk, "ticket", "snooze", str(ticket_id), "tomorrow 9:00")
    assert (result.exit_code, result.stdout) == (0, f"#{ticket_id} snoozed until {printed}\n")
    assert tickets.get_ticket(ticket_id).snoozed_until == instant
    utc = _cli(desk, "ticket", "snooze", str(ticket_id), "tomorrow 9:00", "--utc")
    assert utc.stdout == f"#{ticket_id} snoozed until {instant:%Y-%m-%d %H:%M} +00:00\n"
    shown = _cli(desk, "ticket", "show", str(ticket_id)).stdout
    assert f"snoozed until {printed}" in shown
    assert json.loads(_cli(desk, "ticket", "show", str(ticket_id), "--json").stdout)[
        "snoozed_until"
    ] == instant.isoformat()


def test_a_snooze_time_in_the_past_is_named_in_the_agents_zone(desk, zoned):
    # It said `snooze time 2026-12-01 11:00 UTC is in the past` to an agent in Zagreb.
    zone, ticket_id = zoned
    past = {"Europe/Zagreb": "2026-12-01 12:00 +01:00",  # 11:00 UTC
            "Asia/Tehran": "2026-12-01 14:30 +03:30"}[zone]
    with clock.frozen_at(NOW):
        result = _cli(desk, "ticket", "snooze", str(ticket_id), "1 hour ago")
    assert (result.exit_code, result.stderr) == (
        2, f"deskterm: error: {past} is in the past: snooze needs a later time\n")
    assert tickets.get_ticket(ticket_id).snoozed_until is None


def test_the_audit_trail_prints_a_snooze_time_in_the_agents_zone(desk, zoned):
    # The After column said 2026-12-02T08:00:00+00:00 beside times in the agent's zone.
    zone, ticket_id = zoned
    instant, printed, _, _ = ZONES[zone]
    with clock.frozen_at(NOW):
        assert _cli(desk, "ticket", "snooze", str(ticket_id), "tomorrow 9:00").exit_code == 0
    table = _cli(desk, "ticket", "events", str(ticket_id), "--columns", "action,after")
    assert [line.split("│")[1].strip() for line in table.stdout.splitlines()
            if line.startswith(" snoozed ")] == [printed]
    csv = _cli(desk, "ticket", "events", str(ticket_id), "--columns", "action,after",
               "--format", "csv").stdout
    assert f"snoozed,{printed[:10]}T09:00:00{printed[-6:]}" in csv.splitlines()
    [event] = [e for e in json.loads(_cli(desk, "ticket", "events", str(ticket_id),
                                          "--json").stdout) if e["action"] == "snoozed"]
    assert event["after"] == instant.isoformat()  # JSON keeps ISO 8601 UTC


def test_the_console_activity_shows_a_breach_time_in_the_agents_zone():
    from zoneinfo import ZoneInfo

    from deskterm.domain import EventRecord
    from deskterm.widgets.activity import activity_line

    breach = EventRecord(id=1, ticket_id=7, actor="system:sla", at=NOW, action="sla_breach",
                         field="first_response", before=None,
                         after="2026-12-01T10:49:55+00:00")
    assert activity_line(breach, ZoneInfo("Asia/Tehran")).plain == (
        "2026-12-01 15:30 +03:30  system:sla  sla_breach  — → 2026-12-01 14:19 +03:30")
    narrow = activity_line(breach, ZoneInfo("Europe/Zagreb"), width=40).plain
    assert narrow.splitlines()[-1] == "  → 2026-12-01 11:49 +01:00"


def test_filter_times_mean_the_same_instant_in_the_cli(desk, zoned):
    zone, ticket_id = zoned
    before, after = ZONES[zone][2:]
    assert _cli(desk, "ticket", "list", "--created-after", before, "--ids").stdout == (
        f"#{ticket_id}\n"
    )
    assert _cli(desk, "ticket", "list", "--created-after", after, "--ids").stdout == ""
    assert _cli(desk, "ticket", "list", "-q", f'created<"{after}"', "--ids").stdout == (
        f"#{ticket_id}\n"
    )


async def test_the_console_snoozes_to_the_same_instant(desk, zoned):
    zone, ticket_id = zoned
    instant = ZONES[zone][0]
    app = make_app(desk, "ana", watch_interval=None, open_ticket=ticket_id)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("z")
        await pilot.pause()
        await pilot.press(*"tomorrow 9:00", "enter")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
    assert tickets.get_ticket(ticket_id).snoozed_until == instant


async def test_the_console_filter_bar_reads_times_in_the_agents_zone(desk, zoned):
    zone, _ = zoned
    app = make_app(desk, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        totals = []
        for local in ZONES[zone][2:]:
            await pilot.press("slash")
            app.screen.query_one("#filter", Input).value = f'created>"{local}"'
            await pilot.press("enter")
            for _ in range(3):
                await pilot.pause()
                await app.workers.wait_for_complete()
            totals.append(app.screen.query_one("TicketTable").total)
    assert totals == [1, 0]


async def test_the_console_shows_times_in_the_agents_zone_with_its_offset(desk, zoned):
    # The header, the thread and the activity once said `2026-12-01 13:00`: a colleague in
    # another zone could not tell which zone that was. Now as the CLI writes it.
    from console_helpers import screen_lines, settle

    zone, ticket_id = zoned
    local = {"Europe/Zagreb": "2026-12-01 13:00 +01:00",
             "Asia/Tehran": "2026-12-01 15:30 +03:30"}[zone]
    assert f"created {local}" in _cli(desk, "ticket", "show", str(ticket_id)).stdout
    app = make_app(desk, "ana", watch_interval=None, open_ticket=ticket_id)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        shown = "\n".join(screen_lines(app))
        assert f"created {local}  ·  updated {local}" in shown  # the header
        assert f"Customer  ·  tea@example.hr  ·  {local}" in shown  # the thread entry
        await pilot.press("e")
        await settle(pilot)
        assert any(line.strip().startswith(f"{local}  ") for line in screen_lines(app))
