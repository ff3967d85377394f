"""Console: go to a ticket from anywhere, recent tickets, and the header timer (Pilot)."""

from __future__ import annotations

from datetime import timedelta

from console_helpers import settle
from typer.testing import CliRunner

from deskterm import clock
from deskterm.app import make_app
from deskterm.cli import app as cli_app
from deskterm.screens.goto import GotoDialog, ref_number
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.services import directory, tickets, timers
from deskterm.services.finding import recent
from deskterm.store.models import ActiveTimer
from deskterm.widgets.ticket_table import TicketTable
from deskterm.widgets.timer import TimerBadge

SIZE = (120, 40)


def test_ref_number_accepts_the_ways_agents_type_refs():
    assert [ref_number(t) for t in ("#42", "42", " # 7 ", "#4x", "", "abc")] == [
        42, 42, 7, None, None, None,
    ]


async def test_colon_and_hash_open_a_ticket_by_number_from_queue_and_ticket(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("number_sign")
        await settle(pilot)
        assert isinstance(app.screen, GotoDialog)
        assert app.screen.query_one("#goto-input").value == "#"
        await pilot.press(*"12", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 12
        await pilot.press("colon")
        await settle(pilot)
        assert isinstance(app.screen, GotoDialog)
        await pilot.press(*"30", "enter")
        await settle(pilot)
        # the old ticket screen is replaced, not stacked
        assert [type(s).__name__ for s in app.screen_stack] == ["QueueScreen", "TicketScreen"]
        assert app.screen.ticket_id == 30 and app.screen.detail.id == 30
        assert [r.id for r in recent.recent_tickets("ana")] == [30, 12]
        # the recent list: enter on an empty input opens the first recent ticket
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("colon")
        await settle(pilot)
        labels = [
            app.screen.query_one("#goto-recent").get_option_at_index(i).prompt.plain
            for i in range(2)
        ]
        assert labels[0].split()[0] == "#30" and labels[1].split()[0] == "#12"
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert app.screen.ticket_id == 12
        # a bad ref keeps the dialog open with an error; escape cancels
        await pilot.press("colon", *"abc", "enter")
        await settle(pilot)
        assert isinstance(app.screen, GotoDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 12
        # an unknown ticket: an error, nothing opened
        await pilot.press("number_sign", *"99999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 12
        assert any("no ticket #99999" in str(n.message) for n in app._notifications)


async def test_palette_opens_a_ticket_typed_as_ref(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"#25")
        await settle(pilot, rounds=5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 25


async def test_console_starts_on_a_ticket(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None, open_ticket=7)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 7
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


def test_cli_console_ref_argument(demo_db, monkeypatch):
    started = []
    import importlib

    monkeypatch.setattr(
        importlib.import_module("deskterm.cli.console"),
        "launch",
        lambda db_path, agent, *, light=False, open_ticket=None: started.append(
            (agent, open_ticket)
        ),
    )
    runner = CliRunner()
    base = ["--db", str(demo_db), "--as", "ana", "console"]
    assert runner.invoke(cli_app, [*base, "#42"]).exit_code == 0
    assert started == [("ana", 42)]
    bad = runner.invoke(cli_app, [*base, "abc"])
    assert bad.exit_code == 2 and "not a ticket reference: 'abc'" in bad.stderr
    missing = runner.invoke(cli_app, [*base, "99999"])
    assert missing.exit_code == 1 and "no ticket #99999" in missing.stderr
    assert started == [("ana", 42)]


async def test_timer_key_starts_shows_and_stops_and_logs_time(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ticket_id = app.screen.query_one(TicketTable).current.id
        before = tickets.time_spent(ticket_id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert timers.running_timer("ana").ticket_id == ticket_id
        badge = app.screen.query_one(TimerBadge)
        badge.tick()
        assert str(badge.render()).startswith(f"● #{ticket_id} 0:00:0")
        # three minutes later (the row's start moved back), T stops and logs 3 minutes
        ActiveTimer.update(
            started_at=clock.to_db(clock.now() - timedelta(minutes=3))
        ).execute()
        await pilot.press("T")
        await settle(pilot)
        assert timers.running_timer("ana") is None
        assert tickets.time_spent(ticket_id) == before + 3
        badge.tick()
        assert str(badge.render()) == ""
        # T on the queue times the ticket under the cursor
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert timers.running_timer("ana").ticket_id == ticket_id
        assert str(app.screen.query_one(TimerBadge).render()).startswith(f"● #{ticket_id}")


async def test_timer_started_elsewhere_shows_after_restart(demo_db):
    timers.start_timer(directory.actor_for("ana"), 5)
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.running_timer.ticket_id == 5
        badge = app.screen.query_one(TimerBadge)
        badge.tick()
        assert str(badge.render()).startswith("● #5 ")


def test_a_recent_ticket_is_one_row_whatever_its_subject():
    # A 2,000-letter subject made one recent ticket fill the whole "Go to ticket" list.
    from datetime import UTC, datetime

    from deskterm.domain import Priority, Status, TicketRow
    from deskterm.screens.goto import row_label
    from deskterm.widgets import display

    display.set_bidi_mode("reorder")
    moment = datetime(2026, 12, 1, tzinfo=UTC)

    def row(subject: str, requester: str) -> TicketRow:
        return TicketRow(id=7, subject=subject, status=Status.NEW, priority=Priority.NORMAL,
                         queue="general", requester=requester, requester_email="r@x.ba",
                         assignee=None, team=None, version=1,
                         created_at=moment, updated_at=moment)

    long = row("Z" * 2000 + "\x1b[2J", "Иван " * 100)
    assert row_label(long).plain == f"     #7 new       {'Z' * 49}…  {'Иван ' * 4}Ива…"
    persian = row("فاکتور (نوامبر)", "Reza")
    assert row_label(persian).plain == "     #7 new       (ربماون) روتکاف  Reza"
