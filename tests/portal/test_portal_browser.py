"""A real browser against the real server: `deskterm portal` on loopback, driven by
Playwright with Debian's Chromium (never a downloaded browser build).

Open the form, send a ticket with an attachment, see the ticket page and the agent's answer,
switch to Persian and check the page turns right-to-left; register, choose SMS notifications
in the settings and open a ticket from the account. Screenshots go to the test's temp
folder, or to docs/screenshots/ with DESKTERM_UPDATE_SCREENSHOTS=1 (the README's pictures).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deskterm.services import directory, tickets

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(portal_config, desk, tmp_path):
    """`deskterm portal` in its own process on a free loopback port."""
    port = _free_port()
    env = {**os.environ, "DESKTERM_DB": str(desk)}
    config = Path(env["DESKTERM_CONFIG"])
    config.write_text(config.read_text().replace("http://testserver", f"http://127.0.0.1:{port}")
                      .replace("[desk]\n", '[desk]\ntimezone = "Europe/Sarajevo"\n'))
    log = (tmp_path / "portal.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "deskterm", "portal", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("portal did not start: " + (tmp_path / "portal.log").read_text())
            time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_form_with_attachment_ticket_page_and_persian_in_chromium(server, tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    shots = DOCS if os.environ.get("DESKTERM_UPDATE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    photo = tmp_path / "router-lights.png"
    photo.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"))
    started = time.monotonic()
    with playwright_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium, headless=True,
                                       args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 1100}, locale="en-GB")
        page.goto(f"{server}/new")
        page.get_by_role("link", name="General").click()
        page.get_by_label("E-mail address").fill("amra@example.ba")
        page.get_by_label("Full name").fill("Amra Kovačević")
        page.get_by_label("Contact phone").fill("+387 61 222 333")
        page.get_by_label("Subject").fill("Internet down since this morning")
        page.get_by_label("Describe the problem").fill(
            "The router shows a red light. Photo attached.")
        page.get_by_label("Attachments").set_input_files(str(photo))
        page.screenshot(path=str(shots / "portal-form.png"), full_page=True)
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**/t/**")
        assert page.locator("h1").inner_text() == "#1 Internet down since this morning"
        assert page.get_by_role("link", name="router-lights.png").is_visible()
        assert page.get_by_role("status").inner_text().startswith("Thank you! Your ticket #1")

        # The agent answers from the desk; the customer sees it on the page.
        ana = directory.actor_for("ana")
        tickets.reply(ana, 1, "Hello Amra, we reset your line. Does it work now?",
                      set_status="pending")
        page.reload()
        assert page.locator(".entry.desk .body").inner_text() == \
            "Hello Amra, we reset your line. Does it work now?"
        page.get_by_label("Your message").fill("Yes, it works again, thank you!")
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url("**done=reply**")
        assert page.locator(".entry .body").all_inner_texts()[-1] == \
            "Yes, it works again, thank you!"
        page.screenshot(path=str(shots / "portal-ticket.png"), full_page=True)
        # Logged out, on a tracking link: the desk's zone, named (December: UTC+01:00).
        assert page.locator(".zone").inner_text() == "Times are in Europe/Sarajevo."
        assert all(text.endswith(" +01:00") for text in page.locator("time").all_inner_texts())

        # Persian: the menu submits itself (a small script); the page turns right-to-left.
        page.select_option("#language-menu", "fa")
        page.wait_for_function("document.documentElement.dir === 'rtl'")
        assert page.locator("html").get_attribute("lang") == "fa"
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.get_by_role("button", name="ارسال پاسخ").is_visible()  # "Send reply"
        direction = page.evaluate("getComputedStyle(document.querySelector('main')).direction")
        assert direction == "rtl"
        assert page.locator(".zone").inner_text() == "زمان‌ها به وقت Europe/Sarajevo است."
        zone = page.locator(".zone bdi")  # the zone's name reads left to right in Persian
        assert zone.get_attribute("dir") == "ltr"
        assert page.evaluate("getComputedStyle(document.querySelector('.zone bdi')).direction") \
            == "ltr"
        page.screenshot(path=str(shots / "portal-persian.png"), full_page=True)
        browser.close()
    elapsed = time.monotonic() - started
    print(f"\nbrowser test: {elapsed:.1f} s in Chromium; screenshots in {shots}")
    detail = tickets.get_ticket(1)
    assert detail.channel == "web"
    assert [e.kind.value for e in detail.entries] == ["customer", "reply", "customer"]
    assert detail.entries[0].attachments[0].filename == "router-lights.png"
    for name in ("portal-form.png", "portal-ticket.png", "portal-persian.png"):
        assert (shots / name).stat().st_size > 10_000


def test_register_choose_sms_in_settings_and_open_a_ticket_in_chromium(server, tmp_path):
    """Registration to settings in the browser: the SMS choice needs a number (inline error,
    the box stays ticked), then is saved; the notifications use it (test_portal_sms)."""
    import re

    from deskterm.store.models import Contact, OutboxMessage

    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    shots = DOCS if os.environ.get("DESKTERM_UPDATE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    sms_label = "Notify me by SMS when support answers or my ticket changes"
    started = time.monotonic()
    with playwright_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium, headless=True,
                                       args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 1100}, locale="en-GB")
        page.goto(f"{server}/account/register")
        page.get_by_label("E-mail address").fill("nermin@example.ba")
        page.get_by_label("Full name").fill("Nermin Hadžić")
        page.get_by_role("button", name="Register").click()
        page.wait_for_url("**/account/register")
        [mail] = OutboxMessage.select().where(OutboxMessage.to_addrs == "nermin@example.ba")
        page.goto(re.search(r"http://\S+/account/confirm/\S+", mail.body).group(0))
        page.locator("#f-password").fill("correct horse battery")
        page.get_by_label("New password again").fill("correct horse battery")
        page.get_by_role("button", name="Save password").click()
        page.wait_for_url("**/tickets?done=confirm")

        page.get_by_role("link", name="Settings").click()
        page.get_by_label(sms_label).check()
        page.get_by_role("button", name="Save", exact=True).click()
        assert page.locator("#e-phone").inner_text() == (
            "Please enter a phone number to get SMS notifications.")
        assert page.get_by_label(sms_label).is_checked()
        assert page.locator("#f-phone").get_attribute("aria-invalid") == "true"
        page.get_by_label("Mobile phone").fill("+387 62 111 222")
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url("**/account/settings?done=saved")
        assert page.get_by_role("status").inner_text() == "Your settings were saved."
        assert page.get_by_label(sms_label).is_checked()
        assert page.get_by_label("Mobile phone").input_value() == "+387 62 111 222"
        page.screenshot(path=str(shots / "portal-settings.png"), full_page=True)

        page.goto(f"{server}/new?queue=general")
        assert page.get_by_label("Full name").input_value() == "Nermin Hadžić"
        assert page.get_by_label("Contact phone").input_value() == "+387 62 111 222"
        page.get_by_label("Subject").fill("Račun za decembar")
        page.get_by_label("Describe the problem").fill("Nije stigao.")
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**/tickets/1?done=created")
        page.get_by_role("link", name="My tickets").click()
        assert page.locator("table.list tbody tr").count() == 1
        assert page.get_by_role("link", name="Račun za decembar").is_visible()
        browser.close()
    print(f"\nbrowser test (register, settings): {time.monotonic() - started:.1f} s")
    contact = Contact.get(Contact.email == "nermin@example.ba")
    assert (contact.sms_opt_in, contact.phone) == (True, "+387 62 111 222")
    assert (shots / "portal-settings.png").stat().st_size > 10_000


def test_a_long_word_and_a_bidi_override_in_a_subject_keep_the_page_whole(server, tmp_path):
    # A 120-letter word in the subject ran out of the card and made the whole page scroll
    # sideways; a right-to-left override in it turned "evil" into "live" on the page.
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    word = "W" * 120
    subject = f"Račun \u202eevil\u202c فاکتور (نوامبر) {word}"
    with playwright_api.sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium, headless=True,
                                       args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 1100}, locale="en-GB")
        page.goto(f"{server}/new?queue=general")
        page.get_by_label("E-mail address").fill("amra@example.ba")
        page.get_by_label("Full name").fill(f"Amra {word}")
        page.get_by_label("Subject").fill(subject)
        page.get_by_label("Describe the problem").fill("The router shows a red light.")
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**/t/**")
        ticket_page = page.url
        for language, width in (("en", 900), ("fa", 900), ("fa", 390), ("en", 390)):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(ticket_page)
            if page.locator("html").get_attribute("lang") != language:
                page.select_option("#language-menu", language)
                page.wait_for_function(f"document.documentElement.lang === '{language}'")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow == 0, (language, width)
            title = page.locator("h1").inner_text()
            assert title == f"#1 Račun evil فاکتور (نوامبر) {word}", (language, width)
            assert "\u202e" not in page.content()
        browser.close()
    assert tickets.get_ticket(1).subject == subject  # stored as the customer wrote it
