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
NAME = "[link=file:///etc/passwd]n[/link] \x1b[2J Иван رضا (مدیر) کریمی از دفتر مرکزی"


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
        # the requester panel: the name wrapped first, then each row drawn right to left
        # with its brackets facing the words: "رضا (مدیر)" (its start) on the upper row,
        # "مرکزی" (its last word) alone below
        rows = [line[-35:].strip() for line in lines]
        name = rows.index("[2J Иван رتفد زا یمیرک (ریدم) اضر")
        assert rows[name - 1] == "[link=file:///etc/passwd]n[/link]"
        assert rows[name + 1] == "یزکرم"
        assert "فاکتور" not in panel and "رضا" not in panel  # nothing in logical order
        assert _controls(lines) == set()
        await pilot.press("e")  # the activity: the subject as the 'created' event's value
        await settle(pilot)
        lines = screen_lines(app)
        # too long for one line: the values go below, each wrapped then reordered
        created = next(n for n, line in enumerate(lines) if "agent:ana  created" in line)
        activity = [line.split("▏")[0].strip() for line in lines]
        assert activity[created + 1] == "—"
        assert activity[created + 2] == "→ [bold red]x[/] [31mred[0m evil (ربماون) روتکاف"
        assert _controls(lines) == set()
