"""The composer's send path (`services.replies`) against a real SMTP server on loopback:
held replies are not delivered until their window passes, undo takes them back, To / Cc
and files reach the wire, and the preview is the mail the customer gets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_mail_smtp import config_for, customer_mail, smtp, wired  # noqa: F401 (fixtures)

from deskterm import clock
from deskterm.domain import BadInput, Refused, Status
from deskterm.mail.outbound import send_due
from deskterm.services import attachments, directory, tickets
from deskterm.services.finding import listing
from deskterm.services.messaging import notifications, replies
from deskterm.services.messaging.inbound import Importer
from deskterm.store.models import Entry, Event, OutboxMessage


@pytest.fixture
def opened(wired, smtp):  # noqa: F811
    recorder, port = smtp
    config = config_for(port)
    notifications.use_config(config)
    ticket_id = Importer(config).import_raw(customer_mail(), "in").ticket_id
    send_due(config)  # the confirmation
    recorder.messages.clear()
    recorder.envelopes.clear()
    return ticket_id, recorder, config


def test_a_held_reply_leaves_only_when_its_window_has_passed(opened):
    ticket_id, recorder, config = opened
    ana = directory.actor_for("ana")
    sent = replies.send(ana, ticket_id, "reply", "Evo odgovora.", hold=timedelta(seconds=10))
    assert sent.held_until is not None
    assert send_due(config).sent == [] and recorder.messages == []
    with clock.frozen_at(clock.now() + timedelta(seconds=9)):
        assert send_due(config).sent == []
    with clock.frozen_at(clock.now() + timedelta(seconds=11)):
        assert len(send_due(config).sent) == 1
    (mail,) = recorder.messages
    assert "Evo odgovora." in mail.get_body(("plain",)).get_content()
    with clock.frozen_at(clock.now() + timedelta(seconds=12)):
        with pytest.raises(Refused, match="too late to undo"):
            replies.undo_send(ana, sent.entry_id)


def test_undo_within_the_window_withdraws_the_reply_its_status_and_its_mail(opened):
    ticket_id, recorder, config = opened
    ana = directory.actor_for("ana")
    before = tickets.get_ticket(ticket_id)
    assert before.first_response_at is None
    sent = replies.send(
        ana, ticket_id, "reply", "Pošaljite broj ugovora.", set_status="pending",
        cc=("racunovodstvo@customer.example",),
    )
    assert sent.detail.status is Status.PENDING and sent.detail.first_response_at is not None
    mails = OutboxMessage.select().where(OutboxMessage.ticket == ticket_id)
    held = mails.where(OutboxMessage.hold_until.is_null(False))
    assert held.count() == 1  # the reply; its status news is folded into it
    with clock.frozen_at(clock.now() + timedelta(seconds=5)):
        back = replies.undo_send(ana, sent.entry_id)
    assert back.body == "Pošaljite broj ugovora."
    assert back.to == ("durda@customer.example",)
    assert back.cc == ("racunovodstvo@customer.example",)
    assert back.status is before.status
    after = tickets.get_ticket(ticket_id)
    assert after.status is before.status and after.first_response_at is None
    assert [e.body for e in after.public_entries] == [e.body for e in before.public_entries]
    assert Entry.get_or_none(Entry.id == sent.entry_id) is None
    assert [m.kind for m in mails] == ["ticket_opened"]  # sent before, left alone
    events = Event.select().where(Event.ticket == ticket_id).order_by(Event.id)
    assert [(e.action, e.before, e.after) for e in events][-4:] == [
        ("reply", None, str(sent.entry_id)),
        ("status", before.status.value, "pending"),
        ("unsend", str(sent.entry_id), None),
        ("status", "pending", before.status.value),
    ]
    with clock.frozen_at(clock.now() + timedelta(minutes=1)):
        assert send_due(config).sent == []
    assert recorder.messages == []


def test_only_the_sender_may_undo_and_only_once(opened):
    ticket_id, _, _ = opened
    sent = replies.send(directory.actor_for("ana"), ticket_id, "reply", "Hvala.")
    with pytest.raises(Refused, match="only the agent who sent"):
        replies.undo_send(directory.actor_for("mirza"), sent.entry_id)
    replies.undo_send(directory.actor_for("ana"), sent.entry_id)
    with pytest.raises(Exception, match="no reply"):
        replies.undo_send(directory.actor_for("ana"), sent.entry_id)


def test_an_undone_reply_leaves_no_words_in_search_and_no_files_on_disk(opened, tmp_path):
    ticket_id, _, _ = opened
    ana = directory.actor_for("ana")
    (tmp_path / "ugovor.pdf").write_bytes(b"%PDF-1.4 ugovor 2026\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG shared logo")
    kept = tickets.add_note(ana, ticket_id, "Naš logo.", attachments=[
        attachments.from_path(tmp_path / "logo.png")]).entries[-1].attachments[0]
    sent = replies.send(ana, ticket_id, "reply", "Ugovor Zlatokosa u privitku.",
                        files=(str(tmp_path / "ugovor.pdf"), str(tmp_path / "logo.png")))
    files = {a.filename: attachments.storage_dir() / a.path
             for a in sent.detail.entries[-1].attachments}
    assert all(path.is_file() for path in files.values())
    assert [t.id for t in listing.list_tickets("zlatokosa", actor=ana)] == [ticket_id]
    replies.undo_send(ana, sent.entry_id)
    assert listing.list_tickets("zlatokosa", actor=ana) == []
    assert [t.id for t in listing.list_tickets("logo", actor=ana)] == [ticket_id]  # the note
    assert not files["ugovor.pdf"].exists()
    assert files["logo.png"] == attachments.storage_dir() / kept.path  # the note's, same bytes
    assert files["logo.png"].read_bytes() == b"\x89PNG shared logo"


def test_to_cc_and_files_reach_the_smtp_server(opened, tmp_path):
    ticket_id, recorder, config = opened
    invoice = tmp_path / "račun-studeni.pdf"
    invoice.write_bytes(b"%PDF-1.4 studeni\n")
    replies.send(
        directory.actor_for("ana"),
        ticket_id,
        "reply",
        "Račun je u privitku.",
        to=("Đurđa Šimić <durda@customer.example>", "financije@customer.example"),
        cc=(),
        files=(str(invoice),),
        hold=timedelta(0),
    )
    send_due(config)
    (mail,) = recorder.messages
    assert mail["To"] == "durda@customer.example, financije@customer.example"
    assert mail["Cc"] is None  # the follower boss@ was taken off for this reply
    assert sorted(recorder.envelopes[0][1]) == [
        "durda@customer.example",
        "financije@customer.example",
    ]
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "račun-studeni.pdf"
    assert attachment.get_content() == b"%PDF-1.4 studeni\n"


def test_the_preview_is_the_mail_the_customer_gets(opened):
    ticket_id, recorder, config = opened
    preview = notifications.preview_reply(ticket_id, "Sutra stiže račun.", "Ana Anić")
    replies.send(
        directory.actor_for("ana"), ticket_id, "reply", "Sutra stiže račun.", hold=timedelta(0)
    )
    send_due(config)
    (mail,) = recorder.messages
    assert preview.subject == mail["Subject"]
    assert preview.body == mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert preview.to == ("durda@customer.example",)
    assert preview.cc == ("boss@customer.example",)
    assert preview.sender == mail["From"]


def test_bad_addresses_and_missing_files_refuse_the_whole_send(opened, tmp_path):
    ticket_id, _, _ = opened
    ana = directory.actor_for("ana")
    count = len(tickets.get_ticket(ticket_id).entries)
    with pytest.raises(BadInput, match="not an email address"):
        replies.send(ana, ticket_id, "reply", "x", to=("durda at customer",))
    with pytest.raises(BadInput, match="no such file"):
        replies.send(ana, ticket_id, "reply", "x", files=(str(tmp_path / "nema.pdf"),))
    with pytest.raises(BadInput, match="at least one recipient"):
        replies.send(ana, ticket_id, "reply", "x", to=())
    assert len(tickets.get_ticket(ticket_id).entries) == count


def test_parse_addresses():
    assert replies.parse_addresses("A <a@x.ba>; b@y.ru, a@x.ba") == ("a@x.ba", "b@y.ru")
    assert replies.parse_addresses("  ") == ()
    with pytest.raises(BadInput):
        replies.parse_addresses("nobody")
