"""Sidebar views on the demo desk: counts, 1-9 to switch, rename and share (personal /
team / everyone) with the service deciding who may."""

from __future__ import annotations

import pytest
from console_helpers import settle

from deskterm.app import make_app
from deskterm.domain import BadInput, Refused
from deskterm.screens.dialogs import PickerDialog, PromptDialog
from deskterm.services import directory, mentions
from deskterm.services.finding import listing, views
from deskterm.store.models import Event
from deskterm.widgets.ticket_table import TicketTable

SIZE = (120, 40)


def names(username: str) -> list[str]:
    return [v.name for v in views.saved_views(username)]


def test_team_views_are_seen_by_the_team_and_kept_by_its_lead_or_an_admin(demo_db):
    lejla, mirza, ivan = (directory.actor_for(u) for u in ("lejla", "mirza", "ivan"))
    mine = views.save_view(lejla, "Moji VPN", "status:open VPN")
    assert mine.scope == "personal" and "Moji VPN" not in names("ivan")
    # lejla leads tier2: she may share with tier2, not with tier1 or the whole desk
    shared = views.share_view(lejla, mine.id, "team:tier2")
    assert shared.scope == "team:tier2" and shared.owner is None
    assert "Moji VPN" in names("ivan") and "Moji VPN" in names("sara")  # tier2 members
    assert "Moji VPN" not in names("mirza")  # tier1 only
    with pytest.raises(Refused, match="only admins and the lead of tier1"):
        views.share_view(lejla, mine.id, "team:tier1")
    with pytest.raises(Refused):
        views.share_view(lejla, mine.id, "desk")
    # a member who is not the lead may not rename or move the team's view
    with pytest.raises(Refused, match="only admins and the lead of tier2"):
        views.rename_view(ivan, mine.id, "Naši VPN")
    renamed = views.rename_view(lejla, mine.id, "Naši VPN")
    assert renamed.name == "Naši VPN" and "Naši VPN" in names("ivan")
    # the admin may move it anywhere; back to personal makes it the admin's own
    desk = views.share_view(directory.actor_for("ana"), mine.id, "desk")
    assert desk.scope == "desk" and "Naši VPN" in names("mirza")
    with pytest.raises(Refused):
        views.rename_view(mirza, mine.id, "Moje")
    labels = [
        (e.action, e.field, e.after)
        for e in Event.select().where(Event.action.startswith("view.")).order_by(Event.id)
    ][-3:]
    assert labels == [
        ("view.shared", "view:Moji VPN (lejla)", "view:Moji VPN (team tier2)"),
        ("view.renamed", "view:Moji VPN (team tier2)", "view:Naši VPN (team tier2)"),
        ("view.shared", "view:Naši VPN (team tier2)", "view:Naši VPN (shared)"),
    ]


def test_rename_refuses_a_clash_a_builtin_name_and_other_agents_views(demo_db):
    mirza = directory.actor_for("mirza")
    first = views.save_view(mirza, "Računi", "queue:billing")
    views.save_view(mirza, "VPN", "VPN")
    with pytest.raises(BadInput, match="already a view named 'vpn'"):
        views.rename_view(mirza, first.id, "vpn")
    with pytest.raises(BadInput, match="built-in view"):
        views.rename_view(mirza, first.id, "All open")
    with pytest.raises(BadInput, match="needs a name"):
        views.rename_view(mirza, first.id, "  ")
    with pytest.raises(Refused, match="only change your own views"):
        views.rename_view(directory.actor_for("sara"), first.id, "Moje")
    with pytest.raises(BadInput, match="expected personal, team:<slug> or desk"):
        views.share_view(mirza, first.id, "world")


def test_view_counts_are_the_listing_counts(demo_db):
    ana = directory.actor_for("ana")
    shown = views.list_views("ana")
    counts = views.view_counts(ana, shown)
    for view in shown:
        if view.id == views.MENTIONS_VIEW_ID:
            assert counts[view.id] == len(mentions.list_mentions("ana", unseen_only=True))
        else:
            assert counts[view.id] == listing.count_tickets(view.query, actor=ana)
    assert counts[-3] > 0  # All open


async def test_sidebar_counts_number_keys_rename_and_share_in_the_console(demo_db):
    ana = directory.actor_for("ana")
    saved = views.save_view(ana, "Billing open", "status:open queue:billing")
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        shown = screen.view_list
        labels = [" ".join(str(o.prompt).split()) for o in screen.query_one("#views").options]
        all_open = listing.count_tickets(views.BUILTIN_VIEWS[2].query, actor=ana)
        assert labels[2] == f"3 All open {all_open}"
        number = next(i for i, v in enumerate(shown, 1) if v.id == saved.id)
        billing = listing.count_tickets(saved.query, actor=ana)
        assert labels[number - 1] == f"{number} ◦ Billing open {billing}"
        await pilot.press("4")
        await settle(pilot)
        assert screen.view.name == shown[3].name == "Pending"
        assert screen.query_one(TicketTable).total == listing.count_tickets(
            "status:pending", actor=ana
        )
        await pilot.press("alt+3")  # the status chips moved to alt+1..3
        await settle(pilot)
        assert views.token_value(screen.query_text, "status") == views.DONE
        await pilot.press(str(number))
        await settle(pilot)
        assert screen.view.id == saved.id
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one("#prompt-input").value = "Računi otvoreni"
        await pilot.press("enter")
        await settle(pilot)
        assert [v.name for v in views.saved_views("ana")] == ["Računi otvoreni"]
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"tier1", "enter")
        await settle(pilot)
        (moved,) = views.saved_views("ana")
        assert moved.scope == "team:tier1"
        assert "now for team tier1" in [n.message for n in app._notifications][-1]
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("n")  # a built-in view: said, not renamed
        await settle(pilot)
        assert "built-in views cannot be renamed" in [n.message for n in app._notifications][-1]
