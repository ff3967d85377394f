"""Long Persian and Cyrillic input (300 characters) on every portal form: stored whole where
it fits the field, otherwise a clean inline error that keeps the text, never a 500 (the
m0009 columns were VARCHAR(255) on PostgreSQL until m0019)."""

from __future__ import annotations

from html import escape

from portal_helpers import register_and_log_in

from deskterm.store.models import Contact, CustomerAccount, Entry, LoginFailure, Ticket

PERSIAN = ("درخواست پشتیبانی برای چاپگر طبقه دوم " * 9)[:300]
CYRILLIC = ("Молимо помоћ око рачуна за интернет услуге " * 8)[:300]


def test_a_300_character_login_address_is_a_wrong_login_and_counted_whole(browser):
    address = (CYRILLIC.replace(" ", "") * 2)[:290] + "@пример.срб"
    browser.get("/account/login")
    page = browser.submit("/account/login", {"email": address, "password": "x" * 12})
    assert page.status == 400
    assert "Wrong e-mail address or password." in page.text
    assert escape(address, quote=True) in page.text  # kept in the field
    assert [f.key for f in LoginFailure.select().where(LoginFailure.scope == "account")] == [
        address.lower()]


def test_long_persian_and_cyrillic_text_in_the_ticket_form(browser):
    browser.get("/new?queue=billing")
    form = {"queue": "billing", "email": "dugi@example.rs", "name": PERSIAN,
            "contract_no": "K-77", "custom.invoice": CYRILLIC, "subject": CYRILLIC,
            "text": PERSIAN, "priority": "normal"}
    page = browser.submit("/new", form)
    assert page.status == 400  # a name and a subject of 300 characters are too long
    assert page.text.count("This is too long.") == 2
    assert f'value="{escape(PERSIAN)}"' in page.text and escape(CYRILLIC) in page.text
    assert Ticket.select().count() == 0
    form.update(name=PERSIAN[:200], subject=CYRILLIC[:200])
    page = browser.submit("/new", form)
    assert page.status == 200 and "/t/" in page.url
    ticket = Ticket.get()
    assert (ticket.subject, ticket.channel) == (CYRILLIC[:200], "web")
    assert Contact.get(Contact.email == "dugi@example.rs").name == PERSIAN[:200]
    assert Entry.get(Entry.ticket == ticket.id).body == (
        f"Invoice number: {CYRILLIC}\n\n{PERSIAN}")


def test_long_names_and_phone_in_registration_and_settings(browser):
    browser.get("/account/register")
    page = browser.submit("/account/register", {"email": "ime@example.rs", "name": CYRILLIC})
    assert page.status == 400 and "This is too long." in page.text
    assert f'value="{escape(CYRILLIC)}"' in page.text
    assert CustomerAccount.select().count() == 0
    register_and_log_in(browser, email="ime@example.rs")
    browser.get("/account/settings")
    page = browser.submit("/account/settings", {"timezone": PERSIAN, "language": CYRILLIC,
                                                "page_size": "20", "sms": "on",
                                                "phone": PERSIAN})
    assert page.status == 400
    assert "Please choose one of the options." in page.text
    assert '<p class="error" id="e-phone">This is too long.</p>' in page.text
    account = CustomerAccount.get()
    assert (account.timezone, account.language) == ("UTC", "en")
