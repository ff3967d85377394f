"""The requester side panel: details, organisation, other tickets open first, jump (Pilot)."""

from __future__ import annotations

from console_helpers import settle

from deskterm.app import make_app
from deskterm.screens.ticket import TicketScreen
from deskterm.services import directory, requester, tickets
from deskterm.store.models import Contact, Organisation
from deskterm.widgets.requester_panel import RequesterPanel


def _desk():
    ana = directory.actor_for("ana")

    def new(subject, email="vesna@acme.example", name="Vesna [b]Kovač[/b]"):
        return tickets.create_ticket(
            ana, subject=subject, body="…", requester_email=email, requester_name=name
        ).id

    first, old, current, newest = new("Prvi"), new("Stari"), new("Ovaj"), new("Najnoviji")
    tickets.set_status(ana, first, "closed")
    tickets.set_status(ana, old, "resolved")
    other = new("Tuđi", email="ivo@acme.example", name="Ivo")
    new("Drugdje", email="x@else.example", name="X")
    acme = Organisation.create(name="ACME d.o.o.")
    Contact.update(organisation=acme, phone="+385 1 2345").where(
        Contact.email.endswith("@acme.example")
    ).execute()
    return first, old, current, newest, other


def test_summary_lists_other_tickets_open_first(desk):
    first, old, current, newest, _ = _desk()
    summary = requester.requester_summary(current)
    assert summary.contact.name == "Vesna [b]Kovač[/b]"
    assert summary.contact.organisation == "ACME d.o.o."
    assert (summary.ticket_count, summary.open_count) == (4, 2)
    assert (summary.org_contacts, summary.org_open) == (2, 3)
    # open first (only #newest), then the done ones newest first
    assert [r.id for r in summary.others] == [newest, old, first]


async def test_panel_shows_requester_and_jumps_to_another_ticket(desk):
    first, old, current, newest, _ = _desk()
    app = make_app(desk, "ana", watch_interval=None, open_ticket=current)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.ticket_id == current
        panel = screen.query_one(RequesterPanel)
        assert panel.display
        details = str(panel.query_one("#requester-details").content)
        # the name is shown as written, brackets and all (data, not markup)
        assert details.splitlines() == [
            "Vesna [b]Kovač[/b]",
            "vesna@acme.example",
            "phone +385 1 2345",
            "org ACME d.o.o.",
            "  2 people · 3 open tickets",
            "tickets 4 · 2 open",
        ]
        options = panel.query_one("#requester-tickets")
        labels = [options.get_option_at_index(i).prompt.plain for i in range(3)]
        assert labels == [f"#{newest} new Najnoviji", f"#{old} resolved Stari",
                          f"#{first} closed Prvi"]
        # i hides it, i shows it again with the list focused; enter jumps
        await pilot.press("i")
        assert not panel.display
        await pilot.press("i")
        assert panel.display and options.has_focus
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen and screen.ticket_id == old and screen.detail.id == old
        labels = [options.get_option_at_index(i).prompt.plain for i in range(3)]
        assert labels[0] == f"#{newest} new Najnoviji" and f"#{current} new Ovaj" in labels


async def test_panel_starts_hidden_on_a_narrow_terminal(desk):
    current = _desk()[2]
    app = make_app(desk, "ana", watch_interval=None, open_ticket=current)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(RequesterPanel)
        assert not panel.display
        await pilot.press("i")
        assert panel.display
