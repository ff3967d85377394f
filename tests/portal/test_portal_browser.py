"""A real browser against the real server: `deskterm portal` on loopback, driven by
Playwright with Debian's Chromium (never a downloaded browser build).

Open the form, send a ticket with an attachment, see the ticket page and the agent's answer,
switch to Persian and check the page turns right-to-left. Screenshots go to the test's temp
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
    config.write_text(config.read_text().replace("http://testserver",
                                                 f"http://127.0.0.1:{port}"))
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

        # Persian: the menu submits itself (a small script); the page turns right-to-left.
        page.select_option("#language-menu", "fa")
        page.wait_for_function("document.documentElement.dir === 'rtl'")
        assert page.locator("html").get_attribute("lang") == "fa"
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.get_by_role("button", name="ارسال پاسخ").is_visible()  # "Send reply"
        direction = page.evaluate("getComputedStyle(document.querySelector('main')).direction")
        assert direction == "rtl"
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
