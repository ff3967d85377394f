"""The real console driven with Pilot on a real demo database."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from colleagues import colleague_on
from console_helpers import settle

from deskterm.app import make_app
from deskterm.commands import all_entries
from deskterm.domain import EntryKind, Status
from deskterm.screens.dialogs import ConfirmDialog, PickerDialog
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.services import canned, mentions, tickets
from deskterm.services.finding import listing, views
from deskterm.services.trust import presence
from deskterm.store.db import db
from deskterm.store.models import OutboxMessage
from deskterm.widgets.composer import Composer
from deskterm.widgets.ticket_table import TicketTable

SIZE = (120, 40)


def table(app) -> TicketTable:
    return app.screen.query_one(TicketTable)


async def open_first(pilot) -> int:
    await settle(pilot)
    ticket_id = table(pilot.app).current.id
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TicketScreen)
    return ticket_id


async def test_queue_shows_all_open_tickets_first(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = table(app)
        assert isinstance(app.screen, QueueScreen)
        assert shown.total == listing.count_tickets(views.BUILTIN_VIEWS[2].query, me="ana")
        first_page = listing.list_tickets(views.BUILTIN_VIEWS[2].query, me="ana", limit=5)
        assert [shown.row_at(i).id for i in range(5)] == [r.id for r in first_page]
        # only the pages on screen are in memory, never the whole list
        assert sum(len(rows) for rows in shown.pages.values()) <= 3 * 100


async def test_reply_with_canned_reply_fills_placeholders_and_is_public(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        before = tickets.get_ticket(ticket_id)
        await pilot.press("r")
        assert app.screen.query_one(Composer).mode == "reply"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"more info", "enter")
        await settle(pilot)
        composer = app.screen.query_one(Composer)
        first_name = before.requester.first_name
        assert first_name in composer.body and before.ref in composer.body
        assert "{" not in composer.body
        await pilot.press("ctrl+s")
        await settle(pilot)
        after = tickets.get_ticket(ticket_id)
        new = [e for e in after.entries if e.id not in {x.id for x in before.entries}]
        reply = [e for e in new if e.kind is EntryKind.REPLY]
        assert len(reply) == 1 and first_name in reply[0].body
        assert reply[0] in after.public_entries
        # the canned reply's own actions: status pending and its tag
        assert after.status is Status.PENDING and "waiting-info" in after.tags
        assert composer.body == ""
        if OutboxMessage.select().count():  # mail is wired: the requester is told once
            sent = OutboxMessage.select().where(OutboxMessage.entry == reply[0].id)
            assert sum(before.requester.email in m.to_addrs for m in sent) == 1


async def test_internal_note_is_stored_internal_and_mentions_an_agent(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("c")
        composer = app.screen.query_one(Composer)
        assert composer.mode == "note" and composer.has_class("-note")
        await pilot.press(*"Provjeri logove @mirza tajna-7731")
        await pilot.press("ctrl+s")
        await settle(pilot)
        detail = tickets.get_ticket(ticket_id)
        note = detail.entries[-1]
        assert note.kind is EntryKind.NOTE and "tajna-7731" in note.body
        assert all("tajna-7731" not in e.body for e in detail.public_entries)
        outgoing = OutboxMessage.select().where(OutboxMessage.ticket == ticket_id)
        assert all("tajna-7731" not in m.body for m in outgoing)
        assert [m.ticket_id for m in mentions.list_mentions("mirza")][0] == ticket_id
        notes_panel = app.screen.query_one("#notes")
        assert notes_panel.shown[-1] == note.id


async def test_mentions_view_lists_tickets_where_i_was_mentioned(demo_db):
    ana = tickets_actor("ana")
    before = set(mentions.mentioned_ticket_ids("mirza"))  # the demo's rules mention agents too
    target = next(r.id for r in listing.list_tickets("status:open", limit=50) if r.id not in before)
    tickets.add_note(ana, target, "@mirza can you look at this?")
    app = make_app(demo_db, "mirza", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        labels = [" ".join(str(o.prompt).split()) for o in screen.query_one("#views").options]
        assert labels[-1].endswith(f"Mentions {len(before) + 1}"), labels
        mention_view = next(v for v in screen.view_list if v.id == views.MENTIONS_VIEW_ID)
        screen.apply_view(mention_view)
        await settle(pilot)
        assert table(app).total == len(before) + 1 and table(app).current.id == target


async def test_status_changes_with_a_key(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"on hold", "enter")
        await settle(pilot)
        assert tickets.get_ticket(ticket_id).status is Status.ON_HOLD
        assert "on hold" in str(app.screen.query_one("#ticket-header").render())


async def test_filter_by_pending(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status:pending", "enter")
        await settle(pilot)
        shown = table(app)
        expected = listing.count_tickets("status:pending")
        assert shown.total == expected > 0
        rows = [shown.row_at(i) for i in range(min(expected, 30))]
        assert {r.status for r in rows} == {Status.PENDING}


async def test_bad_filter_is_a_notification_not_a_crash(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status:bogus", "enter")
        await settle(pilot)
        assert any("bogus" in n.message for n in app._notifications)
        assert app.is_running


async def test_bulk_close_two_selected_tickets_after_confirmation(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = table(app)
        first, second = shown.row_at(0).id, shown.row_at(1).id
        await pilot.press("x", "x")
        assert shown.selected == {first, second}
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "2 tickets" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert tickets.get_ticket(first).status is Status.CLOSED
        assert tickets.get_ticket(second).status is Status.CLOSED
        assert table(app).selected == set()
        assert first not in [table(app).row_at(i).id for i in range(5)]


async def test_saved_view_is_there_after_restart(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"queue:billing priority:high,urgent", "enter")
        await settle(pilot)
        await pilot.press("v", *"Vruće naplate", "enter")
        await settle(pilot)
    again = make_app(demo_db, "ana", watch_interval=None)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = again.screen
        saved = next(v for v in screen.view_list if v.name == "Vruće naplate")
        assert saved.query == "queue:billing priority:high,urgent"
        screen.apply_view(saved)
        await settle(pilot)
        assert table(again).total == listing.count_tickets(saved.query)


async def test_draft_survives_leaving_the_ticket_and_restarting(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("r", *"Pola odgovora")
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    again = make_app(demo_db, "ana", watch_interval=None)
    async with again.run_test(size=SIZE) as pilot:
        assert await open_first(pilot) == ticket_id
        assert again.screen.query_one(Composer).body == "Pola odgovora"


async def test_refreshes_when_another_process_changes_the_database(demo_db):
    app = make_app(demo_db, "ana", watch_interval=0.2, background=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = table(app)
        await pilot.press("j", "j")
        kept = shown.current.id
        gone = shown.row_at(0).id

        def elsewhere() -> None:
            with db.connection_context():
                # the admin, so the change is allowed whichever queue the first row is in
                tickets.set_status(tickets_actor("ana"), gone, "closed")

        await asyncio.to_thread(elsewhere)
        for _ in range(20):
            await asyncio.sleep(0.1)
            await settle(pilot, 1)
            if shown.row_at(0) and shown.row_at(0).id != gone:
                break
        assert shown.row_at(0).id != gone
        assert shown.current.id == kept  # the cursor stays on its ticket


async def test_stale_version_is_a_notification_and_a_reload(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ticket_id = await open_first(pilot)
        loaded = app.screen.detail.priority.value
        theirs, mine = [p for p in ("urgent", "low", "high") if p != loaded][:2]
        tickets.set_priority(colleague_on(ticket_id), ticket_id, theirs)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*mine, "enter")
        await settle(pilot)
        assert any("reloaded" in n.message for n in app._notifications)
        assert tickets.get_ticket(ticket_id).priority.value == theirs
        assert app.screen.detail.priority.value == theirs


async def test_shows_who_else_is_replying(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        presence.heartbeat("mirza", ticket_id, "replying")
        app.screen._show_presence()
        await settle(pilot)
        line = str(app.screen.query_one("#presence").render())
        assert "Mirza Hodžić is replying" in line


async def test_next_ticket_in_the_view_without_going_back(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        second = table(app).row_at(1).id
        await open_first(pilot)
        await pilot.press("J")
        await settle(pilot)
        assert app.screen.detail.id == second
        await pilot.press("escape")
        await settle(pilot)
        assert table(app).current.id == second


async def test_canned_replies_screen_creates_and_deletes(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("n", *"Hvala")
        editor = app.screen
        editor.query_one("#canned-body").load_text("Hvala {requester.first_name}!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        info = canned.get_canned("Hvala")
        assert info.body == "Hvala {requester.first_name}!"
        preview = str(app.screen.query_one("#canned-preview").render())
        assert "{requester.first_name}" not in preview and preview.startswith("Hvala ")
        await pilot.press("d")
        await settle(pilot)
        assert "Hvala" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert all(c.title != "Hvala" for c in canned.list_canned())


async def test_help_lists_the_bindings_of_the_screen(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        rows = dict((text, keys) for keys, text in app.screen.rows)
        assert rows["Reply"] == "r" and rows["Comment"] == "c" and rows["Snooze"] == "z"


def test_console_module_does_not_import_textual():
    code = (
        "import sys, deskterm.cli.console, deskterm.services.finding.views; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def tickets_actor(username: str):
    from deskterm.services.directory import actor_for

    return actor_for(username)


async def test_every_binding_is_a_palette_command_and_runs(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        commands = {c.title: c for c in all_entries(app.screen)}
        assert {"Reply", "Comment", "Status", "Snooze", "Merge", "Next ticket"} <= set(commands)
        panel = app.screen.query_one("#notes-panel")
        assert panel.display
        await commands["Notes panel"].run()
        await settle(pilot)
        assert not panel.display


async def test_light_and_dark_theme(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None, dark=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.current_theme.dark
        await pilot.press("f9")
        assert app.current_theme.dark


async def test_mouse_click_selects_double_click_opens_and_chips_filter(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = table(app)
        third = shown.row_at(2).id
        await pilot.click(TicketTable, offset=(30, 2))
        assert shown.current.id == third
        await pilot.click("#chip-closed")
        await settle(pilot)
        assert app.screen.query_text.startswith("status:resolved,closed")
        assert shown.total == listing.count_tickets("status:resolved,closed")
        first = shown.row_at(0).id
        await pilot.click(TicketTable, offset=(30, 0), times=2)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.detail.id == first


async def test_save_an_attachment_to_a_path(demo_db, tmp_path):
    from deskterm.domain import NewAttachment

    target = listing.list_tickets(views.BUILTIN_VIEWS[2].query, me="ana", limit=1)[0].id
    data = "Prilog: račun №7 — تست".encode()
    tickets.attach(colleague_on(target), target, [NewAttachment("račun.txt", "text/plain", data)])
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        assert await open_first(pilot) == target
        await pilot.press("A")
        await settle(pilot)
        await pilot.press(*"račun", "enter")
        await settle(pilot)
        path_input = app.screen.query_one("#prompt-input")
        path_input.value = str(tmp_path / "saved.txt")
        await pilot.press("enter")
        await settle(pilot)
        assert (tmp_path / "saved.txt").read_bytes() == data


async def test_merge_into_another_ticket_by_ref_and_snooze(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = table(app).row_at(1).id
        source = await open_first(pilot)
        await pilot.press("M")
        await settle(pilot)
        await pilot.press(*f"#{target}", "enter")
        await settle(pilot)
        assert f"#{source} into #{target}" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert tickets.get_ticket(source).merged_into == target
        assert app.screen.detail.id == target
        await pilot.press("z")
        await settle(pilot)
        await pilot.press(*"in 2 hours", "enter")
        await settle(pilot)
        assert tickets.get_ticket(target).status is Status.POSTPONED


async def test_heartbeats_elsewhere_do_not_reload_the_queue(demo_db):
    app = make_app(demo_db, "ana", watch_interval=0.1, background=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        generation = table(app).generation
        some_ticket = table(app).current.id

        def heartbeat() -> None:
            with db.connection_context():
                presence.heartbeat("mirza", some_ticket, "viewing")

        await asyncio.to_thread(heartbeat)
        await asyncio.sleep(0.5)
        await settle(pilot)
        assert table(app).generation == generation


async def test_rules_screen_opens_from_the_queue(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert type(app.screen).__name__ == "RulesScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_console_delivers_queued_mail_in_the_background(demo_db):
    from deskterm.services.messaging import mailbox

    queued = [m.id for m in mailbox.list_outbox(status="queued", limit=1000)]
    assert queued, "the demo's live days queue notifications"
    app = make_app(demo_db, "ana", watch_interval=0.2, background=True)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await settle(pilot)
            if not mailbox.list_outbox(status="queued", limit=1):
                break
            await asyncio.sleep(0.1)
    sent = {m.id for m in mailbox.list_outbox(status="sent", limit=1000)}
    assert set(queued) <= sent
    delivered = list((mailbox.mail_dir() / "outbox" / "new").iterdir())
    assert len(delivered) >= len(queued)
