"""The ticket screen's layout at 80 columns: a header that never wraps, and a thread
that keeps its newest entry in view whatever the timing of its layout passes."""

from __future__ import annotations

import asyncio

import pytest
from console_helpers import settle
from rich.text import Text

from deskterm.app import make_app
from deskterm.services import directory, tickets
from deskterm.widgets.thread_view import ThreadView
from deskterm.widgets.ticket_header import Field, TicketHeader, cut, header_lines, pack


def _rich_ticket() -> int:
    """A ticket with every header field filled and a thread taller than 80x24 shows."""
    lejla = directory.actor_for("lejla")
    ticket = tickets.create_ticket(
        lejla,
        subject="Pisač ne ispisuje nakon ažuriranja, ni u jednoj kancelariji na drugom spratu",
        body="Nakon jučerašnjeg ažuriranja pisač u uredu ne ispisuje ništa. Greška 0x6d.",
        requester_email="amra.hadzic@example.ba",
        requester_name="Amra Hadžić",
        queue="technical",
        priority="high",
        channel="email",
    ).id
    directory.update_contact(
        "amra.hadzic@example.ba", phone="+387 61 123 456", contract_no="UG-2026-0042"
    )
    tickets.assign(lejla, ticket, "lejla")
    tickets.add_tags(lejla, ticket, ["vip", "printer"])
    tickets.add_follower(lejla, ticket, "sef.odjela@example.ba", "Šef Odjela")
    for i in range(8):
        tickets.add_note(lejla, ticket, f"Bilješka {i}: provjereno na serveru {i}, bez greške.")
    return ticket


async def test_header_keeps_four_lines_at_80_columns_and_at_160(demo_db):
    ticket = _rich_ticket()
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 4)
        app.screen.open_ticket(ticket)
        await settle(pilot, 4)
        header = app.screen.query_one(TicketHeader)
        lines = header.render().plain.split("\n")
        assert header.size.height == 4 == len(lines)
        assert all(len(line) <= header.content_size.width for line in lines)
        assert lines[0].startswith(f"#{ticket}  Pisač ne ispisuje") and lines[0].endswith("…")
        # at 80 columns the team is left out first; the SLA clock stays
        assert lines[1].startswith("new · high · queue Technical problems · assignee Lejla")
        assert " · SLA " in lines[1] and "team" not in lines[1]
        assert lines[2].startswith("requester Amra Hadžić <amra.hadzic@example.ba>")
        assert "updated" in lines[3] and "tags printer vip" in lines[3]
        await pilot.resize_terminal(160, 45)
        await settle(pilot, 4)
        lines = header.render().plain.split("\n")
        assert header.size.height == 4 == len(lines)
        assert "contract UG-2026-0042" in lines[2] and "created" in lines[3]
        assert "  ·  team tier2  ·  SLA " in lines[1]


def test_pack_leaves_out_the_lowest_ranked_field_first_then_cuts():
    fields = [Field(Text("aaaa"), 99), Field(Text("bbbb"), 1), Field(Text("cccc"), 5)]
    assert pack(fields, None).plain == "aaaa  ·  bbbb  ·  cccc"
    assert pack(fields, 12).plain == "aaaa · cccc"
    assert pack(fields, 4).plain == "aaaa"
    assert pack(fields, 3).plain == "aa…"


def test_a_cut_persian_subject_keeps_its_start():
    subject = "ایمیل‌ها به صندوق ورودی نمی‌رسند"
    shown = cut(subject, 10)
    assert shown.startswith("…")  # display order: the logical end is on the left
    assert "ایمیلها" in shown[::-1] or "اهلیمیا" in shown


def test_header_of_a_merged_ticket_adds_a_fifth_line(demo_db):
    ticket = _rich_ticket()
    other = tickets.create_ticket(
        directory.actor_for("lejla"),
        subject="Isti problem",
        body="Isti problem s pisačem.",
        requester_email="amra.hadzic@example.ba",
        queue="technical",
    ).id
    tickets.merge(directory.actor_for("ana"), other, ticket)
    lines = header_lines(tickets.get_ticket(other), None, 80)
    assert len(lines) == 5 and lines[4].plain == f"merged into #{ticket}"


@pytest.mark.parametrize("delay", [0, 0.001, 0.01, 0.03])
async def test_thread_shows_its_newest_entry_whatever_the_timing(demo_db, delay):
    """The newest entry stays in view through the layout passes after opening (the
    scrollbar appearing re-wraps the entries), and after a resize; scrolling up stops
    following and G follows again."""
    ticket = _rich_ticket()
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 4)
        app.screen.open_ticket(ticket)
        await asyncio.sleep(delay)
        await pilot.pause(delay)
        await settle(pilot, 4)
        thread = app.screen.query_one("#thread", ThreadView)
        assert thread.max_scroll_y > 0
        assert thread.scroll_y == thread.max_scroll_y
        await pilot.resize_terminal(70, 24)
        await settle(pilot, 4)
        assert thread.scroll_y == thread.max_scroll_y
        if delay:
            return
        thread.focus()
        await pilot.press("k", "k")
        await pilot.resize_terminal(75, 24)
        await settle(pilot, 4)
        assert thread.scroll_y < thread.max_scroll_y
        await pilot.press("G")
        await pilot.pause(1.2)  # G scrolls with an animation
        await settle(pilot, 4)
        assert thread.scroll_y == thread.max_scroll_y


@pytest.mark.parametrize(("agent", "queue", "read_only"), [
    ("marko", "general", "read-only: marko (agent) may read #{id} but not change it: queue "
                         "general belongs to another team"),
    ("marko", "billing", None),
    ("ana", "general", None),  # an admin changes any ticket
])
async def test_the_header_says_before_any_key_when_the_ticket_is_read_only(
        demo_db, agent, queue, read_only):
    # marko (billing-team) opened a general ticket, wrote a reply, and only ctrl+s said no.
    ticket = tickets.create_ticket(
        directory.actor_for("ana"), subject="Не работает принтер", body="Принтер не печатает.",
        requester_email="olga@example.ru", queue=queue).id
    app = make_app(demo_db, agent, watch_interval=None, open_ticket=ticket)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, 4)
        header = app.screen.query_one(TicketHeader)
        lines = header.render().plain.split("\n")
        assert header.size.height == len(lines)
        if read_only is None:
            assert len(lines) == 4 and not any("read-only" in line for line in lines)
        else:
            assert (len(lines), lines[4]) == (5, read_only.format(id=ticket))


async def test_a_requester_without_a_name_is_named_once_by_address(demo_db):
    # It read "requester mark@example.com <mark@example.com>" (the CLI: "- <mark@…>"),
    # and the requester panel gave the address twice.
    from typer.testing import CliRunner

    from deskterm.cli import app as cli
    from deskterm.widgets.requester_panel import RequesterPanel

    ticket = tickets.create_ticket(directory.actor_for("ana"), subject="Printer",
                                   body="b", requester_email="mark@example.com").id
    app = make_app(demo_db, "ana", watch_interval=None, open_ticket=ticket)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, 4)
        lines = app.screen.query_one(TicketHeader).render().plain.split("\n")
        assert lines[2] == "requester mark@example.com"
        panel = app.screen.query_one(RequesterPanel)
        shown = " ".join(str(w.render()) for w in panel.query("Static"))
        assert shown.count("mark@example.com") == 1
    out = CliRunner().invoke(cli, ["--db", str(demo_db), "--as", "ana", "ticket", "show",
                                   str(ticket)]).stdout
    assert "│ requester mark@example.com · phone - · org - · contract -" in out
