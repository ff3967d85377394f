""""My tickets" pages by keyset: Next and Previous walk the list in order, whatever the sort
and filter, and a forged or stale cursor gives the first page, never an error."""

from __future__ import annotations

import re
from html import unescape

from portal_helpers import register_and_log_in

from deskterm.services import directory, tickets


def _refs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/tickets/(\d+)">#', html)]


def _link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return unescape(match.group(1)) if match else None


def _desk_with_25_tickets(browser) -> None:
    register_and_log_in(browser)
    browser.get("/account/settings")
    browser.submit("/account/settings", {"timezone": "UTC", "language": "",
                                         "page_size": "10"})
    ana = directory.actor_for("ana")
    for n in range(1, 26):
        tickets.create_ticket(ana, subject=f"Pitanje {n:02d}", body="…",
                              requester_email="lejla@example.ba")
    tickets.create_ticket(ana, subject="Someone else's", body="…",
                          requester_email="other@example.com")  # #26, never listed
    for ref in (3, 4, 5):
        tickets.set_status(ana, ref, "closed")


def test_next_and_previous_walk_the_list_by_keyset(browser):
    _desk_with_25_tickets(browser)
    page = browser.get("/tickets?sort=-ref")
    assert _refs(page.text) == list(range(25, 15, -1))
    assert "Tickets found: 25" in page.text and _link(page.text, "prev") is None
    page = browser.get(_link(page.text, "next"))
    assert _refs(page.text) == list(range(15, 5, -1))
    page = browser.get(_link(page.text, "next"))
    assert _refs(page.text) == [5, 4, 3, 2, 1] and _link(page.text, "next") is None
    page = browser.get(_link(page.text, "prev"))
    assert _refs(page.text) == list(range(15, 5, -1))
    page = browser.get(_link(page.text, "prev"))
    assert _refs(page.text) == list(range(25, 15, -1)) and _link(page.text, "prev") is None

    # Oldest first, open ones only: the filter and the sort stay in the links.
    page = browser.get("/tickets?state=open&sort=created")
    assert _refs(page.text) == [1, 2, *range(6, 14)]
    page = browser.get(_link(page.text, "next"))
    assert "state=open" in page.url and "sort=created" in page.url
    assert _refs(page.text) == list(range(14, 24))
    page = browser.get(_link(page.text, "next"))
    assert _refs(page.text) == [24, 25] and _link(page.text, "next") is None
    # Subjects sort as text (zero-padded numbers), newest page size still 10.
    page = browser.get("/tickets?sort=subject")
    page = browser.get(_link(page.text, "next"))
    assert _refs(page.text) == list(range(11, 21))


def test_a_forged_or_foreign_cursor_gives_the_first_page(browser):
    _desk_with_25_tickets(browser)
    first = _refs(browser.get("/tickets?sort=-ref").text)
    subject_cursor = _link(browser.get("/tickets?sort=subject").text, "next").split("after=")[1]
    for bad in ("x", "%%%", "A" * 5000, "WyJyZWYiLCJ4IiwxXQ", subject_cursor,
                "WyJyZWYiLDk5OTk5OSwgOTk5OTk5XQ"):
        page = browser.get(f"/tickets?sort=-ref&after={bad}")
        assert page.status == 200, bad
        assert _refs(page.text) == first, bad
        page = browser.get(f"/tickets?sort=-ref&before={bad}")
        assert page.status == 200 and _refs(page.text) == first, bad
