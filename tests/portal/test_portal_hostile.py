"""The portal as a hostile customer would try it: nothing leaks, every attempt gets a clean
4xx page (never a traceback), and the database is unchanged by refused requests."""

from __future__ import annotations

import re

import pytest
from portal_helpers import open_ticket, outbox_to, register_and_log_in

from deskterm.services import directory, tickets
from deskterm.services.portal import customers
from deskterm.store.models import Entry, LoginFailure, Ticket

NOT_FOUND = "We could not find that page or ticket."


def _clean(page, status: int) -> None:
    assert page.status == status, page.text[:300]
    assert "Traceback" not in page.text and 'File "' not in page.text
    assert page.text.startswith("<!DOCTYPE html>")


@pytest.fixture
def two_customers(browser):
    """Lejla (logged in, ticket #1 with a file and a note) and Mirza's ticket #2 with a file."""
    register_and_log_in(browser)
    browser.submit("/new", {"queue": "general", "name": "Lejla", "subject": "Lejla's own",
                            "text": "mine", "priority": "normal"},
                   files=[("files", ("mine.txt", b"lejla's file", "text/plain"))],
                   from_page="/new?queue=general")
    ana = directory.actor_for("ana")
    tickets.add_note(ana, 1, "SECRET NOTE about Lejla")
    tickets.attach(ana, 1, [customers_file("internal.txt", b"agent only")])
    from deskterm.domain import NewAttachment

    tickets.create_ticket(ana, subject="Mirza's salary question", body="private to Mirza",
                          requester_email="mirza@example.ba",
                          attachments=[NewAttachment("payslip.pdf", "application/pdf", b"%PDF")])
    return browser


def customers_file(name: str, data: bytes):
    from deskterm.domain import NewAttachment

    return NewAttachment(name, "text/plain", data)


def test_other_tickets_look_exactly_like_missing_ones(two_customers):
    browser = two_customers
    mine = browser.get("/tickets/1")
    assert mine.status == 200 and "SECRET NOTE" not in mine.text
    assert "internal.txt" not in mine.text  # a file on a note is agent-only
    others = [browser.get(url) for url in ("/tickets/2", "/tickets/99999", "/tickets/abc",
                                           "/tickets/-1", "/tickets/1e3",
                                           "/tickets/99999999999999999999999")]
    for page in others:
        _clean(page, 404)
        assert NOT_FOUND in page.text and "Mirza" not in page.text and "salary" not in page.text
    # The page for someone else's ticket and for no ticket at all are the same bytes.
    assert others[0].text == others[1].text.replace("/tickets/99999", "/tickets/2")
    for url in ("/tickets/2/reply", "/tickets/99999/reply", "/tickets/2/resolve"):
        page = browser.submit(url, {"text": "let me in"}, from_page="/tickets/1")
        _clean(page, 404)
    assert Entry.select().where((Entry.ticket == 2) & (Entry.body == "let me in")).count() == 0
    assert Ticket.get_by_id(2).status == "new"
    # My ticket list never shows Mirza's, whatever the search says.
    for query in ("salary", "%232", "2", "Mirza", "%", "_", "' OR 1=1 --"):
        page = browser.get(f"/tickets?q={query}")
        assert page.status == 200 and "salary question" not in page.text
        assert "2" not in re.findall(r'<td><a href="/tickets/(\d+)">#', page.text)


def test_attachment_urls_of_others_notes_and_made_up_ids(two_customers):
    from deskterm.store.models import Attachment

    browser = two_customers
    ids = {a.filename: a.id for a in Attachment.select()}
    ok = browser.client.get(f"/tickets/1/files/{ids['mine.txt']}")
    assert ok.status_code == 200 and ok.content == b"lejla's file"
    assert ok.headers["content-disposition"] == "attachment; filename*=UTF-8''mine.txt"
    for url in (f"/tickets/1/files/{ids['payslip.pdf']}",  # Mirza's file via my ticket
                f"/tickets/2/files/{ids['payslip.pdf']}",  # Mirza's ticket
                f"/tickets/1/files/{ids['internal.txt']}",  # a file on an internal note
                "/tickets/1/files/999", "/tickets/1/files/..%2f..%2fetc%2fpasswd",
                "/tickets/1/files/1.0"):
        response = browser.client.get(url)
        assert response.status_code == 404, url
        assert b"%PDF" not in response.content and b"agent only" not in response.content
    # A tracking link opens its own ticket's files only.
    page = open_ticket(browser.__class__(browser.client.__class__(browser.client.app)))
    token = re.search(r"/t/([\w.-]+)", page.url).group(1)
    response = browser.client.get(f"/t/{token}/files/{ids['mine.txt']}")
    assert response.status_code == 404


def test_crafted_text_is_shown_as_text(browser):
    hostile = {
        "subject": '<script>alert(1)</script>"><img src=x onerror=alert(2)>',
        "text": "{{ 7*7 }} {% raw %} ${7*7} '; DROP TABLE ticket; -- \u202eevil\u202c",
        "name": "Robert'); DROP TABLE contact;--",
    }
    page = open_ticket(browser, **hostile)
    assert page.status == 200
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" \
        in page.text
    assert "{{ 7*7 }} {% raw %} ${7*7} &#39;; DROP TABLE ticket; --" in page.text
    body = re.search(r'<div class="body" dir="auto">(.*?)</div>', page.text, re.S).group(1)
    assert body.startswith("{{ 7*7 }} {% raw %} ${7*7}")  # templates never evaluate data
    assert Ticket.select().count() == 1
    detail = tickets.get_ticket(1)
    assert detail.subject == hostile["subject"]
    assert detail.requester.name == hostile["name"]


def test_search_and_form_text_that_is_very_long_sql_like_or_not_utf8(browser):
    register_and_log_in(browser)
    for query in ("x" * 20_000, "' OR '1'='1", "%' --", "\\", "2026-02-30", "#" * 50,
                  "%ff%fe", "%00", "<b>bold</b>"):
        page = browser.get(f"/tickets?q={query}")
        assert page.status == 200, query
        assert "<b>bold</b>" not in page.text
    page = open_ticket(browser, subject="s" * 5000, text="t" * 30_000)
    _clean(page, 400)
    assert '<p class="error" id="e-subject">This is too long.</p>' in page.text
    assert '<p class="error" id="e-text">This is too long.</p>' in page.text
    # Invalid UTF-8 in an urlencoded and in a multipart form: refused, nothing written.
    csrf = browser.get("/new?queue=general").csrf()
    raw = (f"csrf={csrf}&queue=general&subject=%FF%FE&text=hi&priority=normal").encode()
    response = browser.client.post("/new", content=raw, headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert "The form contained text that is not valid UTF-8." in response.text
    body = (b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf.encode()
            + b"\r\n--b\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n\xff\xfe\xfd"
            b"\r\n--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n--b--\r\n")
    response = browser.client.post("/new", content=body, headers={
        "content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400 and "not valid UTF-8" in response.text
    response = browser.client.post("/new", content=b"--b\r\ngarbage", headers={
        "content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 403  # a broken body has no valid CSRF token either
    assert Ticket.select().count() == 0
    assert browser.get("/tickets/%FF").status == 404
    assert browser.get("/t/%FF%FE").status == 404


def test_forms_without_their_csrf_token_are_refused(browser):
    register_and_log_in(browser)
    for url, data in (("/new", {"queue": "general", "subject": "x", "text": "y"}),
                      ("/account/logout", {}), ("/account/settings", {"timezone": "UTC"}),
                      ("/tickets/1/reply", {"text": "x"}), ("/lang", {"language": "fa"})):
        for token in (None, "", "forged.token", "aaaaaa.bbbbbbbbbbbbbbbbbbbbbb"):
            payload = dict(data) if token is None else {**data, "csrf": token}
            response = browser.client.post(url, data=payload, follow_redirects=False)
            assert response.status_code == 403, (url, token)
            assert "This form has expired." in response.text
    # A token from another browser (its own CSRF cookie) does not fit this one.
    from starlette.testclient import TestClient

    stranger = TestClient(browser.client.app)
    page = stranger.get("/new?queue=general")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = browser.client.post("/account/logout", data={"csrf": token},
                                   follow_redirects=False)
    assert response.status_code == 403
    assert browser.get("/tickets").status == 200  # still logged in
    assert Ticket.select().count() == 0


def test_fifty_wrong_passwords_then_locked_even_with_the_right_one(browser, other_browser):
    register_and_log_in(browser)
    browser.submit("/account/logout", {})
    statuses = []
    for attempt in range(50):
        browser.get("/account/login")
        page = browser.submit("/account/login", {"email": "lejla@example.ba",
                                                 "password": f"guess {attempt}"})
        statuses.append(page.status)
        assert "Traceback" not in page.text
    assert statuses == [400] * customers.ACCOUNT_LIMIT + [429] * (50 - customers.ACCOUNT_LIMIT)
    assert "Too many failed attempts. Please try again in 15 minutes." in page.text
    assert page.headers["retry-after"].isdigit()
    # Only the attempts that were checked were counted (and hashed).
    assert LoginFailure.select().where(LoginFailure.scope == "account").count() == 5
    page = browser.submit("/account/login", {"email": "lejla@example.ba",
                                             "password": "correct horse battery"},
                          from_page="/account/login")
    assert page.status == 429
    # The same address trying other accounts hits the per-address limit.
    for n in range(customers.ADDRESS_LIMIT):
        other_browser.get("/account/login")
        page = other_browser.submit("/account/login", {"email": f"user{n}@example.ba",
                                                       "password": "nope nope nope"})
    assert page.status == 429
    # An unknown address gets the same answer as a wrong password for a real one.
    from datetime import timedelta

    from deskterm import clock

    with clock.frozen_at(clock.now() + timedelta(minutes=16)):
        fresh = browser.__class__(browser.client.__class__(browser.client.app,
                                                           client=("10.9.9.9", 5000)))
        fresh.get("/account/login")
        unknown = fresh.submit("/account/login", {"email": "ghost@example.ba", "password": "x"})
        fresh.get("/account/login")
        wrong = fresh.submit("/account/login", {"email": "lejla@example.ba", "password": "x"})
        assert unknown.status == wrong.status == 400
        assert "Wrong e-mail address or password." in unknown.text
        fresh.get("/account/login")
        right = fresh.submit("/account/login", {"email": "lejla@example.ba",
                                                "password": "correct horse battery"})
        assert right.status == 200 and right.url.endswith("/tickets")


def test_replayed_expired_link_and_forged_session_cookie(browser):
    from datetime import timedelta

    from deskterm import clock

    register_and_log_in(browser)
    browser.submit("/account/logout", {})
    browser.get("/account/forgot")
    browser.submit("/account/forgot", {"email": "lejla@example.ba"})
    reset = re.search(r"(/account/reset/[\w-]+)", outbox_to("lejla@example.ba")[-1].body)[1]
    with clock.frozen_at(clock.now() + timedelta(hours=3)):
        _clean(browser.get(reset), 410)
        page = browser.submit(reset, {"password": "new password 1", "password2":
                                      "new password 1"}, from_page="/account/login")
        _clean(page, 410)
    for cookie in ("forged", "abc~def", "x" * 400, "~", "token~" + "A" * 22):
        browser.client.cookies.set("dt_session", cookie)
        response = browser.client.get("/tickets", follow_redirects=False)
        assert response.status_code == 303


def test_unknown_urls_and_methods_get_the_clean_page(browser):
    _clean(browser.get("/no/such/page"), 404)
    response = browser.client.delete("/tickets/1")
    assert response.status_code == 405 and "Traceback" not in response.text
    response = browser.client.post("/new", content=b"x" * 100, headers={
        "content-type": "text/plain"})
    assert response.status_code in (400, 403)
    big = browser.client.post("/new", content=b"x", headers={
        "content-type": "application/x-www-form-urlencoded",
        "content-length": str(10**9)})
    assert big.status_code == 413 and "The upload is too large." in big.text


def test_registration_and_reset_forms_cannot_flood_a_strangers_mailbox(browser):
    for _ in range(10):
        browser.get("/account/register")
        page = browser.submit("/account/register", {"email": "victim@example.ba", "name": "V"})
        assert page.status == 200
        browser.get("/account/forgot")
        browser.submit("/account/forgot", {"email": "victim@example.ba"})
    assert len(outbox_to("victim@example.ba")) == customers.MAIL_LIMIT
