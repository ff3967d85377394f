"""The queue's first page read while Textual loads (`deskterm.first_page`, as bare
`deskterm` starts it): its rows and the Ref column's width are in the table's first frame,
the table pages on from the same pager, and a page read for another agent, a read that
failed or one still running never shows wrong rows (Pilot, the real desk)."""

from __future__ import annotations

from console_helpers import screen_lines, settle
from test_console_ref_column import _assert_under_titles, _big_ticket

from deskterm import first_page
from deskterm.app import make_app
from deskterm.services import directory
from deskterm.services.desk import DatabaseError
from deskterm.services.finding import listing, views
from deskterm.widgets.ticket_table import PAGE_SIZE, TicketTable

DEFAULT_QUERY = next(v.query for v in views.BUILTIN_VIEWS if v.name == first_page.DEFAULT_VIEW)


def _noting_first_lines(monkeypatch) -> list[str | None]:
    """The ref of each line the ticket table draws (None: a line without its row yet)."""
    drawn: list[str | None] = []
    draw = TicketTable.render_line

    def render_line(self, y):
        row = self.row_at(int(self.scroll_y) + y)
        if y < self.total:
            drawn.append(row.ref if row else None)
        return draw(self, y)

    monkeypatch.setattr(TicketTable, "render_line", render_line)
    return drawn


def _open_queue_in_order(actor) -> list[int]:
    return [row.id for row in listing.list_tickets(DEFAULT_QUERY, actor=actor, limit=PAGE_SIZE)]


async def test_the_rows_read_ahead_are_in_the_first_frame_and_the_table_pages_on(
    demo_db, monkeypatch
):
    ana = directory.actor_for("ana")
    expected = _open_queue_in_order(ana)
    ahead = first_page.start(ana)
    assert [row.id for row in ahead.rows.result(timeout=30)] == expected
    drawn = _noting_first_lines(monkeypatch)
    app = make_app(demo_db, "ana", watch_interval=None, first_page=ahead)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(TicketTable)
        assert table.loaded  # in as the screen mounted, before anything was drawn
        await settle(pilot)
        assert drawn and drawn[0] == f"#{expected[0]}"
        assert None not in drawn  # never a "loading" line
        assert table.source.pager is ahead.pager  # keyset paging goes on from that read
        assert table.row_at(0) is ahead.rows.result()[0]  # not read again
        assert table.counted and table.total == listing.count_tickets(DEFAULT_QUERY, actor=ana)
        assert app.first_page is None  # taken once


async def test_the_ref_column_is_as_wide_as_the_highest_id_read_ahead(demo_db, monkeypatch):
    _big_ticket()  # #1000000, new, so at the top of the open queue
    ahead = first_page.start(directory.actor_for("ana"))
    assert ahead.highest_id.result(timeout=30) == 1_000_000
    ahead.rows.result(timeout=30)
    drawn = _noting_first_lines(monkeypatch)
    app = make_app(demo_db, "ana", watch_interval=None, first_page=ahead)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.screen.query_one(TicketTable).ref_width == 8  # before the first frame
        await settle(pilot)
        assert drawn[0] == "#1000000"
        _assert_under_titles(screen_lines(app), "#1000000", 8)


async def test_a_page_read_ahead_for_another_agent_is_not_shown(demo_db):
    ana = directory.actor_for("ana")
    ahead = first_page.start(directory.actor_for("marko"))
    ahead.rows.result(timeout=30)
    app = make_app(demo_db, "ana", watch_interval=None, first_page=ahead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TicketTable)
        assert table.source.pager is not ahead.pager
        assert table.row_at(0).id == _open_queue_in_order(ana)[0]


async def test_a_failed_read_ahead_leaves_the_table_to_read_its_rows(demo_db):
    ana = directory.actor_for("ana")
    ahead = first_page.FirstPage(DEFAULT_QUERY, ana)  # as a read that met a locked file
    for future in (ahead.rows, ahead.highest_id):
        future.set_exception(DatabaseError("database is locked"))
    app = make_app(demo_db, "ana", watch_interval=None, first_page=ahead)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TicketTable)
        assert table.error is None and table.counted
        assert [table.row_at(i).id for i in range(3)] == _open_queue_in_order(ana)[:3]
        assert "locked" not in "\n".join(screen_lines(app))
        assert app.unexpected_errors == []


async def test_the_table_waits_for_a_read_ahead_still_running(demo_db, monkeypatch):
    """Not in yet as the screen mounts: the table shows it when it comes, not a read of
    its own (the read starts only after the app is running here)."""
    ana = directory.actor_for("ana")
    ahead = first_page.FirstPage(DEFAULT_QUERY, ana)
    app = make_app(demo_db, "ana", watch_interval=None, first_page=ahead)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(TicketTable)
        assert not table.loaded
        ahead.start()
        await settle(pilot)
        assert table.loaded and table.source.pager is ahead.pager
        assert table.row_at(0) is ahead.rows.result()[0]
        assert table.row_at(0).id == _open_queue_in_order(ana)[0]
