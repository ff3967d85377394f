"""What portal tests share: the desk config, a form-filling browser, mail look-ups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

PORTAL_CONFIG = """\
[desk]
name = "Example Support"

[mail]
address = "support@desk.example"

[portal]
url = "http://testserver"

[portal.forms.billing]
show = ["name", "phone", "contract_no", "invoice"]
require = ["name", "contract_no"]
custom = [{ name = "invoice", label = "Invoice number" }]
"""


@dataclass
class Page:
    status: int
    text: str
    url: str
    headers: dict

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert match, "no CSRF field on the page"
        return unescape(match.group(1))


class Browser:
    """A TestClient that keeps cookies and posts forms with the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.last: Page | None = None

    def get(self, url: str, **kwargs) -> Page:
        response = self.client.get(url, **kwargs)
        self.last = Page(response.status_code, response.text, str(response.url),
                         dict(response.headers))
        return self.last

    def submit(self, url: str, data: dict, files=None, *, from_page: str | None = None,
               follow: bool = True) -> Page:
        """Post `data` to `url` with the CSRF token of `from_page` (default: the last page)."""
        source = self.get(from_page) if from_page else self.last
        payload = {"csrf": source.csrf(), **data}
        response = self.client.post(url, data=payload, files=files, follow_redirects=follow)
        self.last = Page(response.status_code, response.text, str(response.url),
                         dict(response.headers))
        return self.last


def outbox_to(address: str) -> list:
    """Every queued message to `address`, oldest first."""
    from deskterm.store.models import OutboxMessage

    return list(OutboxMessage.select().where(OutboxMessage.to_addrs == address)
                .order_by(OutboxMessage.id))


def link_in(body: str, kind: str) -> str:
    """The path of the first portal link of a kind (`confirm`, `reset`, `t`) in a mail."""
    match = re.search(rf"http://testserver(/(?:account/)?{kind}/[A-Za-z0-9_.~-]+)", body)
    assert match, f"no {kind} link in: {body}"
    return match.group(1)


def open_ticket(browser: Browser, **fields) -> Page:
    """Fill the new-ticket form of the general queue and send it."""
    data = {"queue": "general", "email": "lejla@example.ba", "name": "Lejla Begić",
            "subject": "Printer on floor 2 is offline", "text": "It shows error 49.",
            "priority": "normal", **fields}
    return browser.submit("/new", data, from_page=f"/new?queue={data['queue']}")


def register_and_log_in(browser: Browser, email: str = "lejla@example.ba",
                        password: str = "correct horse battery") -> None:
    browser.get("/account/register")
    browser.submit("/account/register", {"email": email, "name": "Lejla Begić"})
    confirm = link_in(outbox_to(email)[-1].body, "confirm")
    browser.get(confirm)
    page = browser.submit(confirm, {"password": password, "password2": password})
    assert page.status == 200 and "/tickets" in page.url
