"""SMS notifications through a real HTTP server on loopback (a gateway that checks the
request, fails, and is retried) and through the file gateway."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sms_gateway import Gateway
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import app
from deskterm.config import SmsSettings
from deskterm.domain import Actor
from deskterm.mail.outbound import send_due
from deskterm.services import directory, tickets
from deskterm.services.messaging import mailbox, notifications
from deskterm.services.messaging.inbound import Importer
from deskterm.store.models import OutboxMessage


@pytest.fixture
def gateway():
    server = Gateway()
    yield server
    server.close()


def _opened(config, phone="+387 61 123 456"):
    importer = Importer(config)
    raw = ("From: Lejla <lejla@example.ba>\nTo: support@desk.example\nSubject: Printer\n"
           "Message-ID: <l1@example.ba>\nContent-Type: text/plain; charset=utf-8\n\n"
           "Poštovani, printer ne radi, molim pomoć.\n").encode()
    result = importer.import_raw(raw, "l1")
    directory.set_sms(Actor.system("test"), "lejla@example.ba", opt_in=True, phone=phone)
    return result.ticket_id


def test_reply_and_status_change_reach_the_http_gateway_after_a_failure(mail_desk, gateway):
    config = replace(mail_desk, sms=SmsSettings(
        gateway="http", url=gateway.url, auth_header="Authorization: Bearer s3cret",
        body='{"to": "{to}", "text": "{text}", "from": "Desk"}'))
    notifications.use_config(config)
    ticket_id = _opened(config)
    tickets.reply(directory.actor_for("ana"), ticket_id, 'Printer je "popravljen".\nProbajte.')
    (sms,) = OutboxMessage.select().where(OutboxMessage.channel == "sms")
    assert (sms.kind, sms.to_addrs, sms.status) == ("reply", "+387 61 123 456", "queued")
    gateway.script = [503]
    first = send_due(config)
    assert sms.id in first.deferred and len(gateway.requests) == 1
    row = OutboxMessage.get_by_id(sms.id)
    assert (row.status, row.last_error) == ("deferred", "sms: HTTP 503 Service Unavailable")
    with clock.frozen_at(clock.now() + timedelta(hours=2)):
        again = send_due(config)
    assert sms.id in again.sent and OutboxMessage.get_by_id(sms.id).status == "sent"
    request = gateway.requests[-1]
    assert request["path"] == "/v1/messages" and request["auth"] == "Bearer s3cret"
    assert request["type"] == "application/json; charset=utf-8"
    assert request["body"] == {
        "to": "+387 61 123 456", "from": "Desk",
        "text": f'Desk Support: novi odgovor na vašu prijavu #{ticket_id}: Printer je '
                '"popravljen". Probajte.',
    }
    tickets.set_status(directory.actor_for("ana"), ticket_id, "on_hold")
    send_due(config)
    assert gateway.requests[-1]["body"]["text"] == (
        f"Desk Support: vaša prijava #{ticket_id} je sada: na čekanju.")
    assert [i.status.value for i in mailbox.list_outbox(ticket_id=ticket_id)
            if i.channel == "sms"] == ["sent", "sent"]


def test_a_rejected_sms_fails_and_mail_is_unaffected(mail_desk, gateway):
    config = replace(mail_desk, sms=SmsSettings(gateway="http", url=gateway.url))
    notifications.use_config(config)
    ticket_id = _opened(config, phone="+385 91 000 000")
    tickets.reply(directory.actor_for("ana"), ticket_id, "Done.")
    gateway.script = [400]
    summary = send_due(config)
    (sms,) = OutboxMessage.select().where(OutboxMessage.channel == "sms")
    assert sms.id in summary.failed
    assert OutboxMessage.get_by_id(sms.id).last_error == "sms: HTTP 400 Bad Request"
    mails = OutboxMessage.select().where(OutboxMessage.channel == "email")
    assert {m.status for m in mails} == {"sent"}


def test_unreachable_gateway_defers_and_no_opt_in_no_sms(mail_desk, gateway):
    url = gateway.url
    gateway.close()
    config = replace(mail_desk, sms=SmsSettings(gateway="http", url=url, timeout=2))
    notifications.use_config(config)
    ticket_id = _opened(config)
    tickets.reply(directory.actor_for("ana"), ticket_id, "Done.")
    summary = send_due(config)
    (sms,) = OutboxMessage.select().where(OutboxMessage.channel == "sms")
    assert sms.id in summary.deferred
    assert OutboxMessage.get_by_id(sms.id).last_error.startswith("sms: gateway unreachable")
    directory.set_sms(Actor.system("test"), "lejla@example.ba", opt_in=False)
    tickets.reply(directory.actor_for("ana"), ticket_id, "Again.")
    assert OutboxMessage.select().where(OutboxMessage.channel == "sms").count() == 1


def test_file_gateway_and_the_opt_in_command(desk, tmp_path):
    import os

    config_file = tmp_path / "home" / "config.toml"
    assert str(config_file) == os.environ["DESKTERM_CONFIG"]
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[mail]\naddress = "support@desk.example"\n[sms]\nfolder = '
                           f'"{tmp_path / "phone"}"\n', encoding="utf-8")
    runner = CliRunner()
    base = ["--db", str(desk), "--as", "ana"]
    directory.update_contact("ivo@example.hr", name="Ivo Ivić")  # a customer the desk knows
    no_phone = runner.invoke(app, [*base, "mail", "sms", "ivo@example.hr"])
    assert no_phone.exit_code == 2 and "has no phone number" in no_phone.output
    on = runner.invoke(app, [*base, "mail", "sms", "ivo@example.hr", "--phone", "+385 1 234",
                             "--json"])
    assert on.exit_code == 0 and json.loads(on.stdout)["sms"] is True
    made = tickets.create_ticket(directory.actor_for("ana"), subject="Račun", body="Pitanje",
                                 requester_email="ivo@example.hr")
    tickets.reply(directory.actor_for("ana"), made.id, "Evo odgovora.")
    assert runner.invoke(app, [*base, "mail", "send"]).exit_code == 0
    (written,) = (tmp_path / "phone").iterdir()
    assert json.loads(written.read_text(encoding="utf-8"))["to"] == "+385 1 234"
    assert json.loads(written.read_text(encoding="utf-8"))["text"] == (
        f"deskterm support: new reply on your ticket #{made.id}: Evo odgovora.")
