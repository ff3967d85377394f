"""A portal ticket as the agent meets it: the console (real app, Pilot) shows it came in
through the portal, the customer's portal reply in the thread; the agent's answer typed in
the console shows on the customer's page once its undo-send window has passed."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from portal_helpers import open_ticket

from deskterm import clock
from deskterm.app import make_app
from deskterm.console_settings import ConsoleSettings
from deskterm.screens.ticket import TicketScreen
from deskterm.services import directory, tickets
from deskterm.services.finding import listing


async def _settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _bodies(html: str) -> list[str]:
    return [unescape(b) for b in
            re.findall(r'<div class="body" dir="auto">(.*?)</div>', html, re.S)]


async def test_agent_sees_a_portal_ticket_as_web_and_answers_it_on_the_page(browser, desk):
    page = open_ticket(browser, subject="Štampač javlja grešku 49",
                       text="Od jutros ne štampa.")
    tracking = re.search(r"(/t/[\w.~-]+)\?", page.url).group(1)
    browser.submit(f"{tracking}/reply", {"text": "Evo i slike ekrana."})
    tickets.create_ticket(directory.actor_for("ana"), subject="Phoned in", body="by phone",
                          requester_email="p@example.ba", channel="phone")
    assert [r.id for r in listing.list_tickets("channel:web")] == [1]

    app = make_app(desk, "ana", watch_interval=None, open_ticket=1)
    async with app.run_test(size=(160, 45)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        header = str(app.screen.query_one("#ticket-header").render())
        assert "#1  Štampač javlja grešku 49" in header
        assert "  ·  via web  ·  queue General" in header
        assert [e.body for e in tickets.get_ticket(1).entries if e.kind.value == "customer"] \
            == ["Od jutros ne štampa.", "Evo i slike ekrana."]
        await pilot.press("r")
        await pilot.press(*"Zamijenili smo toner, probajte ponovo.")
        await pilot.press("ctrl+s")
        await _settle(pilot)
    phone = make_app(desk, "ana", watch_interval=None, open_ticket=2)
    async with phone.run_test(size=(160, 45)) as pilot:
        await _settle(pilot)
        assert "  ·  via phone  ·  " in str(phone.screen.query_one("#ticket-header").render())

    asked = ["Od jutros ne štampa.", "Evo i slike ekrana."]
    assert _bodies(browser.get(tracking).text) == asked, "held while the agent may undo it"
    window = timedelta(seconds=ConsoleSettings.undo_send_seconds + 1)
    with clock.frozen_at(clock.now() + window):
        page = browser.get(tracking)
    assert _bodies(page.text) == [*asked, "Zamijenili smo toner, probajte ponovo."]
