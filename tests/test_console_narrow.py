"""What a user sees at first glance at 80x24 and after a resize: the queue table's header,
the views sidebar's counts, the reports header and the rules' When/Then (read off the drawn
screen, Pilot)."""

from __future__ import annotations

from console_helpers import screen_lines, settle

from deskterm.app import make_app
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

