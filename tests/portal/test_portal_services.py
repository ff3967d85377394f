"""The portal's services and languages without a browser: tokens, settings, catalogues,
password hashing, notifications' tracking link, and the CLI commands."""

from __future__ import annotations

import gettext
import json
import re
from datetime import datetime, timedelta

import pytest
from babel.messages.pofile import read_po
from portal_helpers import open_ticket
from typer.testing import CliRunner

from deskterm import clock, i18n
from deskterm.cli import app as cli_app
from deskterm.config import Config
from deskterm.domain import BadInput, CustomerScope, NotFound
from deskterm.services import directory, tickets
from deskterm.services.portal import customer_access, tracking
from deskterm.services.portal.portal_settings import portal_settings


def test_tracking_token_opens_one_ticket_for_its_requester_only(desk):
    ana = directory.actor_for("ana")
    first = tickets.create_ticket(ana, subject="A", body="a", requester_email="a@example.com")
    second = tickets.create_ticket(ana, subject="B", body="b", requester_email="a@example.com")
    token = tracking.make_token(first.id, first.requester.id)
    scope = tracking.open_token(token)
    assert scope == CustomerScope(contact_id=first.requester.id, email="a@example.com",
                                  ticket_id=first.id)
    assert customer_access.check(scope, "ticket.view", first.id).id == first.id
    with pytest.raises(NotFound, match="no such ticket"):
        customer_access.check(scope, "ticket.view", second.id)  # same customer, other ticket
    with pytest.raises(NotFound, match="no such ticket"):
        customer_access.check(scope, "ticket.resolve", first.id)  # a link may not resolve
    with clock.frozen_at(clock.now() + timedelta(days=30, seconds=5)):
        with pytest.raises(tracking.LinkExpired):
            tracking.open_token(token)


def test_organisation_tickets_only_when_the_desk_enables_them(desk):
    ana = directory.actor_for("ana")
    mine = tickets.create_ticket(ana, subject="A", body="a", requester_email="a@acme.example")
    colleague = tickets.create_ticket(ana, subject="B", body="b",
                                      requester_email="b@acme.example")
    directory.update_contact("a@acme.example", organisation="Acme")
    directory.update_contact("b@acme.example", organisation="Acme")
    scope = CustomerScope(contact_id=mine.requester.id, email="a@acme.example", account_id=1)
    with pytest.raises(NotFound):
        customer_access.check(scope, "ticket.view", colleague.id)
    row = customer_access.check(scope, "ticket.view", colleague.id, organisation_tickets=True)
    assert row.id == colleague.id


def test_portal_settings_from_config_and_bad_values_named():
    config = Config(raw={"portal": {"url": "https://help.example.com/", "tracking_days": 7,
                                    "upload_types": ["PDF", ".png"],
                                    "forms": {"billing": {"show": ["phone"],
                                                          "require": ["contract_no"]}}}})
    settings = portal_settings(config)
    assert settings.url == "https://help.example.com"
    assert settings.upload_types == (".pdf", ".png")
    billing = settings.form_for("billing")
    assert billing.show == ("phone", "contract_no") and billing.require == ("contract_no",)
    assert settings.form_for("general").require == ("name",)
    for bad, message in (({"tracking_days": "soon"}, "tracking_days: expected a number"),
                         ({"registration": "magic"}, "registration: expected link or password"),
                         ({"forms": {"x": {"show": ["shoe_size"]}}}, "unknown field 'shoe_size'"),
                         ({"colour": "red"}, "unknown key(s) colour")):
        with pytest.raises(BadInput, match=re.escape(message)):
            portal_settings(Config(raw={"portal": bad}))


def test_production_password_hash_is_argon2id_with_64_mib():
    from argon2 import PasswordHasher

    from deskterm.services.portal import customers

    assert customers.HASHER is not None
    real = PasswordHasher()  # what the module uses outside tests (see the cheap fixture)
    assert real.hash("x" * 12).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_catalogues_complete_and_compiled_mo_matches_po():
    pot = read_po(i18n.CATALOGUE_DIR.joinpath("messages.pot").open("rb"))
    ids = {m.id for m in pot if m.id}
    assert len(ids) > 100
    for language in ("bs", "hr", "sr", "ru", "fa"):
        folder = i18n.CATALOGUE_DIR / language / "LC_MESSAGES"
        po = read_po((folder / "messages.po").open("rb"))
        strings = {m.id: m.string for m in po if m.id}
        assert set(strings) == ids, language
        assert all(strings.values()), f"{language}: untranslated strings"
        for msgid, text in strings.items():  # placeholders survive translation
            assert sorted(re.findall(r"%\(\w+\)[sd]", msgid)) == \
                sorted(re.findall(r"%\(\w+\)[sd]", text)), (language, msgid)
        compiled = gettext.GNUTranslations((folder / "messages.mo").open("rb"))
        stale = [m for m, t in strings.items() if compiled.gettext(m) != t]
        assert not stale, f"{language}: .mo is stale; run python -m deskterm.i18n.catalogues"


def test_accept_language_negotiation():
    assert i18n.negotiate("fa-IR,fa;q=0.9,en-US;q=0.8") == "fa"
    assert i18n.negotiate("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4") == "ru"
    assert i18n.negotiate("sr-Latn-RS") == "sr"
    assert i18n.negotiate("hr;q=0.2, bs;q=0.9") == "bs"
    assert i18n.negotiate("") == "en"
    assert i18n.negotiate("x" * 5000 + ";q=zz") == "en"


def test_dates_in_the_customers_zone_with_offset_the_same_in_every_language():
    from deskterm.portal.web import time_element

    stored = datetime(2026, 12, 1, 9, 15, 42, 123456)  # as the store returns it: naive UTC
    assert time_element(stored, "Europe/Sarajevo") == (
        '<time dir="ltr" datetime="2026-12-01T09:15:42+00:00">2026-12-01 10:15 +01:00</time>')
    assert time_element(stored, "Asia/Tehran").endswith(">2026-12-01 12:45 +03:30</time>")
    assert time_element(stored, "America/St_Johns").endswith(">2026-12-01 05:45 -03:30</time>")
    assert time_element(stored, "Not/AZone").endswith(">2026-12-01 09:15 +00:00</time>")
    assert time_element(None, "UTC") == ""


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_every_page_in_every_language(client, language):
    client.headers["accept-language"] = language
    html = [client.get(url).text for url in ("/", "/new?queue=general", "/account/login",
                                             "/account/register", "/account/forgot",
                                             "/tickets/1", "/nowhere")]
    direction = "rtl" if language == "fa" else "ltr"
    for page in html:
        assert f'<html lang="{language}" dir="{direction}">' in page
    _ = i18n.gettext_for(language)
    assert _("How can we help?") in html[0]
    assert _("Fields marked * are required.") in html[1]
    assert _("(optional)") in html[1]
    assert _("We could not find that page or ticket.") in html[6]
    if language != "en":
        assert "How can we help?" not in html[0]


def test_switching_language_sets_a_cookie_and_persian_is_rtl(browser):
    page = open_ticket(browser)
    ticket_path = re.search(r"(/t/[\w.-]+)", page.url).group(1)
    page = browser.submit("/lang", {"language": "fa", "next": ticket_path})
    assert page.url.endswith(ticket_path)
    assert '<html lang="fa" dir="rtl">' in page.text
    assert "پاسخ" in page.text  # "Reply"
    page = browser.submit("/lang", {"language": "en", "next": "https://evil.example/"})
    assert page.url == "http://testserver/"


def test_status_mail_carries_the_tracking_link_and_it_works(browser):
    from portal_helpers import link_in, outbox_to

    open_ticket(browser)
    ana = directory.actor_for("ana")
    tickets.set_status(ana, 1, "open")
    tickets.set_status(ana, 1, "on_hold")
    mails = outbox_to("lejla@example.ba")
    assert [m.kind for m in mails] == ["ticket_opened", "status_changed"]
    for mail in mails:
        body = mail.body
        assert re.search(r"Follow your ticket here: http://testserver/t/[\w.-]+\n\[DT#1-", body)
        assert browser.get(link_in(body, "t")).status == 200


def test_no_link_without_a_portal_url(desk):
    ana = directory.actor_for("ana")
    tickets.create_ticket(ana, subject="A", body="a", requester_email="a@example.com")
    from deskterm.store.models import OutboxMessage

    assert "/t/" not in OutboxMessage.get().body


def test_cli_rotate_key_and_portal_help(desk):
    runner = CliRunner()
    result = runner.invoke(cli_app, ["--db", str(desk), "portal", "rotate-key", "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)
    assert first["retired"] == 0 and len(first["key"]) == 6
    result = runner.invoke(cli_app, ["--db", str(desk), "portal", "rotate-key", "--retire",
                                     "--json"])
    assert json.loads(result.output)["retired"] == 2  # the first key and the one above
    assert [k for k, _ in tracking.keys()] == [json.loads(result.output)["key"]]
    result = runner.invoke(cli_app, ["portal", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "rotate-key" in result.output
    result = runner.invoke(cli_app, ["portal", "--port", "99999"])
    assert result.exit_code == 2


def test_customer_checks_go_through_the_desks_access_check(desk, monkeypatch):
    from deskterm.services.trust import access

    ana = directory.actor_for("ana")
    ticket = tickets.create_ticket(ana, subject="A", body="a", requester_email="a@example.com")
    scope = CustomerScope(contact_id=ticket.requester.id, email="a@example.com", account_id=1)
    asked = []
    real = access.check
    monkeypatch.setattr(access, "check", lambda actor, action, resource=None: (
        asked.append((actor.label, str(action))), real(actor, action, resource))[1])
    customer_access.check(scope, "ticket.view", ticket.id)
    customer_access.check(scope, "ticket.reply", ticket.id)
    customer_access.check(scope, "ticket.resolve", ticket.id)
    assert asked == [("customer:a@example.com", "ticket.read"),
                     ("customer:a@example.com", "ticket.customer_message"),
                     ("customer:a@example.com", "ticket.customer_resolve")]
    # And a customer Actor cannot resolve someone else's ticket even past the portal.
    other = tickets.create_ticket(ana, subject="B", body="b", requester_email="b@example.com")
    with pytest.raises(NotFound):
        tickets.set_status(scope.actor, other.id, "resolved")
