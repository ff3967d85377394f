"""What a user sees at first glance at 80x24 and after a resize: the queue table's header,
the views sidebar's counts, the reports header and the rules' When/Then (read off the drawn
screen, Pilot)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_helpers import screen_lines, settle

from deskterm import clock
from deskterm.app import make_app
from deskterm.store.models import Rule, Ticket
from deskterm.widgets.ticket_table import TicketTable


def _header_row(lines: list[str]) -> str:
    return next(line for line in lines if "Ref" in line and "Subject" in line)


async def test_queue_header_follows_the_columns_after_a_resize(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TicketTable)
        await pilot.press("j", "j")
        await settle(pilot)
        ticket = table.current.id
        assert "Queue" in _header_row(screen_lines(app))
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        lines = screen_lines(app)
        header = _header_row(lines)
        row = next(line for line in lines if line.lstrip().startswith(f"#{ticket}"))
        # the rows dropped the queue column at 80 columns: so did the header, and each
        # title stands over its column (the assignee's name starts under "Assignee")
        assert "Queue" not in header
        assignee = table.current.assignee or "—"
        assert row.index(f" {assignee}") + 1 == header.index("Assignee")
        assert table.current.id == ticket
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert "Queue" in _header_row(screen_lines(app))
        assert table.current.id == ticket


def _sidebar(lines: list[str]) -> list[str]:
    """The views sidebar's numbered rows, each cut at the sidebar's edge."""
    rows = [line.split("▕")[0].strip() for line in lines if "▕" in line]
    return [row for row in rows if row[:2].strip().isdigit()]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_long_view_name_is_cut_so_its_count_stays_in_the_column(demo_db, size):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, 5)
        if size[0] == 80:  # the sidebar starts hidden there: V shows it
            await pilot.press("V")
            await settle(pilot)
        rows = _sidebar(screen_lines(app))
        assert len(rows) == 8
        # every count right-aligned in one column as wide as the widest count ("209"),
        # a space before it: a name that reaches into that column is cut with …
        ends = {len(row) for row in rows}
        assert len(ends) == 1
        widest = max(len(row.rsplit(" ", 1)[1]) for row in rows)
        assert widest == 3
        assert all(row[-widest - 1 :][0] == " " for row in rows)
        recent = next(row for row in rows if row.startswith("6 "))
        assert recent[: -widest - 1].rstrip() == "6 Recently upda…"  # 20 cells: 2+14+1+3
        assert next(row for row in rows if row.startswith("1 ")).startswith("1 My open  ")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_reports_header_shows_both_ends_of_its_range(demo_db, size):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot, 5)
        screen = app.screen
        start = screen.data.start.astimezone(app.tz)
        end = screen.data.end.astimezone(app.tz)
        shown = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {end:%Z}"
        lines = screen_lines(app)
        keys = next(n for n, line in enumerate(lines) if " w 7 days " in line)
        assert "queue: all (f)" in lines[keys]
        if size[0] == 80:  # too long for one line: the range goes on a line of its own
            assert lines[keys + 1].strip() == shown
        else:
            assert lines[keys].rstrip().endswith(f"queue: all (f)  · {shown}")
        await pilot.resize_terminal(*((160, 45) if size[0] == 80 else (80, 24)))
        await settle(pilot)
        lines = screen_lines(app)
        assert any(line.strip() == shown for line in lines) == (size[0] != 80)
        assert any(line.rstrip().endswith(shown) for line in lines)


async def test_the_rules_screen_shows_the_highlighted_rules_when_and_then_at_80_columns(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        lines = [line.rstrip() for line in screen_lines(app)]
        # the table is cut at "When" at 80 columns; below it the highlighted rule in full
        assert any(line.startswith(" 2  Escalate urgent first-response") for line in lines)
        assert "Then" not in next(line for line in lines if line.startswith(" #  Rule"))
        title = lines.index(" Escalate urgent first-response breaches  (on)")
        description = " An urgent ticket nobody answered in time goes to the team lead."
        assert lines[title + 1] == description
        assert lines[title + 2] == " When  first response breached"
        assert lines[title + 3] == " Then  add_tags, notify"
        # the demo's hits depend on the hour it was seeded: read them from the rule's row
        hits = Rule.get(Rule.name == "Escalate urgent first-response breaches").hit_count
        assert hits > 0
        last_run = lines[title + 4]
        assert last_run.startswith(" Last run ") and last_run.endswith(f" · {hits} hits")
        assert all(len(line) <= 80 for line in lines)
        await pilot.press("down")
        await settle(pilot)
        lines = [line.rstrip() for line in screen_lines(app)]
        title = lines.index(" Warn before the SLA runs out  (on)")
        assert lines[title + 2] == " When  sla due in 30m"


async def test_the_sidebar_fits_its_labels_when_a_resize_brings_it_back(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 5)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        rows = _sidebar(screen_lines(app))
        # "Recently updated" is newer:1d, so its count follows the clock: count the rows
        since = clock.to_db(clock.now() - timedelta(days=1))
        recent = Ticket.select().where(Ticket.updated_at >= since).count()
        assert 0 < recent < 10
        assert next(row for row in rows if row.startswith("6 ")) == f"6 Recently upda…   {recent}"


async def test_every_screen_names_itself_in_the_header_and_its_help(demo_db):
    """The header says where the agent is (as Canned replies and Reports did, and the
    rules screen did not: it kept the queue's "Ana Anić (ana)"), and `?` names it alike."""
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, name, keys in (("C", "Canned replies", "Keys: canned replies"),
                                ("R", "Reports", "Keys: reports"),
                                ("L", "Automation rules", "Keys: automation rules")):
            await pilot.press(key)
            await settle(pilot)
            assert screen_lines(app)[0].strip().endswith(f"deskterm — {name}"), key
            await pilot.press("question_mark")
            await settle(pilot)
            assert any(keys in line for line in screen_lines(app)), key
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
