"""Untrusted text through every console output: tables, headers, thread, sidebar, palette,
pickers, confirmations, toasts. Markup-like text is shown as written, control and bidi
override characters never reach the terminal, very long text never breaks the layout."""

from __future__ import annotations

import pytest
from textual.command import CommandInput, CommandPalette
from textual.widgets import Input, OptionList, Static

from deskterm.app import make_app
from deskterm.domain import NewAttachment
from deskterm.screens.dialogs import ConfirmDialog, PickerDialog
from deskterm.screens.ticket import TicketScreen
from deskterm.services import canned, directory, tickets, views
from deskterm.widgets.display import one_line, visual
from deskterm.widgets.ticket_table import TicketTable

NASTY = [
    "[/] closing nothing",
    "[/link] and [link=https://evil.example]click[/link] [bold]x",
    "[@click=app.quit]quit[/] $variable ${x}",
    "ctrl\x1b[31mred\x07bell\x00nul\rreturn",
    "bidi \u202eevil override\u202c and \u2066isolate\u2069 \u200ftail",
    "zero\u200bwidth\u200cjoin\u200dners\ufeff",
    "long " + "ДугачкаРеч فارسی " * 40,
]

SIZE = (120, 40)


async def settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rendered(widget) -> str:
    return str(widget.render())


def check(app, where: str) -> None:
    assert app.is_running, where
    assert not app.unexpected_errors, (where, app.unexpected_errors)


@pytest.fixture
def nasty_desk(demo_db):
    ana = directory.actor_for("ana")
    ids = []
    for i, text in enumerate(NASTY):
        detail = tickets.create_ticket(
            ana,
            subject=f"{i} {text}",
            body=f"body {text}",
            requester_email=f"nasty{i}@example.com",
            requester_name=text[:60],
            queue="general",
            channel="email",
            attachments=[NewAttachment(f"{text[:30]}.txt", "text/plain", b"x")],
        )
        tickets.add_note(ana, detail.id, f"note {text}")
        ids.append(detail.id)
    canned.save_canned(NASTY[1][:60], f"canned {NASTY[0]} {{ticket.ref}}")
    views.save_view("ana", NASTY[0], "status:open")
    return demo_db, ids


async def test_untrusted_text_is_data_on_every_console_surface(nasty_desk):
    path, ids = nasty_desk
    app = make_app(path, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        # the queue: the newest tickets are the nasty ones, drawn as text in fixed columns
        screen.apply_filter("sort:-id")
        await settle(pilot)
        shown = screen.query_one(TicketTable)
        for y in range(len(NASTY)):
            line = shown.render_line(y).text
            assert len(line) == shown.size.width
            assert "\x1b" not in line and "\u202e" not in line and "\u200b" not in line
        assert any("[/]" in shown.render_line(y).text for y in range(len(NASTY)))
        sidebar = screen.query_one("#views", OptionList)
        labels = [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]
        assert any(NASTY[0] in label for label in labels)
        check(app, "queue")
        # the palette, searched with markup
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        app.screen.query_one(CommandInput).value = "[/] [bold"
        await settle(pilot)
        check(app, "palette")
        await pilot.press("escape")
        await settle(pilot)
        # a confirmation naming a nasty ticket (the oldest of them: "0 [/] closing nothing")
        shown.cursor = len(NASTY) - 1
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == f"Close #{ids[0]} “0 {NASTY[0]}”?"
        await pilot.press("n")
        # a toast quoting a bad filter with markup in it
        screen.apply_filter("status:[/link]")
        await settle(pilot)
        assert any("[/link]" in n.message for n in app._notifications)
        check(app, "toast")
        # every nasty ticket: header, thread, notes, pickers
        for ticket_id, text in zip(ids, NASTY, strict=True):
            app.push_screen(TicketScreen(ticket_id))
            await settle(pilot)
            ticket = app.screen
            header = rendered(ticket.query_one("#ticket-header", Static))
            assert visual(one_line(f"{ids.index(ticket_id)} {text}"))[:30] in header
            assert "\x1b" not in header and "\u202e" not in header
            await pilot.press("A")
            await settle(pilot)
            assert isinstance(app.screen, PickerDialog)
            app.screen.query_one(Input).value = text[:3]
            await settle(pilot)
            await pilot.press("escape")
            await pilot.press("R")
            await settle(pilot)
            assert isinstance(app.screen, PickerDialog)
            await pilot.press("escape")
            await settle(pilot)
            check(app, f"ticket {ticket_id}")
            app.pop_screen()
            await settle(pilot, 1)
        check(app, "the end")
