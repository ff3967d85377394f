"""The customer's SMS choice on the settings page, honoured by notifications: a real HTTP
SMS gateway on loopback gets the texts while the choice is on and none after it is off."""

from __future__ import annotations

from dataclasses import replace

import pytest
from portal_helpers import register_and_log_in
from sms_gateway import Gateway
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.config import SmsSettings
from deskterm.mail.outbound import send_due
from deskterm.services import directory, tickets
from deskterm.services.messaging import notifications
from deskterm.store.models import Contact, Event, OutboxMessage

PHONE = "+387 61 555 666"


@pytest.fixture
def gateway():
    server = Gateway()
    yield server
    server.close()


def _settings(browser, **changes) -> object:
    browser.get("/account/settings")
    data = {"timezone": "Europe/Sarajevo", "language": "", "page_size": "20", **changes}
    return browser.submit("/account/settings", data)


def _reply_mails() -> list[OutboxMessage]:
    return list(OutboxMessage.select().where((OutboxMessage.channel == "email")
                                             & (OutboxMessage.kind == "reply"))
                .order_by(OutboxMessage.id))


def _sms_rows() -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.channel == "sms")
                .order_by(OutboxMessage.id))


def test_sms_setting_is_saved_checked_and_honoured_by_notifications(
        browser, portal_config, gateway, desk):
    config = replace(portal_config, sms=SmsSettings(gateway="http", url=gateway.url))
    notifications.use_config(config)
    register_and_log_in(browser)
    page = browser.submit("/new", {"queue": "general", "name": "Lejla Begić",
                                   "subject": "Router keeps restarting",
                                   "text": "Since Monday.", "priority": "normal"},
                          from_page="/new?queue=general")
    assert page.url.endswith("/tickets/1?done=created")
    page = browser.get("/account/settings")
    assert '<input id="f-sms" name="sms" type="checkbox">' in page.text
    assert '<input id="f-phone" name="phone" type="tel" value="" autocomplete="tel">' in page.text

    # SMS without a number, then with a wrong one: inline errors, what was typed is kept.
    page = _settings(browser, sms="on")
    assert page.status == 400
    assert '<input id="f-sms" name="sms" type="checkbox" checked>' in page.text
    assert ('aria-invalid="true" aria-describedby="e-phone">' in page.text
            and '<p class="error" id="e-phone">Please enter a phone number to get SMS '
                'notifications.</p>' in page.text)
    page = _settings(browser, sms="on", phone="call me <b>now</b>")
    assert page.status == 400
    assert 'value="call me &lt;b&gt;now&lt;/b&gt;"' in page.text
    assert "Please enter a phone number: digits, spaces, + ( ) - / ." in page.text
    assert Contact.get(Contact.email == "lejla@example.ba").sms_opt_in is False

    page = _settings(browser, sms="on", phone=PHONE)
    assert page.url.endswith("/account/settings?done=saved")
    assert '<input id="f-sms" name="sms" type="checkbox" checked>' in page.text
    assert f'name="phone" type="tel" value="{PHONE}"' in page.text
    contact = Contact.get(Contact.email == "lejla@example.ba")
    assert (contact.sms_opt_in, contact.phone) == (True, PHONE)
    form = browser.get("/new?queue=general").text  # the next form knows name and number
    assert 'name="name" type="text" value="Lejla Begić"' in form
    assert f'name="phone" type="tel" value="{PHONE}"' in form

    # The desk answers: an SMS reaches the gateway, the mail the local outbox.
    ana = directory.actor_for("ana")
    tickets.reply(ana, 1, "We replaced the power adapter.")
    summary = send_due(config)
    [sms] = _sms_rows()
    assert sms.id in summary.sent and sms.to_addrs == PHONE
    assert gateway.requests[-1]["body"] == {
        "to": PHONE,
        "text": "Example Support: new reply on your ticket #1: We replaced the power adapter.",
    }
    assert [m.status for m in _reply_mails()] == ["sent"]

    # Off again (the number stays): the next answer sends mail only.
    page = _settings(browser, phone=PHONE)
    assert '<input id="f-sms" name="sms" type="checkbox">' in page.text
    tickets.reply(ana, 1, "Is it stable now?")
    send_due(config)
    assert len(_sms_rows()) == 1 and len(gateway.requests) == 1
    assert [m.status for m in _reply_mails()] == ["sent", "sent"]
    changes = [e.after for e in Event.select().where(Event.action == "portal.sms")
               .order_by(Event.id)]
    assert changes == [f"on {PHONE}", f"off {PHONE}"]


def test_the_agents_sms_command_and_the_settings_page_are_one_choice(browser, desk):
    register_and_log_in(browser)
    _settings(browser, sms="on", phone=PHONE)
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(desk), "--as", "ana", "mail", "sms",
                                 "lejla@example.ba", "--off", "--json"])
    assert result.exit_code == 0, result.output
    page = browser.get("/account/settings")
    assert '<input id="f-sms" name="sms" type="checkbox">' in page.text
    assert f'value="{PHONE}"' in page.text
    runner.invoke(app, ["--db", str(desk), "--as", "ana", "mail", "sms", "lejla@example.ba",
                        "--on", "--phone", "+385 91 000 111"])
    page = browser.get("/account/settings")
    assert '<input id="f-sms" name="sms" type="checkbox" checked>' in page.text
    assert 'value="+385 91 000 111"' in page.text


def test_a_settings_error_keeps_every_choice_the_customer_made(browser):
    """SMS ticked without a number: the page says so, and the zone, language and page size
    the customer had just chosen are still chosen (not the stored ones)."""
    register_and_log_in(browser)
    page = _settings(browser, timezone="Asia/Tehran", language="ru", page_size="50", sms="on")
    assert page.status == 400
    assert 'id="e-phone"' in page.text
    assert "<option selected>Asia/Tehran</option>" in page.text
    assert '<option value="ru" lang="ru" selected>' in page.text
    assert "<option selected>50</option>" in page.text
    assert '<input id="f-sms" name="sms" type="checkbox" checked>' in page.text
    # Nothing was saved.
    page = browser.get("/account/settings")
    assert "<option selected>Asia/Tehran</option>" not in page.text
    assert "<option selected>20</option>" in page.text
