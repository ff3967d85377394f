"""The queue table's Ref column is as wide as the desk's highest reference: on a desk past
a million tickets `#1000000` reads whole at 120x40 and 80x24, the header stays over its
columns (also after a resize), and a small desk keeps its 6-cell column (read off the drawn
screen, Pilot)."""

from __future__ import annotations

import pytest
from console_helpers import screen_lines, settle

from deskterm.app import make_app
from deskterm.services import directory, tickets
from deskterm.services.finding import listing
from deskterm.store.db import db, is_postgres
from deskterm.widgets.ticket_table import TicketTable

BIG = 1_000_000


def _raise_ticket_ids(to: int) -> None:
    """The next ticket gets id `to` (as on a desk that has made a million tickets)."""
    if is_postgres():
        db.execute_sql("SELECT setval(pg_get_serial_sequence('ticket', 'id'), ?)", (to - 1,))
    else:
        db.execute_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = 'ticket'", (to - 1,))


def _big_ticket() -> int:
    _raise_ticket_ids(BIG)
    ticket = tickets.create_ticket(
        directory.actor_for("ana"),
        subject="Printer on the second floor prints blank pages",
        body="Since this morning every page comes out blank.",
        requester_email="edin@example.com",
        priority="high",
    )
    return ticket.id


def _header_row(lines: list[str]) -> str:
    return next(line for line in lines if "Ref" in line and "Subject" in line)


def _row(lines: list[str], ref: str) -> str:
    return next(line for line in lines if f"{ref} " in line)


def _assert_ref_and_priority(lines: list[str], ref: str, ref_width: int, priority: str) -> None:
    """`ref` whole under "Ref" in a column `ref_width` cells wide, its priority under "Prio"."""
    header, row = _header_row(lines), _row(lines, ref)
    assert row.index(ref) == header.index("Ref")
    prio = header.index("Prio")
    assert prio - header.index("Ref") == ref_width + 1
    assert row[prio:].startswith(f"{priority} ")


def _assert_under_titles(lines: list[str], ref: str, ref_width: int) -> None:
    """`ref` whole under "Ref", its priority and status under their titles."""
    _assert_ref_and_priority(lines, ref, ref_width, "high")
    row = _row(lines, ref)
    status = _header_row(lines).index("Status")
    assert row[status:].startswith("new ")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_seven_digit_ref_shows_whole_under_its_title(demo_db, size):
    ticket = _big_ticket()
    assert ticket == BIG
    assert listing.highest_ticket_id() == BIG
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        assert "#1000…" not in "\n".join(lines)
        _assert_under_titles(lines, "#1000000", 8)
        assert all(len(line) == size[0] for line in lines)
        if size[0] == 80:  # as on a small desk: the requester and queue give way there
            header = _header_row(lines)
            assert "Requester" not in header and "Queue" not in header
            assert "Assignee" in header and "Updated" in header
            # the subject keeps at least its 20 cells: from its title to the next title
            subject = header.index("Subject")
            assert header.index("Assignee") - subject >= 21


async def test_the_wide_ref_column_survives_a_resize(demo_db):
    _big_ticket()
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        _assert_under_titles(screen_lines(app), "#1000000", 8)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        _assert_under_titles(screen_lines(app), "#1000000", 8)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        lines = screen_lines(app)
        _assert_under_titles(lines, "#1000000", 8)
        assert "Queue" in _header_row(lines)


async def test_a_ticket_made_after_the_console_started_widens_the_column(demo_db):
    """The highest id is read once; a longer ref arriving later widens the column as its
    row is drawn, never cut."""
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TicketTable)
        header = _header_row(screen_lines(app))
        assert header.index("Prio") - header.index("Ref") == 7
        _big_ticket()
        table.reload()
        await settle(pilot)
        _assert_under_titles(screen_lines(app), "#1000000", 8)


async def test_a_small_desk_keeps_its_six_cell_ref_column(demo_db):
    highest = listing.highest_ticket_id()
    assert 0 < highest < 100_000  # the demo: refs of at most 6 cells ("#" and 5 digits)
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TicketTable)
        row = table.current
        _assert_ref_and_priority(screen_lines(app), row.ref, 6, row.priority.value)


async def test_the_column_fits_the_desks_highest_ref_before_its_row_shows(demo_db):
    """The widest ref is the desk's highest id, read once through a service: the open
    tickets' list is 8 cells wide while #1000000 itself (resolved) is not in it."""
    ticket = _big_ticket()
    tickets.set_status(directory.actor_for("ana"), ticket, "resolved")
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TicketTable)
        row = table.current
        assert row is not None and len(row.ref) < 6 and table.index_of(ticket) is None
        _assert_ref_and_priority(screen_lines(app), row.ref, 8, row.priority.value)
