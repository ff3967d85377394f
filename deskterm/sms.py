"""SMS delivery: a generic HTTP gateway (URL, method, one auth header and a body template,
which fits most providers' REST APIs) and a file gateway for the demo.

A gateway's `send(to, text)` returns normally when the message was accepted; it raises
`SmsTemporary` (server down, 5xx, 408, 429: the outbox defers and retries) or
`SmsRejected` (any other 4xx: the message fails).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Protocol

from deskterm import clock
from deskterm.config import SmsSettings


class SmsTemporary(Exception):
    """The gateway could not take the message now; try again later."""


class SmsRejected(Exception):
    """The gateway refused the message; retrying will not help."""


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


def _fill(template: str, values: dict[str, str], as_json: bool) -> str:
    def quote(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)[1:-1] if as_json else urllib.parse.quote(
            value)

    result = template
    for name, value in values.items():
        result = result.replace("{" + name + "}", quote(value))
    return result


class HttpGateway:
    """POST (or the configured method) the filled body template to the gateway's URL."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def send(self, to: str, text: str) -> None:
        s = self.settings
        as_json = "json" in s.content_type
        body = _fill(s.body, {"to": to, "text": text}, as_json).encode("utf-8")
        url = _fill(s.url, {"to": to, "text": text}, False)
        request = urllib.request.Request(url, data=body, method=s.method.upper())
        request.add_header("Content-Type", f"{s.content_type}; charset=utf-8")
        if s.auth_header:
            name, _, value = s.auth_header.partition(":")
            request.add_header(name.strip(), value.strip())
        try:
            with urllib.request.urlopen(request, timeout=s.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            detail = f"HTTP {error.code} {error.reason}"
            if error.code >= 500 or error.code in (408, 429):
                raise SmsTemporary(detail) from None
            raise SmsRejected(detail) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmsTemporary(f"gateway unreachable: {reason}") from None


class FileGateway:
    """Write each SMS as a small JSON file (the demo's "phone")."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, to: str, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
        (self.folder / name).write_text(
            json.dumps({"to": to, "text": text, "at": clock.now().isoformat()},
                       ensure_ascii=False), encoding="utf-8")


def gateway_for(settings: SmsSettings, default_folder: Path) -> SmsGateway:
    """The configured gateway: HTTP with a URL, else files."""
    if settings.gateway == "http" and settings.url:
        return HttpGateway(settings)
    return FileGateway(Path(settings.folder) if settings.folder else default_folder)
