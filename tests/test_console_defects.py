"""The console defects of issue 10, each driven through the real app with Pilot."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta

import pytest
from colleagues import colleague_on
from console_helpers import settle
from textual.command import CommandInput, CommandPalette
from textual.widgets import Input, Label, OptionList, Static

from deskterm import clock
from deskterm.app import make_app
from deskterm.commands import all_entries
from deskterm.screens.dialogs import ConfirmDialog, PickerDialog, PromptDialog
from deskterm.screens.help import HelpScreen
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.services import directory, mentions, tickets
from deskterm.services.finding import listing, views
from deskterm.store.db import db
from deskterm.widgets import display
from deskterm.widgets.composer import Composer
from deskterm.widgets.display import one_line
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.ticket_table import SLA_LEGEND, TableHeader, TicketTable

SIZE = (120, 40)
SMALL = (80, 24)


def table(app) -> TicketTable:
    return app.screen.query_one(TicketTable)


def status_line(app) -> str:
    return str(app.screen.query_one("#queue-status", Static).render())


async def open_first(pilot) -> int:
    await settle(pilot)
    ticket_id = table(pilot.app).current.id
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TicketScreen)
    return ticket_id


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


# --- Blocker: the palette -------------------------------------------------------------


async def test_palette_opens_on_the_queue_and_lists_every_entry_once(demo_db):
    views.save_view(directory.actor_for("ana"), "[/] [bold]mine", "status:open")
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, CommandPalette)
        shown = app.screen.query_one("CommandList")
        listed = [shown.get_option_at_index(i).hit for i in range(shown.option_count)]
        titles = [hit.text for hit in listed]
        assert len(titles) == len(set(titles)), "no entry twice"
        assert {"Canned replies", "Automation rules", "Go to ticket", "Search"} <= set(titles)
        # None of Textual's generic entries, and help is not the title again.
        assert not {"Keys", "Screenshot", "Maximize", "Theme picker"} & set(titles)
        helps = {hit.text: str(hit.help) for hit in listed}
        assert helps["Search"].startswith("/") and helps["Search"] != "Search"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_palette_keeps_opening_a_ticket_apart_from_the_open_chip(demo_db):
    # "Open" once listed `o, alt+2`: alt+2 is the Open status chip, not "open the ticket".
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entries = {e.title: e for e in all_entries(app.screen)}
        assert entries["Open"].help == "o"
        assert entries["Show closed"].help == "alt+3  ·  the Closed chip: resolved and closed"
        assert {"Show all", "Show open"} <= set(entries)
        await entries["Show closed"].run()
        await settle(pilot)
        assert "status:resolved,closed" in app.screen.query_text


async def test_palette_go_to_ticket_by_number(demo_db):
    target = listing.list_tickets("status:closed", limit=1)[0].id
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        app.screen.query_one(CommandInput).value = f"#{target}"
        await settle(pilot)
        first = app.screen.query_one("CommandList").get_option_at_index(0)
        assert first.hit.text == f"Open ticket #{target}"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.detail.id == target


async def test_toasts_show_markup_as_text(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.notify("[/link] [bold]not bold")
        await settle(pilot)
        assert app.is_running
        assert "[/link] [bold]not bold" in toasts(app)


# --- Major ------------------------------------------------------------------------------


async def test_ctrl_s_is_the_shown_send_key_and_ctrl_enter_still_sends(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        before = len(tickets.get_ticket(ticket_id).entries)
        await pilot.press("c", *"first note")
        footer = app.screen.query_one(DeskFooter)
        await settle(pilot)
        assert "ctrl+s" in footer.shown_keys()
        bar = str(app.screen.query_one("#mode-bar", Static).render())
        assert "ctrl+s send" in bar and "ctrl+enter" not in bar
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("c", *"second note")
        await pilot.press("ctrl+enter")
        await settle(pilot)
        bodies = [e.body for e in tickets.get_ticket(ticket_id).entries[before:]]
        assert bodies == ["first note", "second note"]


async def test_a_bad_filter_clears_the_rows_and_says_why(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).total > 0
        await pilot.press("slash")
        app.screen.query_one("#filter", Input).value = "status:opn"
        await pilot.press("enter")
        await settle(pilot)
        shown = table(app)
        assert shown.total == 0 and shown.pages == {} and shown.current is None
        line = status_line(app)
        assert "loading" not in line
        assert "bad filter 'status:opn'" in line
        # select-all then close acts on nothing
        await pilot.press("ctrl+a", "e")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)


async def test_snooze_resolves_human_time_in_the_agents_zone(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)  # ana: Europe/Zagreb
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("z")
        await settle(pilot)
        await pilot.press(*"tomorrow 9:00", "enter")
        await settle(pilot)
    until = tickets.get_ticket(ticket_id).snoozed_until
    local = until.astimezone(app.tz)
    assert (local.hour, local.minute) == (9, 0)
    assert local.date() == (clock.now().astimezone(app.tz) + timedelta(days=1)).date()


# --- Minor -------------------------------------------------------------------------------


async def test_footer_at_80_columns_shows_whole_keys_only(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(DeskFooter)
        keys = list(footer.query("FooterKey"))
        right = max(k.region.right for k in keys)
        assert right <= 80
        assert "?" in footer.shown_keys() and "^p" in footer.shown_keys()
        for key in keys:  # every key is drawn whole: its full width fits its region
            assert key.region.width >= len(key.key_display) + 1 + len(key.description)
        await pilot.resize_terminal(140, 30)
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        keys = list(app.screen.query_one(DeskFooter).query("FooterKey"))
        assert max(k.region.right for k in keys) <= 80


async def test_help_starts_with_the_screens_own_keys(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        texts = [text for _, text in app.screen.rows]
        assert texts[0] == "Search"
        textual_scroll_keys = {"Scroll Up", "Scroll Down", "Scroll Left", "Page Left", "Page Right"}
        assert not textual_scroll_keys & set(texts)
        assert {"Help", "Theme", "Quit"} <= set(texts[-5:])  # the app's own keys come last
        legend = str(app.screen.query_one("#sla-legend", Static).render())
        assert "overdue" in legend and "missed" in legend and "!2h" in legend


async def test_sla_column_is_wide_enough_and_explained(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        shown = table(app)
        widths = dict((c.key, w) for c, w in shown.layout_for(shown.size.width))
        assert widths["sla"] >= len("-53d 12h")
        assert app.screen.query_one(TableHeader).tooltip == SLA_LEGEND


async def test_80x24_collapses_the_sidebar_and_drops_columns_by_priority(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#sidebar").display
        shown = table(app)
        keys = [c.key for c, _ in shown.layout_for(shown.size.width)]
        assert {"ref", "status", "subject", "assignee", "updated", "sla"} <= set(keys)
        assert "requester" not in keys  # the first to go
        assert sum(w for _, w in shown.layout_for(shown.size.width)) + len(keys) - 1 <= 80
        await pilot.press("V")
        await settle(pilot)
        assert app.screen.query_one("#sidebar").display
        await pilot.press("V")
        await pilot.press("enter")
        await settle(pilot)
        # The ticket: notes panel folded, idle composer on two lines, thread takes the rest.
        assert not app.screen.query_one("#notes-panel").display
        assert app.screen.query_one("#thread").size.height >= 10


async def test_pickers_mark_the_current_value_and_tags_dialog_shows_the_tags(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        tickets.add_tags(colleague_on(ticket_id), ticket_id, ["vip", "printer"])
        detail = tickets.get_ticket(ticket_id)
        app.screen.show(detail)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)
        options = app.screen.query_one(OptionList)
        marked = [
            str(options.get_option_at_index(i).prompt)
            for i in range(options.option_count)
            if "(current)" in str(options.get_option_at_index(i).prompt)
        ]
        assert marked == [f"{detail.status.value.replace('_', ' ')}  (current)"]
        assert options.get_option_at_index(options.highlighted).id == detail.status.value
        await pilot.press("escape")
        await pilot.press("t")
        await settle(pilot)
        hint = str(app.screen.query_one("#prompt-hint", Label).render())
        assert "tags now: " in hint and "printer" in hint and "vip" in hint


async def test_snooze_dialog_keeps_the_text_on_error_and_its_example_is_ahead(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        await pilot.press("z")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        example = dialog.query_one(Input).placeholder.rsplit("· ", 1)[1]
        assert datetime.fromisoformat(example).date() > clock.now().date()
        await pilot.press(*"yesterday 9:00", "enter")
        await settle(pilot)
        assert app.screen is dialog and dialog.query_one(Input).value == "yesterday 9:00"
        feedback = dialog.query_one("#prompt-feedback", Label)
        assert feedback.has_class("-error") and "in the past" in str(feedback.render())
        dialog.query_one(Input).value = "blorp"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog and dialog.query_one(Input).value == "blorp"


async def test_canned_picker_previews_the_filled_reply(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)
        preview = str(app.screen.query_one("#picker-preview", Static).render())
        first_name = tickets.get_ticket(ticket_id).requester.first_name
        assert first_name in preview and "{" not in preview


async def test_merge_confirmation_names_the_target_subject_and_requester(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target_id = table(app).row_at(1).id
        await open_first(pilot)
        await pilot.press("M")
        await settle(pilot)
        await pilot.press(*f"#{target_id}", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        target = tickets.get_ticket(target_id)
        lines = " ".join(app.screen.details)
        assert one_line(target.subject)[:40] in lines and target.requester.email in lines


async def test_close_one_ticket_names_it(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = table(app).current
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.question == f"Close {row.ref} “{one_line(row.subject)[:60]}”?"


async def test_mentions_can_be_marked_read_from_the_queue(demo_db):
    unseen = mentions.list_mentions("ana", unseen_only=True)
    if not unseen:
        tickets.add_note(colleague_on(1), 1, "@ana please look")
        unseen = mentions.list_mentions("ana", unseen_only=True)
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        mentions_view = next(v for v in screen.view_list if v.id == views.MENTIONS_VIEW_ID)
        screen.apply_view(mentions_view)
        await settle(pilot)
        ticket_id = table(app).current.id
        await pilot.press("m")
        await settle(pilot)
    left = {m.ticket_id for m in mentions.list_mentions("ana", unseen_only=True)}
    assert ticket_id not in left
    assert len(left) < len({m.ticket_id for m in unseen}) or not left


@pytest.mark.sqlite_only
async def test_console_notices_when_the_database_file_is_replaced(demo_db, tmp_path):
    other = tmp_path / "other.db"
    app = make_app(demo_db, "ana", watch_interval=0.1, background=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = table(app).total
        # another process replaces the file: an empty desk with one new ticket
        await asyncio.to_thread(_make_other_desk, other)
        shutil.move(other, demo_db)
        for suffix in ("-wal", "-shm"):
            (demo_db.parent / (demo_db.name + suffix)).unlink(missing_ok=True)
        for _ in range(30):
            await asyncio.sleep(0.1)
            await settle(pilot, 1)
            if table(app).total != before:
                break
        assert table(app).total == 1
        assert any("was replaced" in t for t in toasts(app))


def _make_other_desk(path) -> None:
    import sqlite3

    from deskterm.store.db import db as handle

    # Build the new file with a separate connection so the app's own stays on the old one.
    src = sqlite3.connect(str(handle.database))
    dst = sqlite3.connect(str(path))
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA foreign_keys=OFF")
    dst.execute("DELETE FROM ticket WHERE id > 1")
    dst.execute("UPDATE ticket SET status = 'open' WHERE id = 1")
    dst.commit()
    dst.close()


# --- issue 9 item 9: collision at send time, presence ------------------------------------


async def test_send_stops_when_someone_replied_after_you_started_writing(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("r", *"Evo rješenja")
        await settle(pilot)
        mirza = colleague_on(ticket_id)
        await asyncio.to_thread(_in_db, tickets.reply, mirza, ticket_id, "Već riješeno.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.question.startswith(f"{directory.get_agent(mirza.name).name} replied ")
        assert " s ago" in dialog.question and (dialog.yes, dialog.no) == ("Send anyway", "Review")
        assert "Već riješeno." in dialog.details
        await pilot.press("n")  # review: nothing sent, the draft stays, the thread reloads
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.query_one(Composer).body == "Evo rješenja"
        bodies = [e.body for e in tickets.get_ticket(ticket_id).entries]
        assert "Evo rješenja" not in bodies
        assert "Već riješeno." in [e.body for e in app.screen.detail.entries]
        await pilot.press("r", "ctrl+s")  # back to the draft: sends without asking again
        await settle(pilot)
        assert tickets.get_ticket(ticket_id).entries[-1].body == "Evo rješenja"


async def test_send_anyway_sends_over_a_collision(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("c", *"moja bilješka")
        await settle(pilot)
        mirza = colleague_on(ticket_id)
        await asyncio.to_thread(_in_db, tickets.add_note, mirza, ticket_id, "i moja")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "added a note" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert tickets.get_ticket(ticket_id).entries[-1].body == "moja bilješka"


async def test_presence_shows_within_two_seconds_and_clears_within_two(demo_db):
    from deskterm.services.trust import presence

    app = make_app(demo_db, "ana", watch_interval=0.2, background=False)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        banner = app.screen.query_one("#presence", Static)
        await asyncio.to_thread(_in_db, presence.heartbeat, "mirza", ticket_id, "replying")
        shown = await _within(pilot, 2.0, lambda: "is replying" in str(banner.render()))
        assert shown is not None and shown <= 2.0, shown
        await asyncio.to_thread(_in_db, presence.leave, "mirza", ticket_id)
        cleared = await _within(pilot, 2.0, lambda: str(banner.render()) == "")
        assert cleared is not None and cleared <= 2.0, cleared
        # and the other way: typing here makes this agent "replying" at once
        await pilot.press("r", "x")
        mine = await _within(
            pilot,
            2.0,
            lambda: [v.activity for v in _in_db(presence.others_on, ticket_id, "mirza")]
            == ["replying"],
        )
        assert mine is not None and mine <= 2.0, mine


def _in_db(fn, *args):
    with db.connection_context():
        return fn(*args)


async def _within(pilot, limit: float, condition) -> float | None:
    """Seconds until `condition()` held (polling), None if not within `limit` (+ margin)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < limit + 1.0:
        await pilot.pause()
        if condition():
            return loop.time() - start
        await asyncio.sleep(0.05)
    return None



async def test_bulk_status_toast_names_the_skipped_tickets_and_why(desk):
    # The toast said "2 of 3 tickets changed" and nothing of the third; the CLI names it.
    ana = directory.actor_for("ana")
    made = [tickets.create_ticket(ana, subject=s, body="b", requester_email="t@example.hr",
                                  queue="general").id for s in ("Prvi", "Drugi", "Treći")]
    tickets.set_status(ana, made[1], "pending")
    app = make_app(desk, "ana", watch_interval=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("x", "x", "x")
        assert table(app).selected == set(made)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press(*"pending", "enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert toasts(app)[-1] == (
            f"Set status pending on: 2 of 3 tickets changed; #{made[1]} already pending"
        )


async def test_bulk_confirmation_keeps_each_ref_left_of_a_persian_subject(desk):
    # "#7  فاکتور ..." was reordered as one right-to-left line: the ref went to the far right.
    display.set_bidi_mode("reorder")
    ana = directory.actor_for("ana")
    for subject in ("Račun", "فاکتور (نوامبر)"):
        tickets.create_ticket(ana, subject=subject, body="b", requester_email="t@example.hr",
                              queue="general")
    app = make_app(desk, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x", "x", "e")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        details = [str(label.content) for label in app.screen.query(".dialog-detail")]
        assert sorted(details) == ["#1  Račun", "#2  (ربماون) روتکاف"]
        await pilot.press("n")
        await pilot.press("k", "x", "k", "x")  # one ticket: its subject in the question
        await settle(pilot)
        table(app).selected.clear()
        table(app).selected.add(2)
        await pilot.press("e")
        await settle(pilot)
        assert str(app.screen.query_one("#question").content) == "Close #2 “(ربماون) روتکاف”?"


async def test_palette_lists_the_screens_own_actions_before_scrolling(demo_db):
    # On a ticket the palette opened on "Scroll Up, Scroll Down, Scroll End" (the thread's
    # keys) while `?` lists the screen's own actions first.
    from deskterm.screens.help import binding_rows

    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        titles = [e.title for e in all_entries(app.screen)]
        assert titles[:3] == ["Back", "Reply", "Comment"]
        helped = [text for _, text in binding_rows(app.screen)]
        assert [t for t in titles if t in helped] == [t for t in helped if t in titles]


async def test_a_long_snooze_error_is_shown_whole_at_80_columns(demo_db):
    # "bad date 'in 99999999 years': expected a time between 1970 and 8" ended at the
    # dialog's edge: the feedback line was one row as wide as its text, cut by the box.
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SMALL) as pilot:
        await open_first(pilot)
        await pilot.press("z")
        await settle(pilot)
        await pilot.press(*"in 99999999 years", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        feedback = dialog.query_one("#prompt-feedback", Label)
        message = str(feedback.render())
        assert message.startswith("bad date 'in 99999999 years': expected a time between 1970")
        box = dialog.query_one(".dialog-box").content_region
        assert feedback.region.right <= box.right
        assert feedback.size.height * feedback.size.width >= len(message)  # wrapped, whole
