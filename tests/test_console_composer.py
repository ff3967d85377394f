"""The composer on the real console and the demo desk: files from a path with completion,
To / Cc, the mail preview, undo-send against a real SMTP server, the time-spent prompt."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from console_helpers import settle
from test_mail_smtp import config_for, smtp  # noqa: F401 (fixture)
from typer.testing import CliRunner

from deskterm import clock
from deskterm.app import make_app
from deskterm.cli import app as cli_app
from deskterm.config import ConsoleSettings
from deskterm.domain import Status
from deskterm.mail.outbound import send_due
from deskterm.screens.dialogs import PromptDialog
from deskterm.screens.dialogs.mail_preview import MailPreviewScreen
from deskterm.screens.dialogs.recipients import RecipientsDialog
from deskterm.screens.help import HelpScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.services import tickets
from deskterm.store.models import Event, OutboxMessage, TimeEntry
from deskterm.widgets.composer import Composer
from deskterm.widgets.path_suggester import complete_path
from deskterm.widgets.thread_view import EntryView, ThreadView
from deskterm.widgets.ticket_table import TicketTable

SIZE = (120, 40)


async def open_first(pilot) -> int:
    await settle(pilot)
    ticket_id = pilot.app.screen.query_one(TicketTable).current.id
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TicketScreen)
    return ticket_id


def reply_mails(entry_id: int):
    return list(OutboxMessage.select().where(OutboxMessage.entry == entry_id))


def newest_reply(ticket_id: int):
    return [e for e in tickets.get_ticket(ticket_id).entries if e.kind.value == "reply"][-1]


async def test_attach_with_completion_recipients_preview_and_a_held_send(
    demo_db, smtp, tmp_path  # noqa: F811
):
    recorder, port = smtp
    (tmp_path / "račun-studeni.pdf").write_bytes(b"%PDF-1.4 studeni\n")
    (tmp_path / "radni-nalog.txt").write_text("nalog")
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        requester = app.screen.detail.requester.email
        await pilot.press("r", *"Račun je u prilogu.")
        composer = app.screen.query_one(Composer)
        # ctrl+l: the path completes as typed; tab takes the suggestion
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        field = app.screen.query_one("#prompt-input")
        field.value = ""
        await pilot.press(*f"{tmp_path}/rač")  # not radni-nalog.txt
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert field.value == f"{tmp_path}/račun-studeni.pdf"
        assert "račun-studeni.pdf, 17 B" in str(app.screen.query_one("#prompt-feedback").render())
        await pilot.press("enter")
        await settle(pilot)
        assert composer.files == (str(tmp_path / "račun-studeni.pdf"),)
        # ctrl+g: To and Cc of this reply
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, RecipientsDialog)
        to_field = app.screen.query_one("#recipients-to")
        assert to_field.value == requester
        await pilot.press(*", financije@sunce.example", "enter")
        app.screen.query_one("#recipients-cc").value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert composer.to == (requester, "financije@sunce.example") and composer.cc == ()
        extra = str(app.screen.query_one("#composer-extra").render())
        assert "financije@sunce.example" in extra and "račun-studeni.pdf" in extra
        # ctrl+r: the mail as the customer gets it
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, MailPreviewScreen)
        preview = app.screen.preview
        shown = str(app.screen.query_one("#mail-preview-text").render())
        assert f"To      {requester}, financije@sunce.example" in shown
        assert f"[#{ticket_id}]" in preview.subject and "Račun je u prilogu." in preview.body
        assert "račun-studeni.pdf" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert composer.body == "Račun je u prilogu."  # the preview sends nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        entry = newest_reply(ticket_id)
        assert entry.body == "Račun je u prilogu." and composer.body == ""
        (mail,) = [m for m in reply_mails(entry.id) if m.channel == "email"]
        assert mail.hold_until is not None
    config = config_for(port)
    assert mail.id not in send_due(config, limit=10_000).sent  # held: undo is possible
    with clock.frozen_at(clock.now() + timedelta(seconds=11)):
        assert send_due(config).sent == [mail.id]
    got = recorder.messages[-1]
    assert got["To"] == f"{requester}, financije@sunce.example" and got["Cc"] is None
    assert got.get_body(("plain",)).get_content().replace("\r\n", "\n") == preview.body
    (attachment,) = list(got.iter_attachments())
    assert attachment.get_filename() == "račun-studeni.pdf"
    assert attachment.get_content() == b"%PDF-1.4 studeni\n"


async def test_u_takes_the_reply_back_within_the_window_and_not_after(demo_db, smtp):  # noqa: F811
    recorder, port = smtp
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        ticket_id = await open_first(pilot)
        before = tickets.get_ticket(ticket_id)
        await pilot.press("r", *"Molim broj ugovora.", "alt+p")
        await settle(pilot)
        sent = newest_reply(ticket_id)
        assert tickets.get_ticket(ticket_id).status is Status.PENDING
        (held,) = reply_mails(sent.id)
        until = clock.to_utc(held.hold_until).astimezone(app.tz)
        shown = app.screen.query_one("#thread", ThreadView).query(EntryView).last()
        header = str(shown.render()).splitlines()[0]
        assert header.endswith(f"mail held until {until:%H:%M:%S} (undo-send window)")
        await pilot.press("u")
        await settle(pilot)
        composer = app.screen.query_one(Composer)
        assert composer.body == "Molim broj ugovora." and composer.mode == "reply"
        assert composer.canned_status == "pending"  # alt+p again would send the same
        after = tickets.get_ticket(ticket_id)
        assert after.status is before.status
        assert [e.id for e in after.entries] == [e.id for e in before.entries]
        assert reply_mails(sent.id) == []
        assert Event.select().where(
            (Event.ticket == ticket_id) & (Event.action == "unsend")
        ).count() == 1
        await pilot.press("escape", "u")  # out of the composer (there u is a letter)
        await settle(pilot)
        assert "nothing to undo" in [n.message for n in app._notifications][-1]
        # past the window, u does nothing and the mail leaves
        app.settings = ConsoleSettings(undo_send_seconds=0.2)
        composer.clear()
        await pilot.press("r", *"Drugi odgovor.", "ctrl+s")
        await settle(pilot)
        assert composer.body == ""
        late = newest_reply(ticket_id)
        await asyncio.sleep(0.3)
        await pilot.press("u")
        await settle(pilot)
        assert newest_reply(ticket_id).id == late.id
    with clock.frozen_at(clock.now() + timedelta(seconds=1)):
        send_due(config_for(port), limit=10_000)
    bodies = [m.get_body(("plain",)).get_content() for m in recorder.messages]
    assert any("Drugi odgovor." in b for b in bodies)
    assert not any("Molim broj ugovora." in b for b in bodies)


def test_a_bad_window_in_the_config_falls_back_and_says_so(demo_db, tmp_path, monkeypatch):
    config = tmp_path / "console.toml"
    config.write_text('[console]\nundo_send_seconds = "soon"\n')
    monkeypatch.setenv("DESKTERM_CONFIG", str(config))
    app = make_app(demo_db, "ana", watch_interval=None)
    assert app.settings == ConsoleSettings()
    assert "undo_send_seconds: expected 0 to 600 seconds" in app._startup_warning


async def test_time_spent_prompt_logs_what_ticket_time_logs(demo_db, tmp_path, monkeypatch):
    config = tmp_path / "console.toml"
    config.write_text("[console]\nask_time_spent = true\nundo_send_seconds = 0\n")
    monkeypatch.setenv("DESKTERM_CONFIG", str(config))
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await open_first(pilot)
        await pilot.press("c", *"Provjereno.", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"1h3O")  # a typo: the dialog says so and keeps the text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        assert "bad time" in str(app.screen.query_one("#prompt-feedback").render())
        await pilot.press("backspace", "0")
        assert "90 min" in str(app.screen.query_one("#prompt-feedback").render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        # escape skips: nothing more is logged
        await pilot.press("c", *"Još jedna bilješka.", "ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    other = tickets.create_ticket(
        tickets_actor(), subject="Test", body="b", requester_email="t@example.com"
    ).id
    result = CliRunner().invoke(
        cli_app, ["--db", str(demo_db), "--as", "ana", "ticket", "time", f"#{other}", "90"]
    )
    assert result.exit_code == 0, result.output

    def logged(tid: int):
        rows = TimeEntry.select().where(TimeEntry.ticket == tid)
        events = Event.select().where((Event.ticket == tid) & (Event.action == "time"))
        return (
            [(r.agent_id, r.minutes, r.note) for r in rows],
            [(e.actor, e.field, e.before, e.after) for e in events],
        )

    console_rows, console_events = logged(ticket_id)
    cli_rows, cli_events = logged(other)
    assert console_rows[-1:] == cli_rows == [(app.agent.id, 90, "")]
    assert console_events[-1:] == cli_events


def tickets_actor():
    from deskterm.services.directory import actor_for

    return actor_for("ana")


async def test_help_and_palette_list_the_composer_keys(demo_db):
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {text for _, text in app.screen.rows}
        assert "Undo send" in rows
        writing = {text: keys for keys, text, _ in app.screen.writing}
        assert writing["Attach file"] == "ctrl+l" and writing["To/Cc"] == "ctrl+g"
        assert writing["Preview mail"] == "ctrl+r"
        await pilot.press("escape")
        from deskterm.commands import all_entries

        assert "Undo send" in {e.title for e in all_entries(app.screen)}
        await pilot.press("r")  # writing: the composer's keys (u is a letter there)
        titles = {e.title for e in all_entries(app.screen)}
        assert {"Attach file", "To/Cc", "Preview mail"} <= titles


def test_path_completion(tmp_path, monkeypatch):
    (tmp_path / "račun-studeni.pdf").write_text("x")
    (tmp_path / "račun-prosinac.pdf").write_text("x")
    (tmp_path / "Dokumenti").mkdir()
    (tmp_path / ".skriveno").write_text("x")
    base = f"{tmp_path}/"
    assert complete_path(base + "ra") == base + "račun-"  # what both share
    assert complete_path(base + "račun-s") == base + "račun-studeni.pdf"
    assert complete_path(base + "Dok") == base + "Dokumenti/"
    assert complete_path(base + ".sk") == base + ".skriveno"
    assert complete_path(base + "x") is None
    assert complete_path(base + "račun-studeni.pdf") is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_path("~/Dok") == "~/Dokumenti/"
    assert complete_path(base) == base + "Dokumenti/"  # hidden files only when asked


@pytest.mark.parametrize("text,minutes", [("15", 15), ("15m", 15), ("1h", 60), ("1h30", 90)])
def test_parse_minutes(text, minutes):
    from deskterm.services.values import parse_minutes

    assert parse_minutes(text) == minutes


async def test_the_attach_prompt_says_a_folder_is_a_folder(demo_db, tmp_path, monkeypatch):
    # It opens on the working folder and said "no such file: /that/folder/" at once.
    (tmp_path / "račun.pdf").write_bytes(b"%PDF-1.4\n")
    monkeypatch.chdir(tmp_path)
    app = make_app(demo_db, "ana", watch_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first(pilot)
        await pilot.press("r", *"Prilog.", "ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        field = app.screen.query_one("#prompt-input")
        assert field.value == f"{tmp_path}/"
        feedback = str(app.screen.query_one("#prompt-feedback").render())
        assert feedback == f"{tmp_path}/ is a folder: type a file's name in it (tab completes)"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)  # still asking


def test_the_cli_refuses_to_attach_a_folder_in_one_line(demo_db, tmp_path):
    result = CliRunner().invoke(cli_app, ["--db", str(demo_db), "--as", "ana",
                                          "ticket", "attach", "1", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        2, f"deskterm: error: {tmp_path} is a folder, not a file\n")
