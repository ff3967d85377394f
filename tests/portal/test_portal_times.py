"""Times in the portal: in the customer's own zone with its offset, written as the console
and CLI write them (`2026-12-01 14:05 +01:00`), and kept in reading order on Persian pages."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from portal_helpers import PORTAL_CONFIG, Browser, open_ticket, register_and_log_in

from deskterm import clock
from deskterm.services import directory, tickets

OPENED = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)
ANSWERED = datetime(2026, 12, 1, 21, 50, tzinfo=UTC)


def _times(html: str) -> list[tuple[str, str, str]]:
    """Every `<time>` element of a page: (dir, datetime, the text a reader sees)."""
    return re.findall(r'<time dir="([a-z]+)" datetime="([^"]+)">([^<]*)</time>', html)


def _tehran_customer_with_an_answered_ticket(browser) -> None:
    """A Persian-speaking account in Tehran (UTC+03:30, no summer time since 2022) whose
    ticket was opened at 13:05 UTC and answered by the desk at 21:50 UTC."""
    with clock.frozen_at(OPENED):
        register_and_log_in(browser)
        browser.get("/account/settings")
        page = browser.submit("/account/settings", {"timezone": "Asia/Tehran", "language": "fa",
                                                    "page_size": "20"})
        assert page.url.endswith("/account/settings?done=saved")
        page = browser.submit("/new", {"queue": "general", "name": "Lejla Begić",
                                       "subject": "VPN drops", "text": "details",
                                       "priority": "normal"}, from_page="/new?queue=general")
        assert page.url.endswith("/tickets/1?done=created")
    with clock.frozen_at(ANSWERED):
        tickets.reply(directory.actor_for("ana"), 1, "We reset your line.")


def test_ticket_page_and_list_show_times_in_the_customers_zone_with_offset(browser):
    _tehran_customer_with_an_answered_ticket(browser)

    page = browser.get("/tickets/1")
    assert '<html lang="fa" dir="rtl">' in page.text
    # 13:05 UTC + 3:30 = 16:35 the same day; 21:50 UTC + 3:30 = 01:20 the next day.
    assert _times(page.text) == [
        ("ltr", "2026-12-01T13:05:00+00:00", "2026-12-01 16:35 +03:30"),  # Opened
        ("ltr", "2026-12-01T13:05:00+00:00", "2026-12-01 16:35 +03:30"),  # her message
        ("ltr", "2026-12-01T21:50:00+00:00", "2026-12-02 01:20 +03:30"),  # the answer
    ]
    # The list shows the last change: the desk's answer.
    assert _times(browser.get("/tickets").text) == [
        ("ltr", "2026-12-01T21:50:00+00:00", "2026-12-02 01:20 +03:30")]

    # Another zone, in December on winter time: Sarajevo is UTC+01:00.
    browser.submit("/account/settings", {"timezone": "Europe/Sarajevo", "language": "en",
                                         "page_size": "20"}, from_page="/account/settings")
    assert [text for _, _, text in _times(browser.get("/tickets/1").text)] == [
        "2026-12-01 14:05 +01:00", "2026-12-01 14:05 +01:00", "2026-12-01 22:50 +01:00"]


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def test_a_time_on_a_persian_page_reads_left_to_right_in_chromium(browser):
    """Without isolation, the bidi algorithm lays `2026-12-01 16:35 +03:30` out right to left
    in an RTL paragraph (`+03:30 16:35 2026-12-01`); the customer must see it as written."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    _tehran_customer_with_an_answered_ticket(browser)
    html = browser.get("/tickets/1").text
    with playwright_api.sync_playwright() as play:
        chrome = play.chromium.launch(executable_path=chromium, headless=True,
                                      args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = chrome.new_page(viewport={"width": 900, "height": 900})
        page.set_content(html)
        lefts = page.evaluate("""() => {
            const text = document.querySelectorAll('.thread time')[1].firstChild;
            const at = (word) => {
                const range = document.createRange();
                const start = text.data.indexOf(word);
                range.setStart(text, start);
                range.setEnd(text, start + word.length);
                return range.getBoundingClientRect().left;
            };
            return [at('2026-12-02'), at('01:20'), at('+03:30')];
        }""")
        chrome.close()
    assert lefts == sorted(lefts) and len(set(lefts)) == 3, lefts


# --- logged out: a tracking link ---------------------------------------------------------


def _zone_label(html: str) -> str:
    """The zone a page says its times are in (the text of its `.zone` line)."""
    match = re.search(r'<p class="zone">(.*?)</p>', html, re.S)
    assert match, "the page does not say which zone its times are in"
    return re.sub(r"<[^>]+>", "", match.group(1))


def _anonymous_ticket_link(browser, config_text: str | None = None) -> str:
    """Open a ticket from the public form at 13:05 UTC and have the desk answer at 21:50
    UTC; return the tracking link the visitor landed on (path only)."""
    with clock.frozen_at(OPENED):
        page = open_ticket(browser, subject="VPN drops")
    assert "/t/" in page.url and page.url.endswith("?done=created")
    with clock.frozen_at(ANSWERED):
        tickets.reply(directory.actor_for("ana"), 1, "We reset your line.")
    return page.url.split("testserver", 1)[1].split("?", 1)[0]


def _portal(config_text: str, tmp_path, monkeypatch):
    """A browser on a portal whose desk config is PORTAL_CONFIG plus `config_text`."""
    from starlette.testclient import TestClient

    from deskterm.config import load_config
    from deskterm.portal.app import make_app
    from deskterm.services.messaging import notifications

    path = tmp_path / "zoned" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PORTAL_CONFIG.replace("[desk]\n", "[desk]\n" + config_text), "utf-8")
    monkeypatch.setenv("DESKTERM_CONFIG", str(path))
    config = load_config(path)
    notifications.use_config(config)
    return Browser(TestClient(make_app(config)))


def test_a_tracking_link_shows_the_desks_zone_when_the_requester_has_none(
        desk, tmp_path, monkeypatch):
    browser = _portal('timezone = "Europe/Sarajevo"\n', tmp_path, monkeypatch)
    link = _anonymous_ticket_link(browser)
    page = browser.get(link)
    # December: Sarajevo is UTC+01:00. 13:05 -> 14:05, 21:50 -> 22:50.
    assert [text for _, _, text in _times(page.text)] == [
        "2026-12-01 14:05 +01:00", "2026-12-01 14:05 +01:00", "2026-12-01 22:50 +01:00"]
    assert _zone_label(page.text) == "Times are in Europe/Sarajevo."
    # The same in Persian (the language menu at the foot of the page), the zone's name kept
    # left to right.
    page = browser.submit("/lang", {"language": "fa", "next": link})
    assert '<html lang="fa" dir="rtl">' in page.text
    assert [text for _, _, text in _times(page.text)][2] == "2026-12-01 22:50 +01:00"
    assert '<bdi dir="ltr">Europe/Sarajevo</bdi>' in page.text


def test_a_tracking_link_shows_the_requesters_own_account_zone(desk, browser, other_browser):
    _tehran_customer_with_an_answered_ticket(browser)
    from deskterm.services.portal import tracking
    from deskterm.store.models import Ticket

    token = tracking.make_token(1, Ticket.get_by_id(1).requester_id)
    page = other_browser.get(f"/t/{token}")  # logged out: another browser, no session
    assert page.status == 200
    assert [text for _, _, text in _times(page.text)] == [
        "2026-12-01 16:35 +03:30", "2026-12-01 16:35 +03:30", "2026-12-02 01:20 +03:30"]
    assert "Asia/Tehran" in _zone_label(page.text)
    # Her own pages, logged in, name the zone too.
    assert "Asia/Tehran" in _zone_label(browser.get("/tickets/1").text)
    assert "Asia/Tehran" in _zone_label(browser.get("/tickets").text)


def test_without_a_configured_zone_the_desks_business_calendar_zone_is_used(
        desk, browser):
    from deskterm.services.automation import sla

    sla.install_default_policies(directory.actor_for("ana"), timezone="Asia/Tehran")
    page = browser.get(_anonymous_ticket_link(browser))
    assert [text for _, _, text in _times(page.text)][0] == "2026-12-01 16:35 +03:30"
    assert "Asia/Tehran" in _zone_label(page.text)


def test_a_desk_with_no_zone_at_all_says_its_times_are_utc(desk, browser):
    page = browser.get(_anonymous_ticket_link(browser))
    assert [text for _, _, text in _times(page.text)][0] == "2026-12-01 13:05 +00:00"
    assert _zone_label(page.text) == "Times are in UTC."


def test_a_bad_desk_zone_in_the_config_is_one_clear_error(tmp_path):
    from deskterm.config import load_config
    from deskterm.domain import BadInput

    path = tmp_path / "config.toml"
    path.write_text('[desk]\ntimezone = "Europe/Sarjevo"\n', "utf-8")
    with pytest.raises(BadInput, match=r"^config \[desk\] timezone: 'Europe/Sarjevo' is not"):
        load_config(path)


def test_a_new_account_starts_in_the_desks_zone(desk, tmp_path, monkeypatch):
    browser = _portal('timezone = "Europe/Sarajevo"\n', tmp_path, monkeypatch)
    register_and_log_in(browser)
    page = browser.get("/account/settings")
    assert '<option selected>Europe/Sarajevo</option>' in page.text
    with clock.frozen_at(OPENED):
        open_ticket(browser, subject="VPN drops")
    assert [text for _, _, text in _times(browser.get("/tickets/1").text)][0] == \
        "2026-12-01 14:05 +01:00"


_LEFTS = """([selector, words]) => {
    const hint = document.querySelector(selector).closest('.field').querySelector('.hint');
    return words.map((word) => {
        const walker = document.createTreeWalker(hint, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const start = node.data.indexOf(word);
            if (start >= 0) {
                const range = document.createRange();
                range.setStart(node, start);
                range.setEnd(node, start + word.length);
                return range.getBoundingClientRect().left;
            }
        }
        return null;
    });
}"""


def _drawn_lefts(html: str, selector: str, words: list[str]) -> list[float | None]:
    """Where Chromium draws each word of the hint under the field `selector` (x of its
    left edge), the page laid out at 900 px."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as play:
        chrome = play.chromium.launch(executable_path=chromium, headless=True,
                                      args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = chrome.new_page(viewport={"width": 900, "height": 900})
        page.set_content(html)
        lefts = page.evaluate(_LEFTS, [selector, words])
        chrome.close()
    return lefts


def test_the_phone_example_on_a_persian_settings_page_reads_left_to_right(browser):
    """The hint under "Mobile phone" gives a number to copy; in a right-to-left paragraph
    the bidi algorithm lays `+387 61 123 456` out as `456 123 61 387+` unless isolated."""
    register_and_log_in(browser)
    browser.submit("/account/settings", {"timezone": "UTC", "language": "fa",
                                         "page_size": "20"}, from_page="/account/settings")
    html = browser.get("/account/settings").text
    assert '<html lang="fa" dir="rtl">' in html
    lefts = _drawn_lefts(html, "#f-phone", ["+387", "61", "123", "456"])
    assert None not in lefts and lefts == sorted(lefts) and len(set(lefts)) == 4, lefts


def test_the_attachment_limits_on_a_persian_page_keep_size_and_types_together(browser):
    """`10 MB` and the list of file types stay whole and in reading order on a Persian
    page (the bidi algorithm put `10` beside the Persian words and `MB` a line away)."""
    browser.submit("/lang", {"language": "fa", "next": "/new?queue=general"},
                   from_page="/new?queue=general")
    html = browser.get("/new?queue=general").text
    assert '<html lang="fa" dir="rtl">' in html
    ten, mb, png, jpg = _drawn_lefts(html, "#f-files", ["10", "MB", ".png", ".jpg"])
    assert None not in (ten, mb, png, jpg)
    assert ten < mb and mb - ten < 40, (ten, mb)  # "10 MB", in that order, side by side
    assert png < jpg
