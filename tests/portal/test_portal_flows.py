"""Every customer flow through the real app (Starlette's TestClient on a real desk file)."""

from __future__ import annotations

import re
from datetime import timedelta

from portal_helpers import link_in, open_ticket, outbox_to, register_and_log_in

from deskterm import clock
from deskterm.services import directory, tickets
from deskterm.store.models import Contact, CustomerAccount, Event, Ticket


def _refs(html: str) -> list[str]:
    """The ticket numbers of a "my tickets" page, in order."""
    return re.findall(r'<td><a href="/tickets/(\d+)">#', html)


def _thread_bodies(html: str) -> list[str]:
    return re.findall(r'<div class="body" dir="auto">(.*?)</div>', html, re.S)


def test_anonymous_form_to_ticket_page_to_reply(browser):
    page = open_ticket(browser)
    assert page.status == 200
    assert re.search(r"/t/[\w.-]+\?done=created$", page.url)
    assert "Thank you! Your ticket #1 is open." in page.text
    assert "Printer on floor 2 is offline" in page.text
    assert '<span class="status status-new">Received</span>' in page.text
    ticket = tickets.get_ticket(1)
    assert (ticket.channel, ticket.queue, ticket.requester.email) == (
        "web", "general", "lejla@example.ba")
    assert ticket.requester.name == "Lejla Begić"
    # The confirmation mail carries the tracking link, and it opens the same page.
    [confirmation] = outbox_to("lejla@example.ba")
    assert confirmation.kind == "ticket_opened"
    link = link_in(confirmation.body, "t")
    assert "Follow your ticket here: http://testserver/t/" in confirmation.body
    assert "Printer on floor 2 is offline" in browser.get(link).text

    page = browser.submit(f"{link}/reply", {"text": "Here is the error screen."},
                          files=[("files", ("screen.png", b"\x89PNG fake", "image/png"))])
    assert page.status == 200 and page.url.endswith("?done=reply#latest")
    assert _thread_bodies(page.text) == ["It shows error 49.", "Here is the error screen."]
    assert "screen.png" in page.text
    assert len(tickets.get_ticket(1).entries) == 2
    assert Ticket.select().count() == 1  # a reply goes into the same ticket

    ana = directory.actor_for("ana")
    tickets.add_note(ana, 1, "Internal: the customer is on the old firmware")
    tickets.reply(ana, 1, "Please restart the printer.", set_status="pending")
    page = browser.get(link)
    assert _thread_bodies(page.text)[-1] == "Please restart the printer."
    assert "Internal" not in page.text and "old firmware" not in page.text
    assert '<span class="status status-pending">Answered</span>' in page.text
    assert '<span class="badge">Support</span>' in page.text


def test_required_fields_per_queue_marked_and_inline_errors_keep_input(browser):
    form = browser.get("/new?queue=billing")
    assert re.search(r'Contract number <span class="req" aria-hidden="true">\*</span>', form.text)
    assert re.search(r'Contact phone <span class="opt">\(optional\)</span>', form.text)
    assert 'name="custom.invoice"' in form.text and "Invoice number" in form.text
    general = browser.get("/new?queue=general")
    assert 'name="custom.invoice"' not in general.text
    assert re.search(r'Contract number <span class="opt">\(optional\)</span>', general.text)

    page = open_ticket(browser, queue="billing", subject="Invoice <twice>", name="",
                       contract_no="", text="")
    assert page.status == 400
    assert 'id="f-contract_no" name="contract_no" type="text" value="" required ' \
           'aria-required="true" aria-invalid="true" aria-describedby="e-contract_no"' in page.text
    assert '<p class="error" id="e-contract_no">Please fill in this field.</p>' in page.text
    assert '<p class="error" id="e-text">Please fill in this field.</p>' in page.text
    assert 'value="Invoice &lt;twice&gt;"' in page.text  # what was typed stays, as text
    assert 'aria-invalid="true" aria-describedby="e-subject"' not in page.text
    assert Ticket.select().count() == 0

    page = open_ticket(browser, queue="billing", contract_no="K-2291", phone="+387 61 123 456",
                       **{"custom.invoice": "R-1043", "sms": "on"})
    assert page.status == 200
    ticket = tickets.get_ticket(1)
    assert ticket.entries[0].body == "Invoice number: R-1043\n\nIt shows error 49."
    assert (ticket.requester.contract_no, ticket.requester.phone) == ("K-2291", "+387 61 123 456")
    assert Event.get(Event.action == "sms_requested").after == "+387 61 123 456"
    assert Contact.get(Contact.email == "lejla@example.ba").sms_opt_in
    # "Notify me by SMS when support answers": the agent's reply also queues an SMS.
    from deskterm.store.models import OutboxMessage

    tickets.reply(directory.actor_for("marko"), 1, "We refunded the second charge.")
    channels = [m.channel for m in OutboxMessage.select().where(OutboxMessage.kind == "reply")]
    assert sorted(channels) == ["email", "sms"]


def test_the_pages_language_becomes_the_customers_mail_language(browser):
    browser.client.headers["accept-language"] = "bs-BA,bs;q=0.9"
    page = open_ticket(browser)
    assert '<html lang="bs" dir="ltr">' in page.text
    assert Contact.get(Contact.email == "lejla@example.ba").language == "bs"
    [confirmation] = outbox_to("lejla@example.ba")
    assert "Pratite svoj tiket ovdje: http://testserver/t/" in confirmation.body


def test_attachment_type_and_size_limits(browser):
    browser.get("/new?queue=general")
    data = {"queue": "general", "email": "a@example.com", "name": "A", "subject": "S",
            "text": "T", "priority": "normal"}
    page = browser.submit("/new", data, files=[("files", ("run.exe", b"MZ", "image/png"))])
    assert page.status == 400
    assert '<p class="error" id="e-attachments">This type of file cannot be uploaded.</p>' \
        in page.text
    browser.get("/new?queue=general")
    big = b"x" * (10 * 1024 * 1024 + 1)
    page = browser.submit("/new", data, files=[("files", ("log.txt", big, "text/plain"))])
    assert page.status == 400
    assert "A file is larger than the limit." in page.text
    assert Ticket.select().count() == 0


def test_register_confirm_login_settings_list_reply_resolve_logout_reset(browser):
    register_and_log_in(browser)
    account = CustomerAccount.get()
    assert account.password_hash.startswith("$argon2id$")
    assert account.confirmed_at is not None

    # Three tickets from the account, one closed by the desk.
    for subject in ("VPN drops every hour", "Invoice 2026-11 missing", "New laptop"):
        page = browser.submit("/new", {"queue": "general", "name": "Lejla Begić",
                                       "subject": subject, "text": "details",
                                       "priority": "normal"}, from_page="/new?queue=general")
        assert page.status == 200 and "/tickets/" in page.url
    ana = directory.actor_for("ana")
    tickets.set_status(ana, 3, "closed")
    # Another customer's ticket must never show up in this list.
    tickets.create_ticket(ana, subject="VPN for someone else", body="x",
                          requester_email="other@example.com")

    page = browser.get("/tickets")
    assert _refs(page.text) == ["3", "2", "1"]
    page = browser.get("/tickets?state=open")
    assert _refs(page.text) == ["2", "1"]
    page = browser.get("/tickets?state=closed")
    assert _refs(page.text) == ["3"]
    page = browser.get("/tickets?q=vpn")
    assert _refs(page.text) == ["1"]
    page = browser.get("/tickets?q=%232")
    assert _refs(page.text) == ["2"]
    today = clock.now().date().isoformat()
    page = browser.get(f"/tickets?q={today}&sort=created")
    assert _refs(page.text) == ["1", "2", "3"]
    page = browser.get("/tickets?sort=subject")
    assert _refs(page.text) == ["2", "3", "1"]

    # Settings: time zone, language, page size.
    browser.get("/account/settings")
    page = browser.submit("/account/settings", {"timezone": "Asia/Tehran", "language": "hr",
                                                "page_size": "10"})
    assert page.url.endswith("/account/settings?done=saved")
    assert '<html lang="hr" dir="ltr">' in page.text
    assert "Postavke su spremljene." in page.text
    account = CustomerAccount.get()
    assert (account.timezone, account.language, account.page_size) == ("Asia/Tehran", "hr", 10)
    # Dates now in Tehran time (UTC+3:30).
    opened = Ticket.get_by_id(1).created_at
    local = (opened + timedelta(hours=3, minutes=30)).strftime("%H:%M")
    assert local in browser.get("/tickets/1").text

    # Reply and resolve from the account.
    page = browser.submit("/tickets/1/reply", {"text": "Still dropping."})
    assert page.url.endswith("/tickets/1?done=reply#latest")
    assert _thread_bodies(page.text) == ["details", "Still dropping."]
    page = browser.submit("/tickets/1/resolve", {})
    assert Ticket.get_by_id(1).status == "resolved"
    assert 'action="/tickets/1/resolve"' not in page.text

    # Log out: the session cookie stops working, even replayed.
    cookie = browser.client.cookies.get("dt_session")
    browser.submit("/account/logout", {})
    assert browser.get("/tickets", follow_redirects=False).status == 303
    browser.client.cookies.set("dt_session", cookie)
    page = browser.get("/tickets", follow_redirects=False)
    assert page.status == 303 and page.headers["location"] == "/account/login?next=/tickets"

    # Forgotten password: a one-time link, then the new password works and the old does not.
    browser.get("/account/forgot")
    page = browser.submit("/account/forgot", {"email": "lejla@example.ba"})
    reset = link_in(outbox_to("lejla@example.ba")[-1].body, "reset")
    browser.get(reset)
    page = browser.submit(reset, {"password": "a brand new secret", "password2":
                                  "a brand new secret"})
    assert "/tickets" in page.url
    assert browser.get(reset).status == 410  # used once
    browser.submit("/account/logout", {})
    browser.get("/account/login")
    page = browser.submit("/account/login", {"email": "lejla@example.ba",
                                             "password": "correct horse battery"})
    assert page.status == 400
    page = browser.submit("/account/login", {"email": "lejla@example.ba",
                                             "password": "a brand new secret"})
    assert page.status == 200 and page.url.endswith("/tickets")


def test_change_password_in_settings_ends_other_sessions(browser, other_browser):
    register_and_log_in(browser)
    other_browser.get("/account/login")
    other_browser.submit("/account/login", {"email": "lejla@example.ba",
                                            "password": "correct horse battery"})
    assert other_browser.get("/tickets").status == 200
    browser.get("/account/settings")
    page = browser.submit("/account/password", {"current_password": "wrong one here",
                                                "password": "x" * 12, "password2": "x" * 12})
    assert page.status == 400
    assert '<p class="error" id="e-current_password">This is not your current password.</p>' \
        in page.text
    page = browser.submit("/account/password", {"current_password": "correct horse battery",
                                                "password": "x" * 12, "password2": "x" * 12})
    assert page.url.endswith("done=password")
    assert browser.get("/tickets").status == 200
    assert other_browser.get("/tickets", follow_redirects=False).status == 303


def test_registration_with_generated_password(browser, portal_config, monkeypatch):
    from dataclasses import replace

    settings = browser.client.app.state.settings
    browser.client.app.state.settings = replace(settings, registration="password")
    browser.get("/account/register")
    page = browser.submit("/account/register", {"email": "Mirsad@Example.ba", "name": "Mirsad"})
    assert "a password for it is on its way" in page.text
    [mail] = outbox_to("mirsad@example.ba")
    password = re.search(r"\n    (\S+)\n", mail.body).group(1)
    browser.get("/account/login")
    page = browser.submit("/account/login", {"email": "mirsad@example.ba", "password": password})
    assert page.url.endswith("/tickets")
    assert CustomerAccount.get().confirmed_at is not None


def test_registering_an_existing_account_sends_a_reset_link_and_says_the_same(browser):
    register_and_log_in(browser)
    browser.submit("/account/logout", {})
    browser.get("/account/register")
    page = browser.submit("/account/register", {"email": "lejla@example.ba", "name": "X"})
    fresh = browser.submit("/account/register", {"email": "nobody@example.ba", "name": "X"},
                           from_page="/account/register")
    assert _main(page.text).replace("lejla@example.ba", "@") == \
        _main(fresh.text).replace("nobody@example.ba", "@")
    assert "/account/reset/" in outbox_to("lejla@example.ba")[-1].body
    assert Contact.get(Contact.email == "lejla@example.ba").name == "Lejla Begić"


def _main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def test_tracking_link_expired_and_tampered(browser):
    page = open_ticket(browser)
    link = re.search(r"(/t/[\w.-]+)\?", page.url).group(1)
    assert browser.get(link).status == 200
    with clock.frozen_at(clock.now() + timedelta(days=31)):
        page = browser.get(link)
        assert page.status == 410
        assert "This link has expired." in page.text and "Printer" not in page.text
        browser.get("/new")  # a fresh CSRF token
        assert browser.client.post(f"{link}/reply", data={"csrf": browser.last.csrf(),
                                                          "text": "hi"}).status_code == 410
    token = link.removeprefix("/t/")
    ticket_s, contact_s, expires, kid, mac = token.split(".")
    tampered = [
        f"{int(ticket_s) + 1}.{contact_s}.{expires}.{kid}.{mac}",
        f"{ticket_s}.{contact_s}.{int(expires) + 999999}.{kid}.{mac}",
        f"{ticket_s}.{contact_s}.{expires}.{kid}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        f"{ticket_s}.{contact_s}.{expires}.ffffff.{mac}",
        "garbage", "1.1.1.1.1",
    ]
    unknown = browser.get("/tickets/99999")  # anonymous: the login page, like any ref
    assert unknown.status == 200 and "/account/login" in unknown.url
    for bad in tampered:
        page = browser.get(f"/t/{bad}")
        assert page.status == 404, bad
        assert "We could not find that page or ticket." in page.text
        assert "Printer" not in page.text


def test_rotated_key_keeps_old_links_until_retired(browser):
    from deskterm.services.portal import tracking

    page = open_ticket(browser)
    link = re.search(r"(/t/[\w.-]+)\?", page.url).group(1)
    ana = directory.actor_for("ana")
    tracking.rotate(ana)
    assert browser.get(link).status == 200
    tracking.retire_old(ana)
    assert browser.get(link).status == 404


def test_session_cookie_is_httponly_samesite_expiring_and_secure_behind_https(portal_config):
    from portal_helpers import Browser
    from starlette.testclient import TestClient

    from deskterm.portal.app import make_app

    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        browser = Browser(TestClient(make_app(portal_config), base_url=base))
        register_and_log_in(browser, email=f"{base.split(':')[0]}@example.ba")
        browser.get("/account/login")
        response = browser.client.post("/account/login", data={
            "csrf": browser.last.csrf(), "email": f"{base.split(':')[0]}@example.ba",
            "password": "correct horse battery"}, follow_redirects=False)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("dt_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert f"Max-Age={336 * 3600}" in cookie
        assert ("Secure" in cookie) is secure, cookie
        browser.submit("/account/logout", {}, from_page="/")


def test_account_mail_is_delivered_like_any_other(browser, portal_config, tmp_path):
    import mailbox as std_mailbox
    from dataclasses import replace

    from deskterm.mail.outbound import send_due

    browser.get("/account/register")
    browser.submit("/account/register", {"email": "nina@example.hr", "name": "Nina"})
    outbox = tmp_path / "sent"
    config = replace(portal_config, mail=replace(portal_config.mail, outbox_dir=str(outbox)))
    summary = send_due(config)
    assert len(summary.sent) == 1 and not summary.failed
    [message] = list(std_mailbox.Maildir(str(outbox)))
    assert message["To"] == "nina@example.hr"
    assert message["Subject"] == "Confirm your account at Example Support"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert "http://testserver/account/confirm/" in text


def test_merged_ticket_links_lead_to_the_ticket_that_carries_the_thread(browser):
    register_and_log_in(browser)
    for subject in ("Printer jam", "Printer jam again"):
        browser.submit("/new", {"queue": "general", "name": "Lejla", "subject": subject,
                                "text": subject, "priority": "normal"},
                       from_page="/new?queue=general")
    ana = directory.actor_for("ana")
    link = tracking_path(1)
    tickets.merge(ana, 1, 2)
    page = browser.get("/tickets/1")
    assert page.url.endswith("/tickets/2")
    assert _thread_bodies(page.text) == ["Printer jam", "Printer jam again"]
    page = browser.get(link)  # the old mail's link opens the surviving ticket
    assert "<bdi>Printer jam again</bdi></h1>" in page.text
    # Agents find portal tickets with the filter language's channel token.
    from deskterm.services.finding import listing

    assert sorted(r.id for r in listing.list_tickets("channel:web", me="ana")) == [1, 2]


def tracking_path(ticket_id: int) -> str:
    from deskterm.services.portal import tracking

    row = Ticket.get_by_id(ticket_id)
    return f"/t/{tracking.make_token(ticket_id, row.requester_id)}"


def test_a_link_that_sets_the_password_says_so_on_the_page_it_lands_on(browser):
    """The confirmation and reset links ended on "My tickets" without a word: did it work?"""
    desk = browser.client.app.state.desk_name
    browser.client.headers["Accept-Language"] = "ru"  # the new account's language
    browser.get("/account/register")
    browser.submit("/account/register", {"email": "lejla@example.ba", "name": "Lejla Begić"})
    confirm = link_in(outbox_to("lejla@example.ba")[-1].body, "confirm")
    browser.get(confirm)
    page = browser.submit(confirm, {"password": "correct horse battery",
                                    "password2": "correct horse battery"})
    assert page.url.endswith("/tickets?done=confirm")
    assert (f'<div class="notice" role="status">Ваша учётная запись в {desk} готова.</div>'
            in page.text)
    assert 'class="notice"' not in browser.get("/tickets").text  # only right after it
    browser.submit("/account/logout", {})
    browser.get("/account/forgot")
    browser.submit("/account/forgot", {"email": "lejla@example.ba"})
    reset = link_in(outbox_to("lejla@example.ba")[-1].body, "reset")
    browser.get(reset)
    page = browser.submit(reset, {"password": "a brand new secret",
                                  "password2": "a brand new secret"})
    assert page.url.endswith("/tickets?done=reset")
    assert '<div class="notice" role="status">Ваш пароль изменён.</div>' in page.text


def test_a_reply_held_for_undo_send_shows_on_the_page_when_its_mail_leaves(browser):
    """The console holds a reply's mail for 10 s so `u` can take it back; the ticket page
    showed it at once, so a customer could read a reply the agent then withdrew."""
    from deskterm.services.messaging import replies

    page = open_ticket(browser)
    ticket_id = Ticket.select().get().id
    ana = directory.actor_for("ana")
    sent_at = clock.now()
    with clock.frozen_at(sent_at):
        sent = replies.send(ana, ticket_id, "reply", "Pogrešan odgovor, povlačim ga.",
                            hold=timedelta(seconds=10))
        assert "Pogrešan odgovor" not in browser.get(page.url).text
        replies.undo_send(ana, sent.entry_id)
        replies.send(ana, ticket_id, "reply", "Ispravan odgovor.", hold=timedelta(seconds=10))
        assert "Ispravan odgovor." not in browser.get(page.url).text
    with clock.frozen_at(sent_at + timedelta(seconds=11)):
        shown = browser.get(page.url).text
    assert _thread_bodies(shown) == ["It shows error 49.", "Ispravan odgovor."]
