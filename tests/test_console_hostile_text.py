"""Hostile customer text on every panel of the ticket screen, read off the drawn screen (Pilot).

A subject and a name as mail brings them: markup, ANSI escapes, a bidi override, Persian
with brackets. Whatever panel shows them, the terminal must get no control character and
Persian in visual order (most terminals do no bidi of their own).
"""

from __future__ import annotations

import unicodedata

from console_helpers import screen_lines, settle

from deskterm.app import make_app
from deskterm.services import directory, tickets
from deskterm.widgets import display

SUBJECT = "[bold red]x[/] \x1b[31mred\x1b[0m \u202eevil\u202c فاکتور (نوامبر)"
NAME = "[link=file:///etc/passwd]n[/link] \x1b[2J رضا (مدیر)"


def _hostile_ticket() -> int:
    ana = directory.actor_for("ana")
    return tickets.create_ticket(
        ana, subject=SUBJECT, body="[red]body[/]", requester_email="evil@example.com",
        requester_name=NAME, channel="email",
    ).id


def _controls(lines: list[str]) -> set[str]:
    return {c for line in lines for c in line if unicodedata.category(c) in ("Cc", "Cf")}


async def test_requester_panel_and_activity_draw_customer_text_safely(desk):
    display.set_bidi_mode("reorder")
    ticket_id = _hostile_ticket()
    app = make_app(desk, "ana", watch_interval=None, open_ticket=ticket_id)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        panel = "\n".join(line[-40:] for line in lines)
        # the requester panel: the name drawn right to left, brackets facing the words
        assert "(ریدم) اضر" in panel
        assert "فاکتور" not in panel and "رضا" not in panel  # nothing in logical order
        assert _controls(lines) == set()
        await pilot.press("e")  # the activity: the subject as the 'created' event's value
        await settle(pilot)
        lines = screen_lines(app)
        created = next(line for line in lines if "  created  " in line)
        assert "[bold red]x[/] [31mred[0m evil (ربماون) روتکاف" in created
        assert _controls(lines) == set()
