"""Outbound mail through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import mailbox as std_mailbox
import socket
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from deskterm import clock
from deskterm.config import Config, MailSettings, SmtpSettings
from deskterm.domain import Delivery, NewAttachment
from deskterm.mail import ids
from deskterm.mail.outbound import send_due
from deskterm.services import directory, tickets
from deskterm.services.messaging import mailbox, notifications
from deskterm.services.messaging.inbound import Importer

SECRET = "smtp-test-secret"


class Recorder:
    """An SMTP handler that keeps what it accepts and can refuse the next N messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        if self.refuse:
            return self.refuse.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


def config_for(port: int | None) -> Config:
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none") if port else SmtpSettings()
    return Config(
        desk_name="Desk Support",
        mail=MailSettings(address="support@desk.example", domain="desk.example", secret=SECRET,
                          smtp=smtp),
    )


@pytest.fixture
def wired(desk):
    """Every listener on (SLA, rules, notifications), as in a running desk."""
    yield
    notifications.use_config(None)


def customer_mail(**headers) -> bytes:
    values = {
        "From": "Đurđa Šimić <durda@customer.example>",
        "To": "support@desk.example",
        "Cc": "boss@customer.example",
        "Subject": "Račun ne stiže",
        "Message-ID": "<first@customer.example>",
    }
    values.update({name.replace("_", "-"): value for name, value in headers.items()})
    msg = EmailMessage()
    for name, value in values.items():
        msg[name] = value
    msg.set_content("Dobar dan, račun za studeni nije stigao.")
    return bytes(msg)


def test_confirmation_and_reply_arrive_threaded_with_attachment(wired, smtp):
    recorder, port = smtp
    config = config_for(port)
    notifications.use_config(config)
    opened = Importer(config).import_raw(customer_mail(), "in")
    ana = directory.actor_for("ana")
    pdf = NewAttachment("račun-studeni.pdf", "application/pdf", b"%PDF-1.4 test\n")
    tickets.reply(ana, opened.ticket_id, "Evo računa u privitku.", attachments=[pdf])
    summary = send_due(config)
    assert len(summary.sent) == 2 and not summary.deferred
    confirmation, reply = recorder.messages
    ref = f"[#{opened.ticket_id}]"
    assert confirmation["Subject"] == f"{ref} Račun ne stiže"
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert confirmation["To"] == "durda@customer.example"
    assert confirmation["In-Reply-To"] == "<first@customer.example>"
    assert reply["Subject"] == f"Re: {ref} Račun ne stiže"
    assert reply["Cc"] == "boss@customer.example"
    assert reply["Reply-To"] == "Desk Support <support@desk.example>"
    assert reply["In-Reply-To"] == "<first@customer.example>"
    references = reply["References"].split()
    assert references == ["<first@customer.example>", confirmation["Message-ID"]]
    assert ids.ticket_from_message_id(reply["Message-ID"], SECRET) == opened.ticket_id
    assert reply["Thread-Index"] and reply["Thread-Topic"] == "Račun ne stiže"
    assert reply["X-Loop"] == "support@desk.example"
    assert reply.get("Auto-Submitted") is None  # a human wrote it
    text = reply.get_body(("plain",)).get_content()
    assert "Evo računa u privitku." in text and "Ana Anić" in text
    html = reply.get_body(("html",)).get_content()
    assert "display:none" in html and ids.make_token(opened.ticket_id, SECRET) in html
    (attachment,) = list(reply.iter_attachments())
    assert attachment.get_filename() == "račun-studeni.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test\n"
    assert sorted(recorder.envelopes[1][1]) == ["boss@customer.example", "durda@customer.example"]
    # the thread shows the delivery status next to the public reply
    detail = tickets.get_ticket(opened.ticket_id)
    reply_entry = detail.public_entries[-1]
    assert reply_entry.delivery is Delivery.SENT
    assert notifications.delivery_for_entries([reply_entry.id]) == {reply_entry.id: Delivery.SENT}


def test_customer_answer_to_the_received_mail_lands_in_the_ticket(wired, smtp):
    recorder, port = smtp
    config = config_for(port)
    notifications.use_config(config)
    importer = Importer(config)
    opened = importer.import_raw(customer_mail(), "in")
    tickets.reply(directory.actor_for("ana"), opened.ticket_id, "Fixed.", set_status="resolved")
    send_due(config)
    got = recorder.messages[-1]  # the survey comes after the reply
    # Đurđa wrote in Bosnian/Croatian (detected, .example: Bosnian): the survey speaks it too
    assert got["Subject"] == f"[#{opened.ticket_id}] Riješeno: Račun ne stiže - kako smo bili?"
    answer = EmailMessage()
    answer["From"] = "durda@customer.example"
    answer["To"] = got["Reply-To"]
    answer["Subject"] = "Re: " + got["Subject"]
    answer["In-Reply-To"] = got["Message-ID"]
    answer["References"] = got["References"] + " " + got["Message-ID"]
    quoted = "\n".join("> " + line for line in got.get_body(("plain",)).get_content().splitlines())
    answer.set_content(f"Not fixed, still no invoice.\n\nOn Tue, Desk wrote:\n{quoted}\n")
    result = importer.import_raw(bytes(answer), "answer")
    assert (result.status, result.ticket_id) == ("threaded", opened.ticket_id)
    detail = tickets.get_ticket(opened.ticket_id)
    assert detail.status.value == "open"
    assert detail.public_entries[-1].body == "Not fixed, still no invoice."


def test_refused_then_accepted_is_deferred_then_sent(wired, smtp):
    recorder, port = smtp
    config = config_for(port)
    notifications.use_config(config)
    opened = Importer(config).import_raw(customer_mail(), "in")
    recorder.refuse = ["451 4.3.0 Try again later"]
    first = send_due(config)
    assert first.deferred and not first.sent
    (item,) = mailbox.list_outbox(ticket_id=opened.ticket_id)
    assert item.status is Delivery.DEFERRED and item.attempts == 1
    assert "451" in item.last_error and item.next_attempt_at > clock.now()
    assert send_due(config).sent == []  # not due yet
    with clock.frozen_at(clock.now() + timedelta(minutes=2)):
        second = send_due(config)
    assert second.sent == [item.id]
    (item,) = mailbox.list_outbox(ticket_id=opened.ticket_id)
    assert item.status is Delivery.SENT and item.attempts == 2 and item.last_error is None
    assert len(recorder.messages) == 1


def test_permanent_refusal_fails_at_once(wired, smtp):
    recorder, port = smtp
    config = config_for(port)
    notifications.use_config(config)
    Importer(config).import_raw(customer_mail(), "in")
    recorder.refuse = ["550 5.1.1 No such user"]
    summary = send_due(config)
    assert summary.failed and not summary.deferred
    (item,) = mailbox.list_outbox()
    assert item.status is Delivery.FAILED and "550" in item.last_error


def test_server_down_defers(wired):
    config = config_for(_free_port())  # nothing listens there
    notifications.use_config(config)
    Importer(config).import_raw(customer_mail(), "in")
    Importer(config).import_raw(customer_mail(Message_ID="<second@customer.example>",
                                              Subject="Drugi"), "in2")
    summary = send_due(config)
    assert len(summary.deferred) == 2 and not summary.sent
    for item in mailbox.list_outbox():
        assert item.status is Delivery.DEFERRED and "127.0.0.1" in item.last_error


def test_without_smtp_mail_goes_to_a_local_maildir(wired):
    config = config_for(None)
    notifications.use_config(config)
    opened = Importer(config).import_raw(customer_mail(), "in")
    assert send_due(config).sent
    box = std_mailbox.Maildir(str(mailbox.mail_dir() / "outbox"), create=False)
    (raw,) = [box.get_bytes(key) for key in box.iterkeys()]
    got = email.message_from_bytes(raw, policy=policy.default)
    assert got["Subject"] == f"[#{opened.ticket_id}] Račun ne stiže"
